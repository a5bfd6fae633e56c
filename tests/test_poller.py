"""The shared poller: one fetch per interval for everyone, single-flight, backoff, Retry-After."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest

from lib.errors import DocSpaceError, PortalUnreachable, RateLimited, ServerError, Unauthorized, UnexpectedResponse
from lib.poller import Poll, Poller


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_one_fetch_per_interval() -> None:
    clock, calls = Clock(), []
    poller = Poller(lambda: calls.append(1) or len(calls), 5.0, clock=clock)
    assert poller.poll().result == 1
    clock.now += 4
    assert poller.poll().result == 1 and len(calls) == 1
    clock.now += 1
    assert poller.poll().result == 2


def test_backoff_doubles_to_a_cap_and_success_resets() -> None:
    clock = Clock()
    outcomes = iter([ServerError(status=502)] * 10 + ["ok"])

    def fetch() -> str:
        item = next(outcomes)
        if isinstance(item, Exception):
            raise item
        return item

    poller = Poller(fetch, 5.0, clock=clock, max_backoff=60.0)
    waits = []
    for _ in range(6):
        poll = poller.poll()
        waits.append(poll.next_at - poll.at)
        clock.now = poll.next_at
    assert waits == [5.0, 10.0, 20.0, 40.0, 60.0, 60.0]
    for _ in range(4):
        clock.now = poller.poll().next_at
    poll = poller.poll()
    assert poll.ok and poll.failures == 0 and poll.next_at - poll.at == 5.0


def test_retry_after_is_honoured() -> None:
    clock = Clock()

    def fetch() -> None:
        raise RateLimited(status=429, retry_after=30)

    poll = Poller(fetch, 5.0, clock=clock).poll()
    assert poll.next_at - poll.at == 30.0


def test_unexpected_exceptions_become_typed_errors() -> None:
    def fetch() -> None:
        raise KeyError("bug")

    assert isinstance(Poller(fetch, 5.0).poll().result, UnexpectedResponse)


def test_single_flight_under_many_threads() -> None:
    started, release, calls = threading.Event(), threading.Event(), []

    def fetch() -> int:
        calls.append(1)
        started.set()
        release.wait(5)
        return 42

    poller = Poller(fetch, 5.0)
    first = threading.Thread(target=poller.poll)
    first.start()
    assert started.wait(5)
    results: list[object] = []
    others = [threading.Thread(target=lambda: results.append(poller.poll())) for _ in range(20)]
    for t in others:
        t.start()
    release.set()
    for t in [first, *others]:
        t.join(5)
    assert len(calls) == 1 and all(r is not None and r.result == 42 for r in results)


def test_listeners_once_per_fetch_and_retry_now() -> None:
    clock, heard = Clock(), []
    poller = Poller(lambda: "x", 60.0, clock=clock, listeners=(heard.append,))
    poller.poll()
    poller.poll()
    assert len(heard) == 1
    poller.retry_now()
    poller.poll()
    assert len(heard) == 2 and poller.fetches == 2


# ---------------------------------------------------------------- more cases with a fake clock


class FakeClock:
    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


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


def test_within_the_interval_everyone_gets_the_cached_answer() -> None:
    clock, fetch = FakeClock(), Script("a", "b")
    poller = Poller(fetch, 5.0, clock=clock)
    first = poller.poll()
    assert first is not None and first.ok and first.result == "a" and first.failures == 0
    assert first.at == clock.now and first.next_at == clock.now + 5.0
    for _ in range(10):
        clock.advance(0.4)
        assert poller.poll() is first
    assert fetch.calls == 1 and poller.fetches == 1 and poller.latest is first
    clock.advance(1.0)  # now 5.0 s after the first fetch
    second = poller.poll()
    assert second is not None and second.result == "b" and fetch.calls == 2


def test_backoff_doubles_and_is_capped() -> None:
    clock, fetch = FakeClock(), Script(PortalUnreachable("timeout"))
    poller = Poller(fetch, 2.0, clock=clock, max_backoff=30.0)
    waits, failures = [], []
    for _ in range(8):
        poll = poller.poll()
        assert poll is not None and not poll.ok
        waits.append(poll.next_at - poll.at)
        failures.append(poll.failures)
        clock.advance(1.0)
        assert poller.poll() is poll  # not due yet: no extra fetch during the back-off
        clock.now = poll.next_at
    assert waits == [2.0, 4.0, 8.0, 16.0, 30.0, 30.0, 30.0, 30.0]
    assert failures == [1, 2, 3, 4, 5, 6, 7, 8] and fetch.calls == 8


def test_the_cap_is_never_below_the_interval() -> None:
    clock = FakeClock()
    poller = Poller(Script(ServerError(status=500)), 60.0, clock=clock, max_backoff=10.0)
    poll = poller.poll()
    assert poll is not None and poll.next_at - poll.at == 60.0


def test_a_long_outage_does_not_overflow() -> None:
    clock = FakeClock()
    poller = Poller(Script(ServerError(status=500)), 5.0, clock=clock)
    for _ in range(200):
        poll = poller.poll()
        assert poll is not None
        clock.now = poll.next_at
    assert poll.failures == 200 and poll.next_at - poll.at == 300.0


@pytest.mark.parametrize(("retry_after", "waits"), [
    (30.0, [30.0, 30.0]),  # longer than the back-off: honoured
    (1.0, [5.0, 10.0]),  # shorter than the back-off: the back-off wins
    (100_000.0, [3600.0, 3600.0]),  # absurd: capped at an hour
])
def test_retry_after_is_a_minimum_and_is_bounded(retry_after: float, waits: list[float]) -> None:
    clock = FakeClock()
    poller = Poller(Script(RateLimited(status=429, retry_after=retry_after)), 5.0, clock=clock)
    seen = []
    for _ in waits:
        poll = poller.poll()
        assert poll is not None and poll.result.retry_after == retry_after  # type: ignore[union-attr]
        seen.append(poll.next_at - poll.at)
        clock.advance(4.9)
        assert poller.poll() is poll
        clock.now = poll.next_at
    assert seen == waits


def test_success_resets_the_failures_and_the_interval() -> None:
    clock, fetch = FakeClock(), Script(ServerError(status=502), ServerError(status=502), ServerError(status=502), 7)
    poller = Poller(fetch, 5.0, clock=clock)
    for _ in range(3):
        clock.now = poller.poll().next_at  # type: ignore[union-attr]
    poll = poller.poll()
    assert poll is not None and poll.ok and poll.result == 7 and poll.failures == 0
    assert poll.next_at - poll.at == 5.0


def test_typed_errors_pass_through_and_other_exceptions_become_unexpected_response() -> None:
    clock = FakeClock()
    unauthorized = Unauthorized()
    poll = Poller(Script(unauthorized), 5.0, clock=clock).poll()
    assert poll is not None and poll.result is unauthorized and not poll.ok
    for boom in (KeyError("x"), TypeError("y"), ValueError("sk-secret-in-a-message"), RecursionError()):
        poller = Poller(Script(boom), 5.0, clock=clock)
        poll = poller.poll()
        assert poll is not None and isinstance(poll.result, UnexpectedResponse) and poll.failures == 1
        assert "sk-secret" not in str(poll.result) and "sk-secret" not in repr(poll.result)


def test_after_an_exception_the_next_due_poll_fetches_again() -> None:
    clock, fetch = FakeClock(), Script(RuntimeError("bug"), "fine")
    poller = Poller(fetch, 5.0, clock=clock)
    first = poller.poll()
    clock.now = first.next_at  # type: ignore[union-attr]
    second = poller.poll()
    assert second is not None and second.result == "fine" and fetch.calls == 2


def test_listeners_hear_each_fetch_once_and_in_order() -> None:
    clock, heard_a, heard_b = FakeClock(), [], []
    poller = Poller(Script(1, PortalUnreachable("dns"), 3), 5.0, clock=clock,
                    listeners=(heard_a.append, heard_b.append))
    for _ in range(3):
        for _ in range(4):
            poller.poll()  # only the first of these fetches
        clock.now = poller.latest.next_at  # type: ignore[union-attr]
    assert len(heard_a) == 3 and heard_a == heard_b
    assert all(isinstance(p, Poll) for p in heard_a)
    assert [p.ok for p in heard_a] == [True, False, True]


def test_retry_now_fetches_at_once_even_during_backoff() -> None:
    clock, fetch = FakeClock(), Script(ServerError(status=503), "back")
    poller = Poller(fetch, 5.0, clock=clock, max_backoff=300.0)
    poller.retry_now()  # nothing fetched yet: nothing to do, no error
    failed = poller.poll()
    assert failed is not None and not failed.ok
    clock.advance(1.0)
    assert poller.poll() is failed
    poller.retry_now()
    assert poller.latest is not None and poller.latest.result is failed.result  # the answer is kept
    again = poller.poll()
    assert again is not None and again.result == "back" and fetch.calls == 2


def _run_threads(n: int, target: Callable[[], None]) -> list[threading.Thread]:
    threads = [threading.Thread(target=target, daemon=True) for _ in range(n)]
    for thread in threads:
        thread.start()
    return threads


def test_single_flight_when_a_refresh_is_due() -> None:
    """N viewers at once, one fetch blocked: exactly one fetch, the others get the previous answer."""
    clock, calls = FakeClock(), []
    started, release = threading.Event(), threading.Event()

    def fetch() -> str:
        calls.append(1)
        if len(calls) == 1:
            return "old"
        started.set()
        assert release.wait(10)
        return "new"

    poller = Poller(fetch, 5.0, clock=clock)
    assert poller.poll().result == "old"  # type: ignore[union-attr]
    clock.advance(5.0)
    n = 16
    barrier, returned = threading.Barrier(n), threading.Semaphore(0)
    results: list[object] = []
    lock = threading.Lock()

    def viewer() -> None:
        barrier.wait(10)
        poll = poller.poll()
        with lock:
            results.append(poll.result if poll else None)
        returned.release()

    threads = _run_threads(n, viewer)
    assert started.wait(10)
    for _ in range(n - 1):  # everyone but the fetcher comes back while the fetch is still blocked
        assert returned.acquire(timeout=10)
    assert len(calls) == 2 and sorted(results) == ["old"] * (n - 1)
    release.set()
    assert returned.acquire(timeout=10)
    for thread in threads:
        thread.join(10)
    assert len(calls) == 2 and results.count("new") == 1 and not any(t.is_alive() for t in threads)
    assert poller.latest is not None and poller.latest.result == "new" and poller.fetches == 2


def test_single_flight_for_the_very_first_answer() -> None:
    """Before any answer exists, the others wait for the one fetch instead of starting their own."""
    calls, started, release = [], threading.Event(), threading.Event()

    def fetch() -> int:
        calls.append(1)
        started.set()
        assert release.wait(10)
        return 42

    poller = Poller(fetch, 5.0, clock=FakeClock(), first_wait=10.0)
    n = 12
    barrier = threading.Barrier(n + 1)
    results: list[object] = []
    lock = threading.Lock()

    def viewer() -> None:
        barrier.wait(10)
        poll = poller.poll()
        with lock:
            results.append(poll.result if poll else None)

    threads = _run_threads(n, viewer)
    barrier.wait(10)
    assert started.wait(10)
    release.set()
    for thread in threads:
        thread.join(10)
    assert not any(t.is_alive() for t in threads)
    assert len(calls) == 1 and results == [42] * n


def test_poll_ok_property() -> None:
    assert Poll(0.0, "x", 0, 5.0).ok
    assert not Poll(0.0, DocSpaceError(), 1, 5.0).ok
