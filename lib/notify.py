"""Optional webhook notifications: completed, failed, stalled, overdue; each once per operation.

Messages are a JSON body ``{"text": …}``, which Slack and Microsoft Teams incoming webhooks both
accept. Sending happens on a background thread so a slow webhook never delays a page; a failure to
notify is kept in ``last_error`` for the page to show, and never raised.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from lib.client import post_webhook
from lib.errors import DocSpaceError

MAX_REMEMBERED = 500


class Notifier:
    def __init__(self, webhook_url: str | None, send: Callable[[str, dict[str, Any]], None] = post_webhook,
                 *, background: bool = True):
        self.webhook_url = webhook_url
        self._send = send
        self._background = background
        self._sent: OrderedDict[tuple[str, ...], None] = OrderedDict()
        self._lock = threading.Lock()
        self.last_error: str = ""
        self.sent: list[str] = []  # texts sent, newest last (bounded), for the page and tests

    @property
    def enabled(self) -> bool:
        return bool(self.webhook_url)

    def notify(self, key: tuple[str, ...], text: str) -> bool:
        """Send ``text`` unless ``key`` (portal, operation, task, event) was already sent."""
        if not self.enabled:
            return False
        with self._lock:
            if key in self._sent:
                return False
            self._sent[key] = None
            while len(self._sent) > MAX_REMEMBERED:
                self._sent.popitem(last=False)
        if self._background:
            threading.Thread(target=self._deliver, args=(text,), daemon=True).start()
        else:
            self._deliver(text)
        return True

    def _deliver(self, text: str) -> None:
        try:
            self._send(self.webhook_url or "", {"text": text})
        except DocSpaceError as exc:
            self.last_error = f"The notification could not be sent: {exc.sentence}"
        except Exception:  # noqa: BLE001 - notifying must never break monitoring
            self.last_error = "The notification could not be sent (unexpected error)."
        else:
            self.last_error = ""
            with self._lock:
                self.sent = [*self.sent[-19:], text]
