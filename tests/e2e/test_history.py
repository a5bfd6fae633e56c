"""End-to-end: a restore completes while no tab is open; a tab opened afterwards tells how it ended, and
/history lists it and shows the 30-day strip."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

from lib.db.store import HistoryStore
from simulator import Simulator
from tests.e2e.conftest import wait_for_app
from tests.e2e.test_browser import secrets_for
from tests.factories import KEY

pytestmark = pytest.mark.e2e


def until(check, seconds: float = 60.0) -> None:
    """Wait for what the app records with no browser open (the database is the only witness)."""
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "the watcher did not record it in time"
        time.sleep(0.25)


def test_a_restore_that_ended_unwatched_is_told_to_the_next_visitor(browser, app_server, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/history.sqlite3"
    store = HistoryStore(url)
    with Simulator("restore", speed=30, api_key=KEY) as sim:  # 20 s
        secrets = secrets_for(sim).replace("[monitor]\n", "[monitor]\nidle_seconds = 2\n")  # no waiting a minute
        server = app_server(secrets + f'\n[history]\nurl = "{url}"\n')
        page = browser.new_page()
        page.goto(server.url + "/portals")  # someone glances at the app, which starts watching …
        wait_for_app(page)
        expect(page.get_by_test_id("stMain")).to_contain_text("Production")
        page.close()  # … and leaves: from here on, no tab is open
        # the watcher records the end with nobody looking
        until(lambda: [op.outcome for op in store.operations()] == ["completed"])
        sim.set_scenario("idle")  # the portal now reports no job at all, and the watcher sees it
        until(lambda: (store.states().get("prod:restore:any") or (0, {"progress": 1}))[1]["progress"] is None)

        page = browser.new_page()
        page.goto(server.url + "/?portal=prod")
        wait_for_app(page)
        main = page.get_by_test_id("stMain")
        expect(main).to_contain_text("No restore is running.", timeout=30_000)
        expect(main).to_contain_text("The last restore completed today at")
        page.get_by_role("link", name="See its timeline").click()
        wait_for_app(page)
        expect(main).to_contain_text("The restore on Production", timeout=20_000)  # the new page's run
        expect(page.get_by_test_id("stDataFrame")).to_be_visible(timeout=20_000)
        expect(main).to_contain_text("the last 30 days")
        expect(page.locator("[data-testid='stPlotlyChart']")).to_have_count(2, timeout=20_000)  # strip, timeline
        assert page.get_by_test_id("stException").count() == 0
        page.close()
