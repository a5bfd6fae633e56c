"""With a passcode, a shared link to a page other than Restore keeps its page and its ?portal= through the
passcode box: the real app in Chromium, as the person the link was shared with uses it."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from simulator import Simulator
from tests.conftest import KEY
from tests.e2e.conftest import wait_for_app
from tests.e2e.test_browser import secrets_for

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("path", ["history", "backups", "portals"])
def test_a_shared_link_keeps_its_page_and_portal_through_the_passcode(browser, app_server, path: str) -> None:
    with Simulator("restore", api_key=KEY) as sim, Simulator("idle", api_key=KEY) as other:
        secrets = secrets_for(sim) + (f'\n[portals.second]\nurl = "{other.url}"\napi_key = "{KEY}"\n'
                                      'allow_insecure_http = true\nlabel = "Second"\n'
                                      '\n[access]\npasscode = "open sesame"\n')
        server = app_server(secrets)
        page = browser.new_page()
        page.goto(f"{server.url}/{path}?portal=second")
        wait_for_app(page)
        page.get_by_role("textbox", name="Passcode").fill("open sesame")
        page.get_by_role("button", name="Open the dashboard").click()
        expect(page.get_by_role("textbox", name="Passcode")).to_have_count(0, timeout=15_000)
        wait_for_app(page)
        assert page.url.startswith(f"{server.url}/{path}?portal=second"), page.url
        heading = {"history": "History", "backups": "Backups", "portals": "All portals"}[path]
        assert page.get_by_test_id("stMain").get_by_role("heading", name=heading).count() >= 1
        page.close()
