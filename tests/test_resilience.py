"""Failures at page level: one plain sentence, the last known progress with its age, the history kept,
polling going on with backoff, and a stall shown as a warning. Over loopback HTTP to the simulator."""

from __future__ import annotations

import re

import pytest

from simulator import LATIN1_TEXT, Simulator
from tests.apptest import make_app, texts, timeline_of
from tests.factories import KEY, ManualClock

SILENT = r"28% as of \d\d:\d\d: the portal has not answered for 1 min"
ANSWERED = r"28% as of \d\d:\d\d is the last state this app could read\."


@pytest.mark.parametrize(
    ("fault", "sentence", "age"),
    [
        ("drop", "The connection to the portal was cut off.", SILENT),  # the quick run's one case; all run in full
        *[pytest.param(fault, sentence, kind, marks=pytest.mark.slow) for fault, sentence, kind in [
            ("502", "The portal's server is not available right now (error 502).", SILENT),
            ("503", "The portal's server is not available right now (error 503).", SILENT),
            ("504", "The portal's server is not available right now (error 504).", SILENT),
            ("malformed", "The portal answered, but with something this app cannot read.", ANSWERED),
            ("wrong-shape", "The portal answered, but with something this app cannot read.", ANSWERED),
            ("html-200", "The portal answered, but with something this app cannot read.", ANSWERED),
            ("429", "The portal asked us to slow down", SILENT),
            ("redirect", "The portal address redirects to another address (elsewhere.example).", ANSWERED),
        ]],
    ],
)
def test_a_failed_check_keeps_the_last_progress_on_screen(portal: Simulator, tick, fault: str, sentence: str,
                                                          age: str) -> None:
    at = make_app(portal)
    tick(at, 10)
    tick(at, 155)  # 28%
    portal.inject(fault, count=100)
    page = texts(tick(at, 60))
    assert sentence in page
    assert re.search(age, page)
    assert "Restoring — 28%" in page  # the last known state stays on screen
    timeline = timeline_of(at)
    assert timeline.points[-1].problem is not None  # the failure is an event on the timeline
    assert [p.percent for p in timeline.progress_points][-1] == 28  # and the history survived
    chart = at.get("plotly_chart")
    legend = ("Portal not answering" if age == SILENT else "Portal moved" if fault == "redirect"
              else "Answer not readable")
    assert chart and legend in chart[0].proto.spec


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
    assert re.search(r"\d+ checks failed, so checks are now \d+ (sec|min) apart instead of 2 sec", texts(at))
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


def test_an_unreadable_answer_is_said_as_such(portal: Simulator, tick) -> None:
    at = make_app(portal)
    tick(at, 10)
    tick(at, 155)  # 28%
    portal.inject("malformed", count=100)
    page = texts(tick(at, 30))
    assert "the portal answered, but with something this app cannot read" in page.lower()
    assert "has not answered" not in page
    assert "Last known: Restoring — 28%" in page and " left" not in page.replace("Time left", "")
    chart = at.get("plotly_chart")
    assert chart and "Answer not readable" in chart[0].proto.spec


def test_a_failed_restore_in_latin1_reaches_the_viewer(portal: Simulator, tick) -> None:
    at = make_app(portal)
    tick(at, 10)
    tick(at, 155)
    portal.inject("latin1", count=100, path="getrestoreprogress")
    page = texts(tick(at, 30))
    assert "The restore failed at 42%." in page
    assert LATIN1_TEXT in page


def test_a_portal_that_moved_to_https_is_told_so(portal: Simulator, tick) -> None:
    portal.inject("https-redirect", count=100)
    page = texts(tick(make_app(portal)))
    assert f"The portal moved to https://{portal.url.removeprefix('http://')}." in page
    assert "Change 'url' in the app's settings" in page
    assert "Cannot reach" not in page and "another address" not in page
