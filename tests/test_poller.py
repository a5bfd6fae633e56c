"""One endpoint's fetch: when it is due, backoff after failures, Retry-After, typed errors, "check now".

Single flight and one request per interval for every viewer are the watcher's (tests/test_watcher.py).
"""

from __future__ import annotations

import pytest

from lib.portal.errors import PortalUnreachable, RateLimited, ServerError, Unauthorized, UnexpectedResponse
from lib.watching.poller import Poll, Poller
from tests.factories import T0, ManualClock


class Script:
    """A fetch that plays back a list of outcomes: values are returned, exceptions raised."""

    def __init__(self, *outcomes: object) -> None:
        self.outcomes = list(outcomes)
        self.calls = 0

    def __call__(self) -> object:
        item = self.outcomes[min(self.calls, len(self.outcomes) - 1)]
        self.calls += 1
        if isinstance(item, BaseException):
            raise item
        return item


def waits(poller: Poller, clock: ManualClock, n: int, interval: float) -> list[float]:
    """Fetch ``n`` times, each as soon as it is due; the waits the poller asked for."""
    out = []
    for _ in range(n):
        poll = poller.fetch(interval)
        due = poller.due_at(interval)
        out.append(due - poll.at)
        clock.advance(due - clock())
    return out


def test_due_at_once_then_one_interval_after_the_last_answer() -> None:
    clock = ManualClock(T0)
    poller = Poller(Script(1, 2), clock=clock)
    assert poller.latest is None and poller.due_at(5.0) == float("-inf")
    first = poller.fetch(5.0)
    assert first.ok and first.result == 1 and first.failures == 0 and first.retry_at is None
    assert poller.due_at(5.0) == T0 + 5.0
    assert poller.due_at(60.0) == T0 + 60.0  # a different interval (nobody looking) moves it
    assert poller.latest is first


def test_backoff_doubles_and_is_capped() -> None:
    clock, fetch = ManualClock(T0), Script(PortalUnreachable("timeout"))
    poller = Poller(fetch, clock=clock, max_backoff=30.0)
    assert waits(poller, clock, 8, 2.0) == [2.0, 4.0, 8.0, 16.0, 30.0, 30.0, 30.0, 30.0]
    assert poller.latest is not None and poller.latest.failures == 8 and fetch.calls == 8


def test_backoff_from_a_5_s_interval_to_the_default_cap() -> None:
    clock = ManualClock(T0)
    poller = Poller(Script(ServerError(status=502)), clock=clock, max_backoff=60.0)
    assert waits(poller, clock, 6, 5.0) == [5.0, 10.0, 20.0, 40.0, 60.0, 60.0]


def test_the_cap_is_never_below_the_interval() -> None:
    clock = ManualClock(T0)
    poller = Poller(Script(ServerError(status=500)), clock=clock, max_backoff=10.0)
    assert waits(poller, clock, 1, 60.0) == [60.0]


def test_a_long_outage_does_not_overflow() -> None:
    clock = ManualClock(T0)
    poller = Poller(Script(ServerError(status=500)), clock=clock)
    assert waits(poller, clock, 200, 5.0)[-1] == 300.0
    assert poller.latest is not None and poller.latest.failures == 200


@pytest.mark.parametrize(("retry_after", "expected"), [
    (30.0, [30.0, 30.0]),  # longer than the back-off: honoured
    (1.0, [5.0, 10.0]),  # shorter than the back-off: the back-off wins
    (100_000.0, [3600.0, 3600.0]),  # absurd: capped at an hour
])
def test_retry_after_is_a_minimum_and_is_bounded(retry_after: float, expected: list[float]) -> None:
    clock = ManualClock(T0)
    poller = Poller(Script(RateLimited(status=429, retry_after=retry_after)), clock=clock)
    assert waits(poller, clock, len(expected), 5.0) == expected
    assert poller.latest.result.retry_after == retry_after  # type: ignore[union-attr]


def test_success_resets_the_failures_and_the_interval() -> None:
    clock = ManualClock(T0)
    poller = Poller(Script(*[ServerError(status=502)] * 3, 7), clock=clock)
    waits(poller, clock, 3, 5.0)
    poll = poller.fetch(5.0)
    assert poll.ok and poll.result == 7 and poll.failures == 0 and poll.retry_at is None
    assert poller.due_at(5.0) == poll.at + 5.0


def test_typed_errors_pass_through_and_other_exceptions_become_unexpected_response() -> None:
    clock = ManualClock(T0)
    unauthorized = Unauthorized()
    poll = Poller(Script(unauthorized), clock=clock).fetch(5.0)
    assert poll.result is unauthorized and not poll.ok
    for boom in (KeyError("x"), TypeError("y"), ValueError("sk-secret-in-a-message"), RecursionError()):
        poll = Poller(Script(boom), clock=clock).fetch(5.0)
        assert isinstance(poll.result, UnexpectedResponse) and poll.failures == 1
        assert "sk-secret" not in str(poll.result) and "sk-secret" not in repr(poll.result)


def test_after_an_exception_the_next_fetch_tries_again() -> None:
    clock, fetch = ManualClock(T0), Script(RuntimeError("bug"), "fine")
    poller = Poller(fetch, clock=clock)
    poller.fetch(5.0)
    clock.advance(poller.due_at(5.0) - clock())
    assert poller.fetch(5.0).result == "fine" and fetch.calls == 2


def test_hurry_makes_it_due_at_once_even_during_backoff_and_keeps_the_answer() -> None:
    clock = ManualClock(T0)
    poller = Poller(Script(ServerError(status=503), "back"), clock=clock, max_backoff=300.0)
    poller.hurry()  # nothing fetched yet: it is due anyway
    failed = poller.fetch(5.0)
    assert poller.due_at(5.0) == T0 + 5.0
    poller.hurry()
    assert poller.due_at(5.0) == float("-inf") and poller.latest is failed  # the answer is kept
    assert poller.fetch(5.0).result == "back"
    assert poller.due_at(5.0) == T0 + 5.0  # one hurry, one early fetch


def test_poll_ok_property() -> None:
    assert Poll(T0, 1, 0).ok and Poll(T0, None, 0).ok
    assert not Poll(T0, ServerError(status=500), 1, T0 + 5).ok


def test_the_wait_after_a_failure_follows_the_interval_asked_for_now() -> None:
    """The watcher's first fetch may run at the idle interval (nobody looking yet); when a viewer then
    looks every 2 s, a slow portal's retry is due 2 s after the failure, not a minute later."""
    clock = ManualClock(T0)
    poller = Poller(Script(PortalUnreachable("timeout"), 1), clock=clock)
    failed = poller.fetch(60.0)
    assert poller.due_at(60.0) == failed.at + 60.0
    assert poller.due_at(2.0) == failed.at + 2.0
    rate_limited = Poller(Script(RateLimited(status=429, retry_after=30.0)), clock=clock)
    limited = rate_limited.fetch(60.0)
    assert rate_limited.due_at(2.0) == limited.at + 30.0  # a Retry-After still holds
