"""What this process did since it started, counted for /metrics: checks and failed checks per portal and
endpoint, messages sent and failed, emails to people (outcomes, the weekly summary) sent and failed. Plain
counters behind one lock: the watcher's threads only add."""

from __future__ import annotations

import threading
from collections import Counter


class Counts:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.checks: Counter[tuple[str, str]] = Counter()  # (portal, endpoint) -> checks made
        self.failures: Counter[tuple[str, str]] = Counter()  # (portal, endpoint) -> checks that failed
        self.sent = 0
        self.failed = 0
        self.mails_sent = 0  # emails to subscribers and digest recipients (lib.watching.outbox)
        self.mails_failed = 0

    def checked(self, portal: str, endpoint: str, ok: bool) -> None:
        with self._lock:
            self.checks[portal, endpoint] += 1
            if not ok:
                self.failures[portal, endpoint] += 1

    def notified(self, ok: bool) -> None:
        with self._lock:
            if ok:
                self.sent += 1
            else:
                self.failed += 1

    def mailed(self, ok: bool) -> None:
        with self._lock:
            if ok:
                self.mails_sent += 1
            else:
                self.mails_failed += 1

    def mails(self) -> tuple[int, int]:
        with self._lock:
            return self.mails_sent, self.mails_failed

    def snapshot(self) -> tuple[dict[tuple[str, str], int], dict[tuple[str, str], int], int, int]:
        with self._lock:
            return dict(self.checks), dict(self.failures), self.sent, self.failed
