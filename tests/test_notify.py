"""notify.Notifier: each event once (across restarts too), off without a URL, retried with backoff,
and a failing webhook never raises. Decisions are kept in a real (in-memory SQLite) history database."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from lib.channels import ChannelFailed
from lib.db.store import HistoryStore
from lib.i18n import Msg
from lib.watching.messages import Note, stored_note
from lib.watching.notify import RETRY_DELAYS, Notifier
from tests.factories import T0, ManualClock

URL = "https://hooks.example.com/services/T0/B0/SECRET-TOKEN"


class FakeSend:
    def __init__(self, fail: BaseException | None = None) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.fail = fail

    def __call__(self, url: str, body: dict[str, Any]) -> None:
        self.calls.append((url, body))
        if self.fail is not None:
            raise self.fail


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T0)


@pytest.fixture
def store(clock: ManualClock) -> HistoryStore:
    store = HistoryStore("sqlite://", clock=clock)
    assert store.open()
    return store


def notifier(send: FakeSend, store: HistoryStore, clock: ManualClock, url: str | None = URL) -> Notifier:
    return Notifier(url, store, send=send, clock=clock)


def test_each_key_is_sent_once(store: HistoryStore, clock: ManualClock) -> None:
    send = FakeSend()
    n = notifier(send, store, clock)
    key = ("prod", "restore", "task-1", "completed")
    assert n.enabled
    assert n.notify(key, Msg("The restore on prod completed."))
    assert not n.notify(key, Msg("The restore on prod completed."))
    assert not n.notify(key, Msg("different text, same event"))
    assert n.notify(("prod", "restore", "task-1", "failed"), Msg("failed"))
    assert n.notify(("prod", "restore", "task-2", "completed"), Msg("again"))
    assert n.deliver_due() == 3
    assert send.calls[0] == (URL, {"text": "The restore on prod completed."})
    assert len(send.calls) == 3 and n.sent == ["The restore on prod completed.", "failed", "again"]
    assert n.last_error is None and n.deliver_due() == 0


def test_a_restart_never_sends_again(store: HistoryStore, clock: ManualClock) -> None:
    send = FakeSend()
    first = notifier(send, store, clock)
    first.notify(("prod", "restore", "op-1", "completed"), Msg("done"))
    first.deliver_due()
    again = notifier(send, store, clock)  # the app started again on the same database
    again.load()
    assert not again.notify(("prod", "restore", "op-1", "completed"), Msg("done"))
    assert again.deliver_due() == 0 and len(send.calls) == 1
    row = store.notified()["prod|restore|op-1|completed"]
    assert row["sent"] == T0 and row["attempts"] == 1 and stored_note(row["text"]) == Note(Msg("done"))


@pytest.mark.parametrize("url", [None, ""])
def test_disabled_without_a_url(url: str | None, store: HistoryStore, clock: ManualClock) -> None:
    send = FakeSend()
    n = notifier(send, store, clock, url)
    assert not n.enabled
    assert not n.notify(("p", "backup", "t", "failed"), Msg("x"))
    assert n.deliver_due() == 0 and send.calls == [] and n.sent == [] and n.last_error is None
    assert store.notified() == {}


def test_a_failing_webhook_is_retried_with_backoff_then_given_up(store: HistoryStore, clock: ManualClock) -> None:
    send = FakeSend(ChannelFailed(waited=15.0))
    n = notifier(send, store, clock)
    assert n.notify(("p", "restore", "t", "failed"), Msg("The restore failed."))  # no exception
    tries = [n.deliver_due()]
    assert str(n.last_error) == ("The notification could not be sent: The webhook did not answer within 15 sec. "
                                 "Trying again in 30 sec.")
    for delay in RETRY_DELAYS:
        clock.advance(delay - 1)
        tries.append(n.deliver_due())  # not yet
        clock.advance(1)
        tries.append(n.deliver_due())
    assert tries == [1, 0, 1, 0, 1, 0, 1]
    assert len(send.calls) == 1 + len(RETRY_DELAYS) and n.sent == []
    assert "Gave up after 4 tries" in str(n.last_error)
    clock.advance(10_000)
    assert n.deliver_due() == 0
    assert store.notified()["p|restore|t|failed"]["attempts"] == 4


def test_a_retry_that_succeeds_clears_the_error(store: HistoryStore, clock: ManualClock) -> None:
    send = FakeSend(ChannelFailed(status=502))
    n = notifier(send, store, clock)
    n.notify(("a",), Msg("first"))
    n.deliver_due()
    assert n.last_error
    send.fail = None
    clock.advance(RETRY_DELAYS[0])
    n.deliver_due()
    assert n.last_error is None and n.sent == ["first"] and len(send.calls) == 2


def test_a_delivery_waiting_at_shutdown_resumes_after_a_restart(store: HistoryStore, clock: ManualClock) -> None:
    send = FakeSend(ChannelFailed(status=503))
    first = notifier(send, store, clock)
    first.notify(("p", "backup", "op", "completed"), Msg("backup done"))
    first.deliver_due()
    send.fail = None
    again = notifier(send, store, clock)
    again.load()
    assert again.deliver_due() == 1 and again.sent == ["backup done"]
    assert store.notified()["p|backup|op|completed"]["sent"] == T0


def test_the_error_never_shows_the_webhook_url_or_exception_details(store: HistoryStore, clock: ManualClock) -> None:
    n = notifier(FakeSend(ChannelFailed(reached=False)), store, clock)
    n.notify(("a",), Msg("x"))
    n.deliver_due()
    assert "SECRET-TOKEN" not in str(n.last_error) and n.last_error
    n = notifier(FakeSend(RuntimeError(f"boom {URL}")), store, clock)
    n.notify(("b",), Msg("y"))
    n.deliver_due()
    assert str(n.last_error).startswith("The notification could not be sent: The webhook failed in an unexpected way.")
    assert "SECRET-TOKEN" not in str(store.notified())


def test_sent_texts_are_bounded_to_the_newest_twenty(store: HistoryStore, clock: ManualClock) -> None:
    n = notifier(FakeSend(), store, clock)
    for i in range(30):
        n.notify((str(i),), Msg(f"text {i}"))
    n.deliver_due()
    assert n.sent == [f"text {i}" for i in range(10, 30)]


@pytest.mark.slow
def test_delivery_happens_on_its_own_thread(store: HistoryStore, clock: ManualClock) -> None:
    delivered, where = threading.Event(), []

    def send(url: str, body: dict[str, Any]) -> None:
        where.append(threading.current_thread() is threading.main_thread())
        delivered.set()

    n = Notifier(URL, store, send=send, clock=clock)
    n.start()
    try:
        assert n.notify(("p",), Msg("hello"))
        assert delivered.wait(10) and where == [False]
    finally:
        n.stop()


def test_many_threads_one_key_one_send(store: HistoryStore, clock: ManualClock) -> None:
    send = FakeSend()
    n = notifier(send, store, clock)
    barrier = threading.Barrier(8)
    results: list[bool] = []
    lock = threading.Lock()

    def worker() -> None:
        barrier.wait(10)
        sent = n.notify(("same",), Msg("once"))
        with lock:
            results.append(sent)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    n.deliver_due()
    assert sorted(results) == [False] * 7 + [True] and len(send.calls) == 1
