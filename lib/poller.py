"""A shared, single-flight, backing-off fetch: one portal request per interval for any number of viewers.

Every viewer's timer asks the same :class:`Poller`. Within the interval they all get the cached
answer; when it is due, exactly one caller fetches while the others keep the previous answer (a slow
portal is never asked twice at once). After failures the wait doubles up to a cap, and a portal's
``Retry-After`` is honoured; the first success brings the normal interval back.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from lib.errors import DocSpaceError, UnexpectedResponse

T = TypeVar("T")
MAX_BACKOFF = 300.0


@dataclass(frozen=True, slots=True)
class Poll(Generic[T]):
    """One fetch's outcome: a value, or the typed error that stopped it."""

    at: float
    result: T | DocSpaceError
    failures: int  # consecutive failures, this one included
    next_at: float  # the earliest time the next fetch happens

    @property
    def ok(self) -> bool:
        return not isinstance(self.result, DocSpaceError)


class Poller(Generic[T]):
    def __init__(
        self,
        fetch: Callable[[], T],
        interval: float,
        *,
        clock: Callable[[], float] = time.time,
        max_backoff: float = MAX_BACKOFF,
        listeners: tuple[Callable[[Poll[T]], Any], ...] = (),
        first_wait: float = 10.0,
    ):
        self._fetch = fetch
        self.interval = interval
        self._clock = clock
        self._max_backoff = max(max_backoff, interval)
        self._listeners = listeners
        self._first_wait = first_wait
        self._cond = threading.Condition()
        self._latest: Poll[T] | None = None
        self._in_flight = False
        self.fetches = 0

    @property
    def latest(self) -> Poll[T] | None:
        return self._latest

    def poll(self) -> Poll[T] | None:
        """The freshest answer, fetching first if it is due and nobody else is fetching."""
        with self._cond:
            due = self._latest is None or self._clock() >= self._latest.next_at
            if not due or self._in_flight:
                if self._latest is None:  # the very first answer: worth a short wait
                    self._cond.wait_for(lambda: self._latest is not None, timeout=self._first_wait)
                return self._latest
            self._in_flight = True
        try:
            result = self._run()
            with self._cond:
                failures = 0 if not isinstance(result, DocSpaceError) else (
                    (self._latest.failures if self._latest else 0) + 1)
                at = self._clock()
                poll = Poll(at, result, failures, at + self._delay(result, failures))
                self._latest = poll
            for listener in self._listeners:
                listener(poll)
            return poll
        finally:
            with self._cond:
                self._in_flight = False
                self._cond.notify_all()

    def retry_now(self) -> None:
        """Make the next poll fetch at once (a viewer pressed "check now")."""
        with self._cond:
            if self._latest is not None:
                latest = self._latest
                self._latest = Poll(latest.at, latest.result, latest.failures, latest.at)

    def _run(self) -> T | DocSpaceError:
        self.fetches += 1
        try:
            return self._fetch()
        except DocSpaceError as exc:
            return exc
        except Exception:  # noqa: BLE001 - a bug in parsing must not take the page down
            return UnexpectedResponse("unexpected failure while reading the answer")

    def _delay(self, result: T | DocSpaceError, failures: int) -> float:
        if not isinstance(result, DocSpaceError):
            return self.interval
        delay = min(self._max_backoff, self.interval * 2 ** min(failures - 1, 16))
        if result.retry_after is not None:
            delay = max(delay, min(result.retry_after, 3600.0))
        return delay
