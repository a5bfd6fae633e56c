"""The shared poller: one fetch per interval for everyone, single-flight, backoff, Retry-After."""

from __future__ import annotations

import threading

from lib.errors import RateLimited, ServerError, UnexpectedResponse
from lib.poller import Poller


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
