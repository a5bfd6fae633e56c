"""End-to-end: the app process is stopped mid-restore and started again on the same database. The chart
still shows what was seen before the restart, and the restore is one operation, not two."""

from __future__ import annotations

import re
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

CHART_XS = "() => { const p = document.querySelector('.js-plotly-plot'); return p && p.data ? p.data[0].x : null; }"


def chart_start(page) -> str:
    page.wait_for_function(f"() => {{ const xs = ({CHART_XS})(); return xs && xs.length >= 3; }}", timeout=30_000)
    return page.evaluate(CHART_XS)[0]


def test_a_restart_mid_restore_keeps_the_history_and_the_operation(browser, app_server, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/history.sqlite3"
    with Simulator("idle", speed=12, api_key=KEY) as sim:  # a restore: 10 min at speed 12, 50 s
        secrets = secrets_for(sim) + f'\n[history]\nurl = "{url}"\n'
        first = app_server(secrets)
        page = browser.new_page()
        page.goto(first.url + "/?portal=prod")
        wait_for_app(page)
        expect(page.get_by_test_id("stMain")).to_contain_text("No restore is running.", timeout=30_000)
        sim.set_scenario("restore")  # once the app is up: its 50 s are not spent starting it
        expect(page.get_by_test_id("stMain")).to_contain_text("% · restoring data", timeout=30_000)
        started = chart_start(page)
        page.close()
        first.stop()  # the app process goes away mid-restore
        stopped = time.time()

        second = app_server(secrets)  # and comes back on the same database
        page = browser.new_page()
        page.goto(second.url + "/?portal=prod")
        wait_for_app(page)  # whichever phase it has reached by now (restoring data, or finishing up at 75 %)
        expect(page.get_by_test_id("stMain")).to_contain_text(re.compile(r"Restoring — \d+%"), timeout=30_000)
        assert chart_start(page) == started  # the line begins where it began before the restart
        expect(page.get_by_test_id("stMain")).to_contain_text("The restore completed.", timeout=90_000)
        page.close()
    store = HistoryStore(url)
    (op,) = store.operations()  # one operation, seen by both processes
    points = store.points_of(op.id)
    assert op.outcome == "completed" and op.task_id == sim.task_id
    assert points[0].at < stopped < points[-1].at
