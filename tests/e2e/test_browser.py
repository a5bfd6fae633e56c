"""End-to-end: the real app in headless Chromium against the simulator. Few, and about what only a
browser shows: the live timer, the chart drawn, no exception, nothing leaked into the page."""

from __future__ import annotations

import re

import pytest

from simulator import Simulator
from tests.e2e.conftest import wait_for_app
from tests.factories import KEY

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
        page.get_by_test_id("stPlotlyChart").first.wait_for(state="visible", timeout=10_000)
        # the tab title carries the live state, updated by the timer without a reload
        page.wait_for_function("() => /\\d+% · Restoring · Production/.test(document.title)", timeout=10_000)
        page.wait_for_function("() => document.body.innerText.includes('The restore completed.')", timeout=30_000)
        # polling stops by itself: the page offers to watch again and says it is not checking
        page.wait_for_function("() => document.body.innerText.includes('Watch again')", timeout=10_000)
        assert "finished; looking for a new job every 1 min" in page.get_by_test_id("stMain").inner_text()
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


HOSTILE = ("<script>window.__pwned=1</script><img src=x onerror=\"window.__pwned=2\"> "
           "[click me](javascript:window.__pwned=3) **bold** :red[red] https://evil.example \u202egnp.exe")


def test_no_page_leaks_the_key_or_renders_portal_markup(browser, app_server) -> None:
    with Simulator("fail", speed=50, api_key=KEY, error_text=HOSTILE) as sim:
        server = app_server(secrets_for(sim))
        page = browser.new_page()
        for path in ("/", "/backup", "/backups", "/portals"):
            page.goto(f"{server.url}{path}?portal=prod")
            wait_for_app(page)
            page.wait_for_timeout(500)  # let the first tick's fragment draw
            wait_for_app(page)
            assert page.get_by_test_id("stException").count() == 0, path
            html = page.content()
            assert KEY not in html and KEY[3:] not in html, path
            assert KEY not in page.url
        page.goto(f"{server.url}/?portal=prod")
        wait_for_app(page)
        page.wait_for_function("() => document.body.innerText.includes('failed at')", timeout=30_000)
        main = page.get_by_test_id("stMain")
        said = main.inner_text()
        assert "<script>" in said and "[click me](javascript:" in said  # shown as text, literally
        assert page.evaluate("() => window.__pwned") is None
        assert main.locator("img[src='x']").count() == 0
        assert main.locator("a[href^='javascript']").count() == 0
        assert main.locator("a[href*='evil.example']").count() == 0
        assert "\u202e" not in said
        output = server.output()
        assert KEY not in output and KEY[3:] not in output
        page.close()


def test_kiosk_view_has_no_sidebar_or_controls(browser, app_server) -> None:
    with Simulator("restore", speed=5, api_key=KEY) as sim:
        server = app_server(secrets_for(sim))
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.goto(f"{server.url}/?portal=prod&view=kiosk")
        wait_for_app(page)
        page.wait_for_function("() => /Restoring — \\d+%/.test(document.body.innerText)", timeout=20_000)
        assert not page.get_by_test_id("stSidebar").is_visible()
        assert page.get_by_role("button").filter(has_text="Watch again").count() == 0
        assert page.locator("[data-testid='stExpander']").count() == 0
        page.close()


def test_every_page_shows_its_answer(browser, app_server) -> None:
    with Simulator("backup", speed=5, api_key=KEY) as sim:
        server = app_server(secrets_for(sim))
        page = browser.new_page()
        expected = {
            "/backup": r"Backing up — \d+% · creating the backup",
            "/backups": r"Every day at 02:00 UTC, keeps 7 copies",
            "/portals": r"Production[\s\S]*running[\s\S]*Last backup",
            "/": r"No restore is running\.",
        }
        for path, pattern in expected.items():
            page.goto(f"{server.url}{path}?portal=prod")
            wait_for_app(page)
            page.wait_for_function(f"() => /{pattern}/.test(document.body.innerText)", timeout=20_000)
            assert page.get_by_test_id("stException").count() == 0, path
            # opened straight from a shared link, every page still has the app's own navigation and
            # sidebar (not Streamlit's folder-based page list): regression for the pages/ folder name
            page.wait_for_function("() => { const s = document.querySelector('[data-testid=stSidebar]');"
                                   " return s && s.innerText.includes('Check every'); }", timeout=10_000)
            sidebar = page.get_by_test_id("stSidebar").inner_text()
            assert "Restore progress" in sidebar and "\napp\n" not in sidebar, (path, sidebar)
        # the share box carries the page and the portal, ready to copy
        page.goto(f"{server.url}/backups?portal=prod")
        wait_for_app(page)
        page.get_by_text("Share this view").click()
        page.wait_for_function("() => document.body.innerText.includes('/backups?portal=prod&view=kiosk')",
                               timeout=10_000)
        page.close()
