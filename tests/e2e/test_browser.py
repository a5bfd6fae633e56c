"""End-to-end: the real app in headless Chromium against the simulator. Few, and about what only a
browser shows: the live timer, the chart drawn, no exception, nothing leaked into the page."""

from __future__ import annotations

import re

import pytest

from lib.simulator import Simulator
from tests.conftest import KEY
from tests.e2e.conftest import wait_for_app

pytestmark = pytest.mark.e2e


def secrets_for(sim: Simulator, refresh: int = 2) -> str:
    return (f'[portals.prod]\nurl = "{sim.url}"\napi_key = "{KEY}"\nlabel = "Production"\n\n'
            f"[monitor]\nrefresh_seconds = {refresh}\n")


def hero_percent(page) -> int | None:
    text = page.get_by_test_id("stMain").inner_text()
    match = re.search(r"(?:Restoring|Backing up) — (\d+)%", text)
    return int(match.group(1)) if match else None


def test_restore_goes_live_to_completion(browser, app_server) -> None:
    with Simulator("restore", speed=40, api_key=KEY) as sim:  # a whole restore in 15 s
        server = app_server(secrets_for(sim))
        page = browser.new_page()
        page.goto(server.url + "/?portal=prod")
        wait_for_app(page)
        page.wait_for_function("() => /Restoring — \\d+%/.test(document.body.innerText)", timeout=20_000)
        first = hero_percent(page)
        page.wait_for_function(
            f"() => {{ const m = document.body.innerText.match(/Restoring — (\\d+)%/); return m && +m[1] > {first}; }}",
            timeout=20_000)
        assert page.get_by_test_id("stPlotlyChart").count() == 1
        # the tab title carries the live state, updated by the timer without a reload
        page.wait_for_function("() => /\\d+% · Restoring · Production/.test(document.title)", timeout=10_000)
        page.wait_for_function("() => document.body.innerText.includes('The restore completed.')", timeout=30_000)
        # polling stops by itself: the page offers to watch again and says it is not checking
        page.wait_for_function("() => document.body.innerText.includes('Watch again')", timeout=10_000)
        assert "not checking" in page.get_by_test_id("stMain").inner_text()
        assert page.get_by_test_id("stException").count() == 0
        html = page.content()
        assert KEY not in html
        assert KEY not in server.output()
        page.close()


def test_demo_mode_loads_with_notice(browser, app_server) -> None:
    server = app_server(None)
    page = browser.new_page()
    page.goto(server.url)
    wait_for_app(page)
    page.wait_for_function("() => document.body.innerText.includes('Demo')", timeout=20_000)
    page.wait_for_function("() => /Restoring — \\d+%/.test(document.body.innerText)", timeout=20_000)
    assert page.get_by_test_id("stException").count() == 0
    page.close()
