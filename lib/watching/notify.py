"""Webhook notifications: once per operation and event, kept in the history so a restart never repeats one.

Messages are ``{"text": …}``, which Slack and Microsoft Teams incoming webhooks both accept. A
delivery thread sends them so a slow webhook never delays the watching; a failed delivery is tried
again after 30 s, 2 min and 10 min, and the failure is kept in :attr:`Notifier.last_error` for the
page to show. Nothing here raises into the caller.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from lib.db.store import HistoryStore, stored_msg
from lib.i18n import ENGLISH, M_, Duration, Mn_, Msg, Viewer
from lib.portal.client import post_webhook
from lib.portal.errors import DocSpaceError

#: seconds to wait before each retry of a failed delivery; then it gives up
RETRY_DELAYS = (30.0, 120.0, 600.0)
#: a delivery that was still waiting when the app stopped is tried again after a restart within this time
RESUME_WITHIN = 3600.0
log = logging.getLogger(__name__)


@dataclass
class _Delivery:
    key: str
    text: Msg
    attempts: int = 0
    next_try: float = 0.0


class Notifier:
    def __init__(self, webhook_url: str | None, store: HistoryStore, *,
                 send: Callable[[str, dict[str, Any]], None] = post_webhook,
                 clock: Callable[[], float] = time.time, retry_delays: tuple[float, ...] = RETRY_DELAYS,
                 viewer: Viewer = ENGLISH):
        """``viewer``: the language (and zone) the messages are said in ([notify] language)."""
        self.webhook_url = webhook_url
        self.viewer = viewer
        self._store = store
        self._send = send
        self._clock = clock
        self._delays = retry_delays
        self._decided: set[str] = set()
        self._queue: list[_Delivery] = []
        self._cond = threading.Condition()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self.last_error: Msg | None = None  # why the last delivery failed, while it does
        self.sent: list[str] = []  # texts delivered, newest last (the last 20)

    @property
    def enabled(self) -> bool:
        return bool(self.webhook_url)

    def load(self) -> None:
        """Remember what was decided before a restart; resume deliveries that were still waiting."""
        now = self._clock()
        for key, row in self._store.notified().items():
            self._decided.add(key)
            if row["sent"] is None and row["attempts"] <= len(self._delays) and now - row["created"] < RESUME_WITHIN:
                self._queue.append(_Delivery(key, stored_msg(row["text"]), row["attempts"]))

    def notify(self, key: tuple[str, ...], text: Msg) -> bool:
        """Send ``text`` unless this ``key`` (portal, operation, event…) was decided before."""
        if not self.enabled:
            return False
        name = "|".join(key)
        with self._cond:
            if name in self._decided:
                return False
            self._decided.add(name)
            self._queue.append(_Delivery(name, text))
            self._cond.notify_all()
        self._store.notification_decided(name, json.dumps(text.to_json()), self._clock())
        return True

    def start(self) -> None:
        if self._thread is None and self.enabled:
            self._thread = threading.Thread(target=self._run, name="notify", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        with self._cond:
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(5)

    def deliver_due(self) -> int:
        """Send every delivery whose time has come; returns how many were tried."""
        now = self._clock()
        with self._cond:
            due = [d for d in self._queue if d.next_try <= now]
            for delivery in due:
                delivery.next_try = float("inf")  # taken: nobody else tries it meanwhile
        for delivery in due:
            self._try(delivery)
        return len(due)

    def _run(self) -> None:
        while not self._stopping.is_set():
            self.deliver_due()
            with self._cond:
                self._cond.wait(0.5 if self._queue else 5.0)

    def _try(self, delivery: _Delivery) -> None:
        delivery.attempts += 1
        text = self.viewer.say(delivery.text)
        error: Msg | None = None
        try:
            self._send(self.webhook_url or "", {"text": text})
        except DocSpaceError as exc:
            error = M_("The notification could not be sent: {reason}", reason=exc.sentence)
        except Exception:  # noqa: BLE001 - notifying must never break monitoring
            error = M_("The notification could not be sent (unexpected error).")
        now = self._clock()
        with self._cond:
            if error is None:
                self._queue.remove(delivery)
                self.sent = [*self.sent[-19:], text]
                self.last_error = None
                log.info("notification sent: %s", text)
            elif delivery.attempts > len(self._delays):
                self._queue.remove(delivery)
                self.last_error = Mn_("{error} Gave up after {n} try.", "{error} Gave up after {n} tries.",
                                      delivery.attempts, error=error)
            else:
                delivery.next_try = now + self._delays[delivery.attempts - 1]
                self.last_error = M_("{error} Trying again in {duration}.", error=error,
                                     duration=Duration(self._delays[delivery.attempts - 1]))
        if error is not None:
            log.warning("%s", self.last_error)
        self._store.notification_tried(delivery.key, sent=None if error else now, attempts=delivery.attempts,
                                       error=str(error or ""))
