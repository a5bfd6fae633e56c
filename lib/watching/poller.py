"""One portal endpoint's fetch, with its last answer and a backing-off wait after failures.

The watcher owns one :class:`Poller` per portal and endpoint and is the only caller of
:meth:`Poller.fetch`, so the portal gets one request per interval however many people watch. After
failures the wait doubles up to a cap, and a portal's ``Retry-After`` is honoured; the first success
brings the normal interval back.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from lib.portal.errors import DocSpaceError, UnexpectedResponse

T = TypeVar("T")
MAX_BACKOFF = 300.0


@dataclass(frozen=True, slots=True)
class Poll(Generic[T]):
    """One fetch's outcome: a value, or the typed error that stopped it."""

    at: float
    result: T | DocSpaceError
    failures: int  # consecutive failures, this one included
    retry_at: float | None = None  # after a failure: not before this (backoff, Retry-After)

    @property
    def ok(self) -> bool:
        return not isinstance(self.result, DocSpaceError)


class Poller(Generic[T]):
    def __init__(self, fetch: Callable[[], T], *, clock: Callable[[], float] = time.time,
                 max_backoff: float = MAX_BACKOFF):
        self._fetch = fetch
        self._clock = clock
        self._max_backoff = max_backoff
        self._hurry = False
        self.latest: Poll[T] | None = None

    def due_at(self, interval: float) -> float:
        """When the next fetch is due at this interval (now, if never fetched or asked to hurry)."""
        latest = self.latest
        if latest is None or self._hurry:
            return float("-inf")
        if isinstance(latest.result, DocSpaceError):
            # from the interval asked for now: a viewer who starts looking after a failure at the idle
            # interval gets the retry at their pace, not a minute later
            return latest.at + self._delay(latest.result, latest.failures, interval)
        return latest.at + interval

    def fetch(self, interval: float) -> Poll[T]:
        """Ask the portal now; the answer, or the typed error, becomes :attr:`latest`."""
        self._hurry = False
        result = self._run()
        at = self._clock()
        failures = 0
        retry_at = None
        if isinstance(result, DocSpaceError):
            failures = (self.latest.failures if self.latest else 0) + 1
            retry_at = at + self._delay(result, failures, interval)
        self.latest = Poll(at, result, failures, retry_at)
        return self.latest

    def hurry(self) -> None:
        """Make the next check happen at once (a viewer pressed "check now" or "watch again")."""
        self._hurry = True

    def _run(self) -> T | DocSpaceError:
        try:
            return self._fetch()
        except DocSpaceError as exc:
            return exc
        except Exception:  # noqa: BLE001 - a bug in parsing must not stop the watching
            return UnexpectedResponse("unexpected failure while reading the answer")

    def _delay(self, error: DocSpaceError, failures: int, interval: float) -> float:
        delay = min(max(self._max_backoff, interval), interval * 2 ** min(failures - 1, 16))
        if error.retry_after is not None:
            delay = max(delay, min(error.retry_after, 3600.0))
        return delay
