"""What a late visitor learns: how the last operation ended (on the live pages) and the History page,
in AppTest against the simulator; the watcher records whether or not anyone looks."""

from __future__ import annotations

import re

import pytest

from simulator import ManualClock, Simulator
from tests.apptest import make_app, texts
from tests.factories import KEY


def ended_job(manual_clock: ManualClock, tick, scenario: str, **sim_kw) -> tuple[object, Simulator]:
    sim = Simulator(scenario, api_key=KEY, clock=manual_clock, **sim_kw)
    sim.start()
    at = make_app(sim)
    tick(at)
    tick(at, 60)
    for _ in range(8):  # 10 minutes: any scenario has ended
        tick(at, 75)
    sim.set_scenario("idle")  # then the portal reports no job at all
    tick(at, 60)
    tick(at, 5)
    return at, sim


@pytest.mark.parametrize(("scenario", "page", "sentence"), [
    ("restore", "app_pages/restore.py", r"The last restore completed today at \d\d:\d\d, after 1[01] min\."),
    pytest.param("fail", "app_pages/restore.py",
                 r"The last restore failed today at \d\d:\d\d at 42%: “The backup file is invalid\.”",
                 marks=pytest.mark.slow),
    pytest.param("cancel", "app_pages/backup.py", r"The last backup was cancelled today at \d\d:\d\d at 45%\.",
                 marks=pytest.mark.slow),
    pytest.param("backup", "app_pages/backup.py", r"The last backup completed today at \d\d:\d\d, after [56] min\.",
                 marks=pytest.mark.slow),
])
def test_no_job_now_says_how_the_last_one_ended(manual_clock: ManualClock, tick, scenario: str, page: str,
                                                sentence: str) -> None:
    at, sim = ended_job(manual_clock, tick, scenario)
    try:
        tick(at.switch_page(page))
        words = texts(at)
        assert re.search(r"No (restore|backup) is running\.", words)
        assert re.search(sentence, words), words
        (link,) = [p for p in at.get("page_link") if p.proto.label == "See its timeline"]
        assert link.proto.page.endswith("history") and "operation=" in link.proto.query_string
    finally:
        sim.stop()


def test_nothing_recorded_yet_is_said(manual_clock: ManualClock, tick) -> None:
    with Simulator("idle", api_key=KEY, clock=manual_clock) as sim:
        at = tick(make_app(sim))
        assert "No restore is running." in texts(at)
        assert "No restore has been recorded here yet." in texts(at)


def test_history_lists_every_operation_newest_first_and_shows_one_timeline(manual_clock: ManualClock, tick) -> None:
    at, sim = ended_job(manual_clock, tick, "fail")
    try:
        sim.set_scenario("restore")  # a second restore, still running
        tick(at, 5)
        tick(at, 200)
        tick(at.switch_page("app_pages/history.py"))
        table = at.dataframe[0].value
        assert list(table["Operation"]) == ["restore", "restore"]
        assert list(table["Outcome"]) == ["running", "failed at 42%"]
        assert list(table["The portal said"]) == ["", "The backup file is invalid."]
        assert table.columns[2] == "Started (UTC)" and table["Took"][1] == "2 min"
        assert "Select an operation to see its timeline." in texts(at)
        assert at.download_button[0].label == "Download the list (CSV)"
        strips = [c for c in at.get("plotly_chart") if "strip" in c.proto.id]
        assert len(strips) == 1 and "Backed up on" in texts(at)  # one 30-day strip per portal, and its summary
        at.selectbox(key="history_outcome").set_value("failed")
        tick(at)
        assert list(at.dataframe[0].value["Outcome"]) == ["failed at 42%"]
    finally:
        sim.stop()


def test_a_link_to_one_operation_shows_its_timeline(manual_clock: ManualClock, tick) -> None:
    at, sim = ended_job(manual_clock, tick, "restore")
    try:
        tick(at.switch_page("app_pages/restore.py"))
        link = next(p for p in at.get("page_link") if p.proto.label == "See its timeline")
        for name, value in (pair.split("=", 1) for pair in link.proto.query_string.split("&")):
            at.query_params[name] = value  # as if the link was followed
        tick(at.switch_page("app_pages/history.py"))
        assert "The restore on Production" in texts(at) and "completed" in texts(at)
        assert any("history-chart" in c.proto.id for c in at.get("plotly_chart"))
    finally:
        sim.stop()
