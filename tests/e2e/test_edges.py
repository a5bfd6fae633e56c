"""Edge cases only a browser shows: a slow portal never freezes a tab, /portals draws every line at once
while some portals hang, and every page passes axe-core's WCAG 2.1 A/AA rules in light and dark.

Screenshots go to $EDGES_SHOTS when that is set (for a person to look at).
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest

from simulator import Simulator
from tests.conftest import KEY
from tests.e2e.conftest import wait_for_app
from tests.e2e.test_browser import secrets_for

pytestmark = pytest.mark.e2e

SHOTS = os.environ.get("EDGES_SHOTS")


def shot(page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


def main_text(page) -> str:
    return page.get_by_test_id("stMain").inner_text()


def test_a_slow_portal_is_read_and_the_tab_never_freezes(browser, app_server) -> None:
    """A portal that answers everything 7 s late (loaded by a restore, but healthy): the page says it is
    waiting, never that the portal cannot be reached, reads the answers once the read timeout has grown,
    and a click in the sidebar is answered at once while a fetch is out."""
    with Simulator("restore", api_key=KEY, latency=7) as sim:
        server = app_server(secrets_for(sim))
        page = browser.new_page()
        began = time.monotonic()
        page.goto(server.url + "/?portal=prod")
        wait_for_app(page)
        assert time.monotonic() - began < 10
        seen: set[str] = set()
        deadline = time.monotonic() + 45
        read = False
        while time.monotonic() < deadline:
            text = main_text(page)
            seen |= {words for words in ("Cannot reach", "did not answer in time", "Waiting for the portal")
                     if words in text}
            if re.search(r"Restoring — \d+%|A restore is queued", text):
                read = True
                break
            page.wait_for_timeout(500)
        assert read, main_text(page)
        assert "Cannot reach" not in seen and "did not answer in time" not in seen, seen
        shot(page, "slow-portal-read")
        # a fetch of 7 s is out right now; the viewer's tab answers a click at once all the same
        clicked = time.monotonic()
        page.get_by_test_id("stSidebar").get_by_text("Pause checking").click()
        page.wait_for_function("() => document.body.innerText.includes('paused: not checking')", timeout=5_000)
        assert time.monotonic() - clicked < 4
        assert page.get_by_test_id("stException").count() == 0
        page.close()
