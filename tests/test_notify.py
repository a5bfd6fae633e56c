"""notify.Notifier: each event once, off without a URL, and a failing webhook never raises."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from lib.errors import PortalUnreachable, ServerError
from lib.notify import MAX_REMEMBERED, Notifier

URL = "https://hooks.example.com/services/T0/B0/SECRET-TOKEN"


class FakeSend:
    def __init__(self, fail: BaseException | None = None) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.fail = fail

    def __call__(self, url: str, body: dict[str, Any]) -> None:
        self.calls.append((url, body))
        if self.fail is not None:
            raise self.fail


def notifier(send: FakeSend, url: str | None = URL) -> Notifier:
    return Notifier(url, send, background=False)


def test_each_key_is_sent_once() -> None:
    send = FakeSend()
    n = notifier(send)
    key = ("prod", "restore", "task-1", "completed")
    assert n.enabled
    assert n.notify(key, "The restore on prod completed.")
    assert not n.notify(key, "The restore on prod completed.")
    assert not n.notify(key, "different text, same event")
    assert send.calls == [(URL, {"text": "The restore on prod completed."})]
    assert n.notify(("prod", "restore", "task-1", "failed"), "failed")
    assert n.notify(("prod", "restore", "task-2", "completed"), "again")
    assert len(send.calls) == 3 and n.sent == ["The restore on prod completed.", "failed", "again"]
    assert n.last_error == ""


@pytest.mark.parametrize("url", [None, ""])
def test_disabled_without_a_url(url: str | None) -> None:
    send = FakeSend()
    n = notifier(send, url)
    assert not n.enabled
    assert not n.notify(("p", "backup", "t", "failed"), "x")
    assert send.calls == [] and n.sent == [] and n.last_error == ""


def test_a_failing_webhook_is_remembered_not_raised() -> None:
    send = FakeSend(PortalUnreachable("timeout"))
    n = notifier(send)
    assert n.notify(("p", "restore", "t", "failed"), "The restore failed.")  # no exception
    assert len(send.calls) == 1
    assert n.last_error.startswith("The notification could not be sent")
    assert "did not answer in time" in n.last_error
    assert n.sent == []


def test_the_error_never_shows_the_webhook_url_or_exception_details() -> None:
    n = notifier(FakeSend(PortalUnreachable("dns", detail=URL)))
    n.notify(("a",), "x")
    assert "SECRET-TOKEN" not in n.last_error and n.last_error
    n = notifier(FakeSend(RuntimeError(f"boom {URL}")))
    n.notify(("b",), "y")
    assert n.last_error == "The notification could not be sent (unexpected error)."


def test_a_later_success_clears_the_error() -> None:
    send = FakeSend(ServerError(status=502))
    n = notifier(send)
    n.notify(("a",), "first")
    assert n.last_error
    send.fail = None
    n.notify(("b",), "second")
    assert n.last_error == "" and n.sent == ["second"]


def test_sent_texts_are_bounded_to_the_newest_twenty() -> None:
    n = notifier(FakeSend())
    for i in range(30):
        n.notify((str(i),), f"text {i}")
    assert n.sent == [f"text {i}" for i in range(10, 30)]


def test_remembered_keys_are_bounded() -> None:
    send = FakeSend()
    n = notifier(send)
    for i in range(MAX_REMEMBERED + 1):
        assert n.notify(("k", str(i)), "x")
    assert not n.notify(("k", str(MAX_REMEMBERED)), "x")  # recent: still remembered
    assert n.notify(("k", "0"), "x")  # the oldest was forgotten to bound memory
    assert len(send.calls) == MAX_REMEMBERED + 2


def test_background_delivery_happens_on_another_thread() -> None:
    delivered, where = threading.Event(), []

    def send(url: str, body: dict[str, Any]) -> None:
        where.append(threading.current_thread() is threading.main_thread())
        delivered.set()

    n = Notifier(URL, send)
    assert n.notify(("p",), "hello")
    assert delivered.wait(10) and where == [False]


def test_many_threads_one_key_one_send() -> None:
    send = FakeSend()
    n = notifier(send)
    barrier = threading.Barrier(8)
    results: list[bool] = []
    lock = threading.Lock()

    def worker() -> None:
        barrier.wait(10)
        sent = n.notify(("same",), "once")
        with lock:
            results.append(sent)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert sorted(results) == [False] * 7 + [True] and len(send.calls) == 1
