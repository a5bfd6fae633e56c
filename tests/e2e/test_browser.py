"""End-to-end: the real app in headless Chromium against the simulator. Few, and about what only a
browser shows: the live timer, the chart drawn, no exception, nothing leaked into the page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

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
    with Simulator("idle", speed=40, api_key=KEY) as sim:  # a whole restore in 15 s, from when the page is up
        server = app_server(secrets_for(sim))
        page = browser.new_page()
        page.goto(server.url + "/?portal=prod")
        wait_for_app(page)
        main = page.get_by_test_id("stMain")
        expect(main).to_contain_text("No restore is running.", timeout=20_000)
        sim.set_scenario("restore")  # now, or a slow start would first see it at 75 %, where it holds
        expect(main).to_contain_text(re.compile(r"Restoring — \d+%"), timeout=20_000)
        first = hero_percent(page)
        # a number that must grow: beyond what expect can say, so the page is asked directly
        page.wait_for_function(
            f"() => {{ const m = document.body.innerText.match(/Restoring — (\\d+)%/); return m && +m[1] > {first}; }}",
            timeout=20_000)
        expect(page.get_by_test_id("stPlotlyChart").first).to_be_visible(timeout=10_000)
        # the tab title carries the live state, updated by the timer without a reload
        expect(page).to_have_title(re.compile(r"\d+% · Restoring · Production"), timeout=10_000)
        expect(main).to_contain_text("The restore completed.", timeout=30_000)
        # polling stops by itself: the page offers to watch again and says it is not checking
        expect(page.get_by_role("button", name="Watch again")).to_be_visible(timeout=10_000)
        expect(main).to_contain_text("finished; looking for a new job every 1 min")
        expect(page.get_by_test_id("stException")).to_have_count(0)
        html = page.content()
        assert KEY not in html
        assert KEY not in server.output()
        page.close()


def test_demo_mode_loads_with_notice(browser, app_server) -> None:
    server = app_server(None)
    page = browser.new_page()
    page.goto(server.url)
    wait_for_app(page)
    main = page.get_by_test_id("stMain")
    expect(main).to_contain_text("Demo", timeout=20_000)
    expect(main).to_contain_text(re.compile(r"Restoring — \d+%"), timeout=20_000)
    expect(page.get_by_test_id("stException")).to_have_count(0)
    page.close()


#: tests.factories.HOSTILE, with payloads that mark the window if a browser ever runs them
HOSTILE_IN_BROWSER = ("<script>window.__pwned=1</script><img src=x onerror=\"window.__pwned=2\"> "
           "[click me](javascript:window.__pwned=3) **bold** :red[red] https://evil.example \u202egnp.exe")


def test_no_page_leaks_the_key_or_renders_portal_markup(browser, app_server) -> None:
    with Simulator("fail", speed=50, api_key=KEY, error_text=HOSTILE_IN_BROWSER) as sim:
        server = app_server(secrets_for(sim))
        page = browser.new_page()
        main = page.get_by_test_id("stMain")
        # what each page draws once the portal's answer is in (a restore locks the backup endpoints)
        answers = {"/": "The portal says", "/backup": re.compile("No backup is running|being restored"),
                   "/backups": re.compile("Backup files|being restored"), "/portals": "Last backup"}
        for path, answer in answers.items():
            page.goto(f"{server.url}{path}?portal=prod")
            wait_for_app(page)
            expect(main).to_contain_text(answer, timeout=20_000)
            wait_for_app(page)
            expect(page.get_by_test_id("stException")).to_have_count(0)
            html = page.content()
            assert KEY not in html and KEY[3:] not in html, path
            assert KEY not in page.url
        page.goto(f"{server.url}/?portal=prod")
        wait_for_app(page)
        expect(main).to_contain_text("failed at", timeout=30_000)
        expect(main).to_contain_text("<script>")  # shown as text, literally
        expect(main).to_contain_text("[click me](javascript:")
        assert page.evaluate("() => window.__pwned") is None
        expect(main.locator("img[src='x']")).to_have_count(0)
        expect(main.locator("a[href^='javascript']")).to_have_count(0)
        expect(main.locator("a[href*='evil.example']")).to_have_count(0)
        expect(main).not_to_contain_text("\u202e")
        output = server.output()
        assert KEY not in output and KEY[3:] not in output
        page.close()


def test_kiosk_view_has_no_sidebar_or_controls(browser, app_server) -> None:
    with Simulator("restore", speed=5, api_key=KEY) as sim:
        server = app_server(secrets_for(sim))
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.goto(f"{server.url}/?portal=prod&view=kiosk")
        wait_for_app(page)
        expect(page.get_by_test_id("stMain")).to_contain_text(re.compile(r"Restoring — \d+%"), timeout=20_000)
        expect(page.get_by_test_id("stSidebar")).not_to_be_visible()
        expect(page.get_by_role("button").filter(has_text="Watch again")).to_have_count(0)
        expect(page.get_by_test_id("stExpander")).to_have_count(0)
        page.close()


def test_every_page_shows_its_answer(browser, app_server) -> None:
    with Simulator("backup", speed=5, api_key=KEY) as sim:
        server = app_server(secrets_for(sim))
        page = browser.new_page()
        main, sidebar = page.get_by_test_id("stMain"), page.get_by_test_id("stSidebar")
        expected = {
            "/backup": r"Backing up — \d+% · creating the backup",
            "/backups": r"Every day at (02:00|2:00\sAM) UTC, keeps 7 copies",
            "/portals": r"Production[\s\S]*running[\s\S]*Last backup",
            "/": r"No restore is running\.",
        }
        for path, pattern in expected.items():
            page.goto(f"{server.url}{path}?portal=prod")
            wait_for_app(page)
            expect(main).to_contain_text(re.compile(pattern), timeout=20_000)
            expect(page.get_by_test_id("stException")).to_have_count(0)
            # opened straight from a shared link, every page still has the app's own navigation and
            # sidebar (not Streamlit's folder-based page list): regression for the pages/ folder name
            expect(sidebar).to_contain_text("Check every", timeout=10_000)
            expect(sidebar).to_contain_text("Restore progress")
            expect(sidebar).not_to_contain_text(re.compile(r"^app$", re.MULTILINE), use_inner_text=True)
        # the share box carries the page and the portal, ready to copy
        page.goto(f"{server.url}/backups?portal=prod")
        wait_for_app(page)
        page.get_by_text("Share this view").click()
        expect(sidebar).to_contain_text("/backups?portal=prod&view=kiosk", timeout=10_000)
        page.close()
