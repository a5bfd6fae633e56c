"""Webhook notifications: once per operation and event, across restarts and however many copies run.

Messages are ``{"text": …}``, which Slack and Microsoft Teams incoming webhooks both accept. A
delivery thread sends them so a slow webhook never delays the watching; a failed delivery is tried
again after 30 s, 2 min and 10 min, and the failure is kept in :attr:`Notifier.last_error` for the
page to show. Nothing here raises into the caller.

With a lease (``me``), a message leaves only after this copy claimed its row in the database while it
held the watch (:func:`lib.db.lease.claim`): two copies, or a paused copy that woke up after another
took over, cannot both send it. When the database cannot be reached the message waits for it (the page
still says at once what happened). Messages another copy decided and did not send are found and sent.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from lib.db import lease
from lib.db.rows import stored_msg
from lib.db.store import HistoryStore, StoreAway
from lib.i18n import ENGLISH, M_, Duration, Mn_, Msg, Viewer
from lib.portal.client import post_webhook
from lib.portal.errors import DocSpaceError
from lib.watching.counts import Counts

#: seconds to wait before each retry of a failed delivery; then it gives up
RETRY_DELAYS = (30.0, 120.0, 600.0)
#: a delivery that was still waiting when the app stopped is tried again after a restart within this time
RESUME_WITHIN = 3600.0
#: while the database cannot be reached, a message waits this long before its claim is tried again
CLAIM_AGAIN = 5.0
#: another copy's claim younger than this may be a message on its way: it is left to that copy
CLAIM_GRACE = 120.0
#: how often messages owed by another copy (decided, never sent) are looked for
OWED_EVERY = 30.0
log = logging.getLogger(__name__)


@dataclass
class _Delivery:
    key: str
    text: Msg  # said in the channel's language when it is sent
    attempts: int = 0
    next_try: float = 0.0

    @property
    def stored(self) -> str:
        """As the database keeps it: the message and its values, to be said in any language."""
        return json.dumps(self.text.to_json())


class Notifier:
    def __init__(self, webhook_url: str | None, store: HistoryStore, *,
                 send: Callable[[str, dict[str, Any]], None] = post_webhook,
                 clock: Callable[[], float] = time.time, retry_delays: tuple[float, ...] = RETRY_DELAYS,
                 me: lease.Me | None = None, counts: Counts | None = None, viewer: Viewer = ENGLISH):
        """``me``: this copy, when copies share the database (a message is then claimed before it leaves);
        ``viewer``: the language (and zone) the messages are said in ([notify] language)."""
        self.webhook_url = webhook_url
        self.viewer = viewer
        self._store = store
        self._send = send
        self._clock = clock
        self._delays = retry_delays
        self._me = me
        self._counts = counts or Counts()
        self._owed_at = float("-inf")
        self._decided: set[str] = set()
        self._done: set[str] = set()  # delivered here, or given up on
        self._queue: list[_Delivery] = []
        self._cond = threading.Condition()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self.last_error: Msg | None = None  # why the last delivery failed, while it does
        self.sent: list[str] = []  # texts delivered, newest last (the last 20)
        self.decisions = 0  # messages this copy decided to send (another copy may have sent some)

    @property
    def enabled(self) -> bool:
        return bool(self.webhook_url)

    @property
    def waiting(self) -> int:
        """Deliveries not yet sent (nor given up on)."""
        with self._cond:
            return len(self._queue)

    def load(self) -> None:
        """Remember what was decided before (a restart, another copy); take up deliveries still owed."""
        now = self._clock()
        self._owed_at = time.monotonic()
        rows = self._store.notified()
        with self._cond:
            queued = {d.key for d in self._queue}
            for key, row in rows.items():
                if "|mail|" in key or key.startswith("digest|"):
                    continue  # an email's claim (lib.watching.outbox), not a webhook message
                self._decided.add(key)
                owed = (row["sent"] is None and row["attempts"] <= len(self._delays)
                        and now - row["created"] < RESUME_WITHIN)
                if owed and key not in queued and key not in self._done:
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
            self.decisions += 1
            delivery = _Delivery(name, text)
            self._queue.append(delivery)
            self._cond.notify_all()
        self._store.notification_decided(name, delivery.stored, self._clock())
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
            if self._me is not None and time.monotonic() - self._owed_at > OWED_EVERY:
                self.load()  # what a copy that stopped had decided and not sent
            self.deliver_due()
            with self._cond:
                if not self._stopping.is_set():  # (stop() sets it before it wakes this wait)
                    self._cond.wait(0.5 if self._queue else 5.0)

    def _claimed(self, delivery: _Delivery) -> bool:
        """Whether this copy may send it now; False drops it (sent, or another copy has it) or, while the
        database cannot be reached, puts it off."""
        if self._me is None:
            return True
        me, now = self._me, self._clock()
        try:
            mine = self._store.at_once(lambda conn: lease.claim(conn, me, delivery.key, delivery.stored, now,
                                                                tries=len(self._delays) + 1, grace=CLAIM_GRACE))
        except StoreAway:
            with self._cond:
                delivery.next_try = now + CLAIM_AGAIN
            return False
        if not mine:
            with self._cond:
                self._queue.remove(delivery)
            log.debug("notification %s: sent or claimed by another copy", delivery.key)
        return mine

    def _try(self, delivery: _Delivery) -> None:
        if not self._claimed(delivery):
            return
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
                self._done.add(delivery.key)
                self.sent = [*self.sent[-19:], text]
                self.last_error = None
                log.info("notification sent: %s", text)
            elif delivery.attempts > len(self._delays):
                self._queue.remove(delivery)
                self._done.add(delivery.key)
                self.last_error = Mn_("{error} Gave up after {n} try.", "{error} Gave up after {n} tries.",
                                      delivery.attempts, error=error)
            else:
                delivery.next_try = now + self._delays[delivery.attempts - 1]
                self.last_error = M_("{error} Trying again in {duration}.", error=error,
                                     duration=Duration(self._delays[delivery.attempts - 1]))
        if error is not None:
            log.warning("%s", self.last_error)
        self._counts.notified(error is None)
        sent, attempts, why = None if error else now, delivery.attempts, str(error or "")
        try:  # at once: a copy taking over must not send it again
            self._store.at_once(lambda conn: lease.tried(conn, delivery.key, delivery.stored, now, sent=sent,
                                                         attempts=attempts, error=why))
        except StoreAway:
            self._store.notification_tried(delivery.key, sent=sent, attempts=attempts, error=why)
