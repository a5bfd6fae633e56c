"""The viewer's language in a real browser: the browser's own (Chromium with locale de-DE), ?lang= in
the link (Japanese), a language we do not ship (English), two viewers in two languages at once, and
the sidebar's picker. The expected words are the catalogue's own, so a better translation never breaks
a test; each test first makes sure the words it expects are not the English ones.

Set LANG_SHOTS=/some/folder to keep a screenshot of each page in each language (desktop and 390 px)."""

from __future__ import annotations

import os
import re
from datetime import datetime
from pathlib import Path

import pytest
from playwright.sync_api import expect

from lib.i18n import Viewer, viewer
from simulator import Simulator
from tests.e2e.conftest import wait_for_app
from tests.e2e.test_browser import secrets_for
from tests.factories import KEY

pytestmark = pytest.mark.e2e
SHOTS = os.environ.get("LANG_SHOTS")


def said(reader: Viewer, text: str, **values: object) -> str:
    words = reader._(text, **values)
    assert reader.language == "en" or words != text, f"{text!r} is not translated into {reader.language}"
    return words


def heading(page, text: str):
    """The page's title (level 1, exactly these words: "Backups" is not "Backup files")."""
    return page.get_by_role("heading", name=text, exact=True, level=1)


def shoot(page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


def test_the_browsers_language_with_its_dates_and_numbers(browser, app_server) -> None:
    de = viewer(None, "de-DE")
    with Simulator("restore", speed=4, api_key=KEY) as sim:
        server = app_server(secrets_for(sim))
        context = browser.new_context(locale="de-DE", timezone_id="Europe/Berlin")
        page = context.new_page()
        page.goto(server.url + "/?portal=prod")
        wait_for_app(page)
        main = page.get_by_test_id("stMain")
        expect(heading(page, said(de, "Restore progress"))).to_be_visible(timeout=20_000)
        expect(main).to_contain_text(said(de, "Restoring"), timeout=20_000)
        expect(main).to_contain_text(re.compile(r"\d+\s%"))  # "42 %": a German percent
        expect(main).to_contain_text(said(de, "times in {zone}", zone="Europe/Berlin"))
        assert "Restore progress" not in main.inner_text()
        expect(page).to_have_title(re.compile(r"\d+\s% · " + re.escape(said(de, "Restoring"))), timeout=10_000)
        page.goto(server.url + "/history?portal=prod")
        wait_for_app(page)
        today = de.day(datetime.now())  # "2. Dez."
        expect(main).to_contain_text(today, timeout=20_000)
        expect(main).to_contain_text(said(de, "Operations"))
        shoot(page, "de-history")
        context.close()


@pytest.mark.parametrize("language", ["ja", "ru", "de"])
def test_a_link_in_a_language_shows_every_page_in_it(browser, app_server, language: str) -> None:
    reader = viewer(language, None)
    with Simulator("restore", speed=4, api_key=KEY) as sim:
        server = app_server(secrets_for(sim))
        for width in (1280, 390):
            page = browser.new_page(viewport={"width": width, "height": 900})
            for path, title in (("/", "Restore progress"), ("/backup", "Backup progress"), ("/backups", "Backups"),
                                ("/portals", "All portals"), ("/history", "History")):
                page.goto(f"{server.url}{path}?portal=prod&lang={language}")
                wait_for_app(page)
                expect(heading(page, said(reader, title))).to_be_visible(timeout=20_000)
                expect(page.get_by_test_id("stException")).to_have_count(0)
                shoot(page, f"{language}-{width}-{path.strip('/') or 'restore'}")
            page.close()


def test_a_language_we_do_not_ship_falls_back_to_english(browser, app_server) -> None:
    with Simulator("restore", speed=4, api_key=KEY) as sim:
        server = app_server(secrets_for(sim))
        context = browser.new_context(locale="sw-KE")  # Swahili: not one of ours
        page = context.new_page()
        page.goto(server.url + "/?portal=prod&lang=xx")
        wait_for_app(page)
        expect(heading(page, "Restore progress")).to_be_visible(timeout=20_000)
        context.close()


def test_two_viewers_in_two_languages_each_read_their_own(browser, app_server) -> None:
    de, ja = viewer("de", None), viewer("ja", None)
    with Simulator("restore", speed=4, api_key=KEY) as sim:
        server = app_server(secrets_for(sim))
        german = browser.new_context(locale="de-DE").new_page()
        japanese = browser.new_context(locale="ja-JP").new_page()
        for page in (german, japanese):
            page.goto(server.url + "/?portal=prod")
        for page in (german, japanese):
            wait_for_app(page)
        for _ in range(2):  # and again after the timer has ticked for both
            expect(german.get_by_test_id("stMain")).to_contain_text(said(de, "Restoring"), timeout=20_000)
            expect(japanese.get_by_test_id("stMain")).to_contain_text(said(ja, "Restoring"), timeout=20_000)
            assert said(ja, "Restoring") not in german.get_by_test_id("stMain").inner_text()
            assert said(de, "Restoring") not in japanese.get_by_test_id("stMain").inner_text()
            for page in (german, japanese):  # the next tick of the 2 s timer redraws both pages
                page.wait_for_function("t => document.querySelector('[data-testid=stMain]').innerText !== t",
                                       arg=page.get_by_test_id("stMain").inner_text(), timeout=20_000)


def test_the_sidebar_picks_a_language_and_the_link_keeps_it(browser, app_server) -> None:
    fr = viewer("fr", None)
    with Simulator("restore", speed=4, api_key=KEY) as sim:
        server = app_server(secrets_for(sim))
        page = browser.new_page()
        page.goto(server.url + "/?portal=prod")
        wait_for_app(page)
        page.get_by_test_id("stSidebar").get_by_label(said(viewer("en", None), "Language")).click()
        page.get_by_role("option", name="Français").click()
        expect(heading(page, said(fr, "Restore progress"))).to_be_visible(timeout=20_000)
        expect(page).to_have_url(re.compile(r"lang=fr"))
        page.get_by_test_id("stSidebarNav").get_by_text(said(fr, "History")).click()
        expect(heading(page, said(fr, "History"))).to_be_visible(timeout=20_000)
