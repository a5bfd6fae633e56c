"""The restore page in AppTest: each tick is one timer tick against the simulator over loopback HTTP."""

from __future__ import annotations

import os
import re
import socket

import pytest

from simulator import Simulator
from tests.apptest import app, make_app, texts, timeline_of
from tests.factories import KEY, ManualClock


def test_percent_grows_tick_by_tick(portal: Simulator, tick) -> None:
    at = make_app(portal)
    tick(at)
    assert "A restore is queued and about to start." in texts(at)
    tick(at, 10)
    assert "Restoring — 0% · preparing" in texts(at)
    tick(at, 35)
    assert "Restoring — 10% · restoring data" in texts(at)
    tick(at, 120)
    page = texts(at)
    assert "Restoring — 28% · restoring data" in page
    assert "last change" in page and "started" in page
    tick(at, 300)
    assert "Restoring — 75% · finishing up" in texts(at)
    timeline = timeline_of(at)
    assert [p.percent for p in timeline.progress_points] == [0, 0, 10, 28, 75]
    assert timeline.tenants == [1, 2]


def test_completion_stops_polling(portal: Simulator, tick) -> None:
    at = make_app(portal)
    tick(at)
    tick(at, 200)
    tick(at, 500)
    page = texts(at)
    assert "The restore completed." in page
    assert "Finished at" in page
    assert any(b.label == "Watch again" for b in at.button)
    requests_before = portal.requests("getrestoreprogress")
    tick(at, 30)
    assert portal.requests("getrestoreprogress") == requests_before  # live polling stopped
    assert "finished; looking for a new job every 1 min" in texts(at)
    tick(at, 35)  # a minute after the end: one slow look for a new job
    assert portal.requests("getrestoreprogress") == requests_before + 1
    requests_before += 1
    next(b for b in at.button if b.label == "Watch again").click()
    tick(at, 5)
    assert portal.requests("getrestoreprogress") == requests_before + 1


def test_a_new_job_after_the_end_is_picked_up(portal: Simulator, tick) -> None:
    at = make_app(portal)
    tick(at)
    tick(at, 700)
    assert "The restore completed." in texts(at)
    portal.set_scenario("restore")  # someone starts another restore; nobody presses a button
    tick(at, 70)  # the slow after-the-end check sees it
    tick(at, 0)
    page = texts(at)
    assert re.search(r"Restoring — \d+% · restoring data", page)
    assert "Watch again" not in [b.label for b in at.button]


def test_failure_shows_the_portals_message(manual_clock: ManualClock, tick) -> None:
    with Simulator("fail", api_key=KEY, clock=manual_clock) as sim:
        at = make_app(sim)
        tick(at)
        tick(at, 400)
        page = texts(at)
    assert "The restore failed at 42%." in page
    assert "The backup file is invalid" in page


def test_idle_portal_says_no_restore_running(manual_clock: ManualClock, tick) -> None:
    with Simulator("idle", api_key=KEY, clock=manual_clock) as sim:
        at = tick(make_app(sim))
    assert "No restore is running." in texts(at)
    assert not at.get("plotly_chart")


def test_unreachable_portal_keeps_history_and_says_so(portal: Simulator, tick) -> None:
    at = make_app(portal)
    tick(at)
    tick(at, 120)
    portal.inject("drop", count=50)
    tick(at, 30)
    page = texts(at)
    assert "as of" in page and "has not answered" in page
    timeline = timeline_of(at)
    assert timeline.points[-1].problem is not None
    assert len(timeline.progress_points) >= 2  # the history survived


@pytest.mark.parametrize(
    ("secrets", "words"),
    [
        ({"portals": {"prod": {"api_key": KEY}}}, "portals.prod.url"),
        ({"portals": {"prod": {"url": "http://example.com"}}}, "not encrypted"),
        ({"portals": {"prod": {"url": "https://x.example", "colour": "red"}}}, "portals.prod.colour"),
        ({"monitor": {"refresh_seconds": "fast"}}, "monitor.refresh_seconds"),
    ],
)
def test_bad_secrets_show_one_clear_message(tick, secrets: dict, words: str) -> None:
    at = tick(app(**secrets))  # no exception
    message = re.sub(r"\\(.)", r"\1", at.error[0].value.replace("\u2060", ""))
    assert "settings need fixing" in message
    assert words in message


def test_a_late_viewer_sees_the_history_and_shares_one_request(portal: Simulator, tick) -> None:
    first = make_app(portal)
    tick(first)
    tick(first, 45)
    tick(first, 120)
    before = portal.requests("getrestoreprogress")
    late = make_app(portal)  # another browser session in the same app process
    tick(late)
    timeline = timeline_of(late)
    assert [p.percent for p in timeline.progress_points] == [0, 10, 28]
    assert portal.requests("getrestoreprogress") == before  # served from the shared poll, no new request
    assert late.get("plotly_chart")


@pytest.mark.parametrize(("fault", "words", "not_said"), [
    ("complete-early", "DocSpace reports the restore complete at 27%.", "Done: 100%"),
    ("over-100", "DocSpace reported 140%; shown as 100%.", "Done: 140%"),
    ("unknown-kind", "An operation of a kind this app does not know (7) — 27%", "transferring"),
])
def test_odd_values_are_told_as_the_portal_said_them(portal: Simulator, tick, fault: str, words: str,
                                                     not_said: str) -> None:
    at = make_app(portal)
    tick(at)
    tick(at, 150)  # 26%
    portal.inject(fault, count=100, path="getrestoreprogress")
    page = texts(tick(at, 5))  # 27%
    assert words in page
    assert not_said not in page
    if fault == "complete-early":
        assert "Reported complete at 27%" in at.get("plotly_chart")[0].proto.spec


def test_an_unknown_portal_in_the_link_is_said_and_the_link_still_works(portal: Simulator, tick) -> None:
    at = make_app(portal)
    at.query_params["portal"] = "staging"
    page = texts(tick(at))
    assert "There is no portal named 'staging' here; showing Production." in page
    assert "A restore is queued and about to start." in page  # the page works, for the portal it names
    assert at.query_params["portal"] == ["staging"] or at.query_params["portal"] == "staging"  # link kept
    at.query_params["portal"] = "prod"
    assert "There is no portal named" not in texts(tick(at))


def test_a_setting_out_of_range_is_said_once(portal: Simulator, tick) -> None:
    at = make_app(portal, monitor={"refresh_seconds": 10_000})
    note = "'monitor.refresh_seconds' is 10000, more than the longest allowed, so the app checks every 5 min."
    assert note in texts(tick(at))
    assert note not in texts(tick(at, 5))  # once: not on every run


def test_a_restore_first_seen_midway_is_watched_for_not_running_for(portal: Simulator, manual_clock: ManualClock,
                                                                    tick) -> None:
    manual_clock.advance(150)  # the restore is at 26% when the app first looks
    at = make_app(portal)
    tick(at)
    page = texts(tick(at, 8))
    assert "Watched for: 8 s" in page and "Running for" not in page
    assert "first seen" in page and "at 26%" in page


def test_the_details_say_which_copy_watches(portal: Simulator, tick) -> None:
    at = make_app(portal)
    tick(at, 60)
    page = texts(at)
    assert f"**Watched by:** This copy of the app, on {socket.gethostname()} (process {os.getpid()}), since" in page
    assert page.count("Watched by") == 1  # in Details, and nowhere else


def test_app_py_run_as_a_page_script_still_shows_the_pages(portal: Simulator, tick) -> None:
    """A host that runs app.py as the script (not as the st.App it holds) gets the same pages."""
    at = make_app(portal, "app.py")
    tick(at, 45)
    assert "Restoring — 10% · restoring data" in texts(at)
    tick(at.switch_page("app_pages/portals.py"))
    assert "Now:** Restoring · 10% · restoring data" in texts(at)
