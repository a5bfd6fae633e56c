"""A file name the portal sends is copied from the page as it is (no invisible characters ride along into
DocSpace's search box), long ones break at the edge of their box, and addresses still never become links."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from simulator import Simulator
from tests.conftest import KEY
from tests.e2e.conftest import wait_for_app
from tests.e2e.test_browser import secrets_for

pytestmark = pytest.mark.e2e

NAME = "docspace_backup_2026-11-28_02-00-00_averyveryverylongportalnamewithoutanybreakopportunity.tar.gz"
ERROR = (f"The backup file {NAME} is invalid. See https://evil.example/x, www.evil.example or write to "
         "admin@evil.example")


def test_a_file_name_is_copied_as_it_is_and_addresses_are_no_links(browser, app_server) -> None:
    with Simulator("fail", speed=50, api_key=KEY, error_text=ERROR) as sim:
        server = app_server(secrets_for(sim))
        page = browser.new_page(viewport={"width": 480, "height": 900})
        page.goto(f"{server.url}/?portal=prod")
        wait_for_app(page)
        main = page.get_by_test_id("stMain")
        expect(main).to_contain_text("failed at", timeout=30_000)
        box = main.get_by_test_id("stMarkdownContainer").filter(has_text="The backup file").first
        copied = box.inner_text()
        assert NAME in copied and "\u2060" not in copied.split("See")[0]  # what a person copies
        links = main.locator("a[href*='evil.example']")
        assert links.count() == 0, [links.nth(i).evaluate("e => e.outerHTML") for i in range(links.count())]
        assert box.evaluate("e => getComputedStyle(e).overflowWrap") == "anywhere"
        width = box.evaluate("e => e.scrollWidth <= e.clientWidth + 1")
        assert width  # the long name breaks inside its box instead of running out of it
        page.close()
