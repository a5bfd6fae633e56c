"""What this process did since it started, counted for /metrics: checks and failed checks per portal and
endpoint, and deliveries made and failed — messages to the channels, emails to people (outcomes, the weekly
summary). Plain counters behind one lock: the watcher's threads only add."""

from __future__ import annotations

import threading
from collections import Counter

#: what is delivered: "message" (the webhook and the channels) or "email" (lib.watching.outbox)
Delivered = tuple[str, bool]


class Counts:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.checks: Counter[tuple[str, str]] = Counter()  # (portal, endpoint) -> checks made
        self.failures: Counter[tuple[str, str]] = Counter()  # (portal, endpoint) -> checks that failed
        self.delivered: Counter[Delivered] = Counter()  # (what, sent?) -> deliveries tried

    def checked(self, portal: str, endpoint: str, ok: bool) -> None:
        with self._lock:
            self.checks[portal, endpoint] += 1
            if not ok:
                self.failures[portal, endpoint] += 1

    def told(self, what: str, ok: bool) -> None:
        """A delivery of ``what`` ("message", "email") was tried: sent (``ok``) or failed."""
        with self._lock:
            self.delivered[what, ok] += 1

    def snapshot(self) -> tuple[dict[tuple[str, str], int], dict[tuple[str, str], int], dict[Delivered, int]]:
        with self._lock:
            return dict(self.checks), dict(self.failures), dict(self.delivered)
