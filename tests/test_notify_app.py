"""Webhook notifications end to end: the app posts once per event to a receiver on loopback, and a
failure to notify is said on the page without breaking it."""

from __future__ import annotations

import json

import pytest

from simulator import RUNNING_ERROR, Simulator
from tests.apptest import make_app, texts
from tests.canned import Canned
from tests.factories import KEY, ManualClock

pytestmark = pytest.mark.slow  # each waits for a delivery thread over many ticks


def test_completion_is_posted_once(manual_clock: ManualClock, tick) -> None:
    with Canned() as hook, Simulator("restore", api_key=KEY, clock=manual_clock) as sim:
        hook.answer(200)
        at = make_app(sim, notify={"webhook_url": hook.url + "/hook"})
        tick(at)
        tick(at, 700)
        assert hook.got_post.wait(10)
        tick(at)
        tick(at, 10)
    assert len(hook.posted) == 1
    body = json.loads(hook.posted[0])
    assert set(body) == {"text"} and "Production: the restore completed." in body["text"]
    assert KEY not in hook.posted[0].decode()


def test_failed_and_stalled_are_posted(manual_clock: ManualClock, tick) -> None:
    with Canned() as hook, Simulator("fail", api_key=KEY, clock=manual_clock) as sim:
        hook.answer(200)
        at = make_app(sim, notify={"webhook_url": hook.url})
        tick(at)
        tick(at, 400)
        assert hook.got_post.wait(10)
    assert "failed at 42%: The backup file is invalid." in json.loads(hook.posted[0])["text"]
    with Canned() as hook, Simulator("stall", api_key=KEY, clock=manual_clock) as sim:
        hook.answer(200)
        at = make_app(sim, notify={"webhook_url": hook.url})
        for _ in range(20):
            tick(at, 60)
        assert hook.got_post.wait(10)
    assert "has made no progress for" in json.loads(hook.posted[0])["text"]


def test_a_failing_webhook_is_said_and_monitoring_goes_on(manual_clock: ManualClock, tick) -> None:
    with Canned() as hook, Simulator("restore", api_key=KEY, clock=manual_clock) as sim:
        hook.answer(500)
        at = make_app(sim, notify={"webhook_url": hook.url})
        tick(at)
        tick(at, 700)
        assert hook.got_post.wait(10)
        for _ in range(50):  # the delivery thread records the failure right after the answer
            tick(at)
            if "notification could not be sent" in texts(at):
                break
    assert not at.exception
    assert "The notification could not be sent" in texts(at)
    assert "The restore completed." in texts(at)


def test_overdue_schedule_is_posted_once(manual_clock: ManualClock, tick) -> None:
    with Canned() as hook, Simulator("overdue", api_key=KEY, clock=manual_clock) as sim:
        hook.answer(200)
        at = make_app(sim, notify={"webhook_url": hook.url})
        tick(at.switch_page("app_pages/backups.py"))
        assert hook.got_post.wait(10)
        tick(at, 120)
    assert len(hook.posted) == 1
    assert "a scheduled backup is overdue" in json.loads(hook.posted[0])["text"]


def test_an_error_while_running_is_a_warning_and_the_task_is_told_once(manual_clock: ManualClock, tick) -> None:
    """DocSpace sets isCompleted when a job fails; an error text before that is a warning: the page keeps
    watching, nothing says "failed", and when the job goes on and completes, the one message is "completed"."""
    with Canned() as hook, Simulator("restore", api_key=KEY, clock=manual_clock) as sim:
        hook.answer(200)
        at = make_app(sim, notify={"webhook_url": hook.url})
        tick(at)
        tick(at, 150)
        sim.inject("error-running", count=3, path="getrestoreprogress")
        before = sim.requests("getrestoreprogress")
        page = texts(tick(at, 2))
        assert RUNNING_ERROR in page and "still running" in page
        assert "failed" not in page.lower()
        assert not any(RUNNING_ERROR in t.value for t in at.toast)
        tick(at, 2)
        tick(at, 2)
        assert sim.requests("getrestoreprogress") >= before + 3  # live checks went on
        assert not hook.got_post.wait(1)  # no "failed" webhook
        tick(at, 700)
        assert "The restore completed." in texts(at)
        assert hook.got_post.wait(10)
        tick(at, 10)
    assert len(hook.posted) == 1
    assert "the restore completed" in json.loads(hook.posted[0])["text"]
