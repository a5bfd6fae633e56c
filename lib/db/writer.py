"""Writes wait in a queue and a thread of their own writes them in batches: a check never waits for the database.

The watcher's threads only append (a lock held for microseconds); the writer thread takes what has
gathered for up to :data:`WINDOW` seconds and writes it, in order, in one transaction. With a
thousand portals changing every poll that is a few commits a second instead of hundreds, and a
database that is slow, hangs or drops packets slows the history, never the checks, the stall
detection or the alerts. While the database is away the writes wait (at most :data:`MAX_PENDING`,
then the oldest go, counted) and are written once it answers again, oldest first.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from typing import Any, NamedTuple

from sqlalchemy import Connection

#: a batch gathers for at most this long: nothing waits longer than about that when the database is fine
WINDOW = 0.1
#: writes per transaction at most (a long outage is written back in several)
BATCH = 2000
#: writes kept in memory while the database is away; past this the oldest are dropped (and said)
MAX_PENDING = 50_000
#: after a failed batch, seconds before the next try: doubling from the first to the last
RETRY = (0.5, 10.0)


class Write(NamedTuple):
    """One change to the database. Writes with the same ``key`` in one batch: only the last one runs
    (what the watcher last knew about an endpoint replaces what it knew a moment before). A ``row``
    write is a statement and its parameters: the batch's rows for one statement go to the database
    together (one ``executemany``), after its other writes."""

    run: Callable[[Connection], None] | None
    key: str | None = None
    row: tuple[Any, dict[str, Any]] | None = None


class Writer:
    def __init__(self, write: Callable[[list[Write]], None], failed: Callable[[BaseException], None], *,
                 window: float = WINDOW, batch: int = BATCH, limit: int = MAX_PENDING):
        """``write`` writes a batch in one transaction (raising when it could not); ``failed`` hears why."""
        self._write, self._failed = write, failed
        self._window, self._batch, self._limit = window, batch, limit
        self._queue: deque[Write] = deque()
        self._cond = threading.Condition()
        self._io = threading.Lock()  # one batch at a time, whoever writes it
        self._thread: threading.Thread | None = None
        self._closed = False
        self.dropped = 0  # writes lost to the limit since the database last answered
        self.writes = 0  # written, in all (for /metrics and the benchmark)
        self.commits = 0

    @property
    def pending(self) -> int:
        return len(self._queue)

    def submit(self, write: Write) -> None:
        """Queue one write; returns at once, whatever the database does."""
        with self._cond:
            self._queue.append(write)
            if len(self._queue) > self._limit:
                self._queue.popleft()
                self.dropped += 1
            if self._thread is None and not self._closed:
                self._thread = threading.Thread(target=self._run, name="history-writer", daemon=True)
                self._thread.start()
            if len(self._queue) == 1:  # the thread waits for a first write, then lets a batch gather
                self._cond.notify_all()

    def flush(self) -> bool:
        """Write what waits now, on the calling thread; True when nothing is left waiting."""
        with self._io:
            while self._queue:
                batch = [self._queue[i] for i in range(min(self._batch, len(self._queue)))]
                try:
                    self._write(_last_of_each_key(batch))
                except Exception as exc:  # noqa: BLE001 - any failure keeps the writes for the next try
                    self._failed(exc)
                    return False
                with self._cond:
                    for _ in batch:
                        self._queue.popleft()
                    self.writes += len(batch)
                    self.commits += 1
                    self.dropped = 0
            return True

    def close(self, timeout: float = 5.0) -> None:
        """Stop the thread after one last try to write what waits."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    def _run(self) -> None:
        delay = RETRY[0]
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._queue or self._closed)
                if self._closed and not self._queue:
                    return
                if not self._closed:  # let a batch gather (a close writes at once)
                    self._cond.wait_for(lambda: self._closed, self._window)
            if self.flush():
                delay = RETRY[0]
                continue
            if self._closed:
                return
            with self._cond:  # the database is away: try again later (a close still ends the wait)
                self._cond.wait_for(lambda: self._closed, delay)
            delay = min(RETRY[1], delay * 2)


def _last_of_each_key(batch: list[Write]) -> list[Write]:
    """The batch in order, keeping of the writes that share a key only the last."""
    last = {w.key: i for i, w in enumerate(batch) if w.key is not None}
    return [w for i, w in enumerate(batch) if w.key is None or last[w.key] == i]
