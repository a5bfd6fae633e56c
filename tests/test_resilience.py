"""Failures at page level: one plain sentence, the last known progress with its age, the history kept,
polling going on with backoff, and a stall shown as a warning. Over loopback HTTP to the simulator."""

from __future__ import annotations

import re

import pytest

from simulator import Simulator
from tests.apptest import make_app, texts, timeline_of
from tests.factories import KEY, ManualClock


@pytest.mark.parametrize(
    ("fault", "sentence"),
    [
        ("drop", "The connection to the portal was cut off."),  # the quick run's one case; all run in full
        *[pytest.param(fault, sentence, marks=pytest.mark.slow) for fault, sentence in [
            ("502", "The portal's server is not available right now (error 502)."),
            ("503", "The portal's server is not available right now (error 503)."),
            ("504", "The portal's server is not available right now (error 504)."),
            ("malformed", "The portal sent an answer we could not read."),
            ("wrong-shape", "The portal sent an answer we could not read."),
            ("html-200", "The portal sent an answer we could not read."),
            ("429", "The portal asked us to slow down"),
            ("redirect", "The portal address redirects to another address (elsewhere.example)."),
        ]],
    ],
)
def test_a_failed_check_keeps_the_last_progress_on_screen(portal: Simulator, tick, fault: str, sentence: str) -> None:
    at = make_app(portal)
    tick(at, 10)
    tick(at, 155)  # 28%
    portal.inject(fault, count=100)
    page = texts(tick(at, 60))
    assert sentence in page
    assert re.search(r"28% as of \d\d:\d\d: the portal has not answered for 1 min", page)
    assert "Restoring — 28%" in page  # the last known state stays on screen
    timeline = timeline_of(at)
    assert timeline.points[-1].problem is not None  # the failure is an event on the timeline
    assert [p.percent for p in timeline.progress_points][-1] == 28  # and the history survived
    chart = at.get("plotly_chart")
    assert chart and "Portal not answering" in chart[0].proto.spec


@pytest.mark.slow
def test_backoff_grows_then_the_normal_interval_returns(portal: Simulator, tick) -> None:
    at = make_app(portal)
    tick(at, 10)
    portal.inject("503", count=1000)
    portal.reset_counts()
    for _ in range(12):  # 12 ticks, 2 s apart: with backoff, far fewer than 12 requests
        tick(at, 2)
    failed = portal.requests("getrestoreprogress")
    assert 2 <= failed <= 5
    assert "waiting longer after" in texts(at)
    portal.clear_faults()
    tick(at, 120)  # past the longest wait: the next check succeeds
    portal.reset_counts()
    for _ in range(5):
        tick(at, 2)
    assert portal.requests("getrestoreprogress") == 5  # back to one check per interval
    assert "has not answered" not in texts(at)


def test_retry_after_is_honoured(portal: Simulator, tick) -> None:
    at = make_app(portal)
    tick(at, 10)
    portal.inject("429", count=1)
    tick(at, 2)
    portal.reset_counts()
    tick(at, 5)  # Retry-After is 7 s: not yet
    assert portal.requests("getrestoreprogress") == 0
    tick(at, 3)
    assert portal.requests("getrestoreprogress") == 1


def test_transient_404_is_not_shown(portal: Simulator, tick) -> None:
    at = make_app(portal)
    tick(at, 10)
    portal.inject("404", count=2, path="getrestoreprogress")
    page = texts(tick(at, 40))
    assert "Restoring — 10%" in page and "not found" not in page


def test_persistent_404_is_shown(portal: Simulator, tick) -> None:
    at = make_app(portal)
    tick(at, 10)
    portal.inject("404", count=30, path="getrestoreprogress")
    assert "The portal answered 'not found' (404)." in texts(tick(at, 40))


@pytest.mark.slow
def test_stall_is_a_warning_not_a_failure(manual_clock: ManualClock, tick) -> None:
    with Simulator("stall", api_key=KEY, clock=manual_clock) as sim:
        at = make_app(sim)
        for _ in range(8):
            tick(at, 60)
        page = texts(tick(at, 0))
        assert "No progress for" not in page  # quiet, but not for long yet
        for _ in range(12):
            tick(at, 60)
        page = texts(at)
    assert re.search(r"No progress for \d+ min", page)
    assert "Restoring — 33%" in page
    assert at.warning and not any("failed" in e.value for e in at.error)


@pytest.mark.slow
def test_stall_threshold_is_configurable(manual_clock: ManualClock, tick) -> None:
    with Simulator("stall", api_key=KEY, clock=manual_clock) as sim:
        at = make_app(sim, monitor={"refresh_seconds": 2, "stall_minutes": 30})
        for _ in range(25):
            tick(at, 60)
        assert "No progress for" not in texts(at)
        for _ in range(10):
            tick(at, 60)
        assert "No progress for" in texts(at)
