"""Browser fixtures: the real app served by `streamlit run`, driven by Playwright in Debian's Chromium.

Without Chromium the browser tests skip on a laptop, but fail under CI=true: CI must prove them.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.conftest import chromium_path
from tests.servers import AppServer

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="session")
def browser():
    path = chromium_path()
    if path is None:
        if os.environ.get("CI") == "true":
            pytest.fail("Chromium is missing: CI must run the browser tests (apt-get install chromium).")
        pytest.skip("Chromium is not installed (apt-get install chromium); browser tests skipped locally.")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=path, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def app_server(tmp_path: Path) -> Iterator[Callable[[str | None], AppServer]]:
    servers: list[AppServer] = []

    def start(secrets: str | None) -> AppServer:
        server = AppServer(secrets, tmp_path)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def wait_for_app(page, timeout: float = 30_000) -> None:
    """Streamlit's own readiness signal, as its e2e harness waits for it: connected to the server, the
    script not running, and no element still a loading skeleton."""
    expect(page.locator("[data-testid='stApp'][data-test-connection-state='CONNECTED']")).to_be_attached(
        timeout=timeout)
    expect(page.locator("[data-testid='stApp'][data-test-script-state='notRunning']")).to_be_attached(
        timeout=timeout)
    expect(page.get_by_test_id("stSkeleton")).to_have_count(0, timeout=timeout)
