"""Browser fixtures: the real app served by `streamlit run`, driven by Playwright in Debian's Chromium.

Without Chromium the browser tests skip on a laptop, but fail under CI=true: CI must prove them.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests
from playwright.sync_api import expect

from tests.conftest import ROOT, chromium_path

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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


class AppServer:
    """`streamlit run app.py` on a free loopback port, with the given secrets file (or none: demo)."""

    def __init__(self, secrets: str | None, tmp: Path):
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = tmp / f"streamlit-{self.port}.log"
        args = [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.headless", "true",
                "--server.port", str(self.port), "--server.address", "127.0.0.1",
                "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"]
        secrets_file = tmp / f"secrets-{self.port}.toml"
        secrets = secrets or ""
        if "[history]" not in secrets:  # never the developer's own history beside app.py
            secrets += f'\n[history]\nurl = "sqlite:///{tmp}/history-{self.port}.sqlite3"\n'
        secrets_file.write_text(secrets)
        args += ["--secrets.files", str(secrets_file)]
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self._out = open(self.log, "w")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(args, cwd=tmp, stdout=self._out, stderr=subprocess.STDOUT, env=env)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if requests.get(self.url + "/_stcore/health", timeout=1).text == "ok":
                    return
            except requests.RequestException:
                pass
            if self.proc.poll() is not None:
                break
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"streamlit did not start: {self.log.read_text()[-2000:]}")

    def output(self) -> str:
        self._out.flush()
        return self.log.read_text()

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self._out.close()


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
