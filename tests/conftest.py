"""Shared fixtures: a simulated portal on loopback, a manual clock, and a clean Streamlit process."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import streamlit as st

from lib import clock
from lib.watching import watcher
from simulator import Simulator
from tests.factories import KEY, ManualClock

pytest_plugins = ("tests.pg",)

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _clean_process() -> Iterator[None]:
    """Caches and the app clock are process-wide: every test starts from nothing."""
    st.cache_data.clear()
    st.cache_resource.clear()
    clock.use(None)
    yield
    clock.use(None)
    st.cache_resource.clear()


@pytest.fixture
def manual_clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def portal(manual_clock: ManualClock) -> Iterator[Simulator]:
    """A restore on a simulated portal whose time moves only when a test says so."""
    sim = Simulator("restore", api_key=KEY, clock=manual_clock)
    sim.start()
    yield sim
    sim.stop()


@pytest.fixture
def tick(manual_clock: ManualClock):
    """One AppTest run is one timer tick; the clock moves first, and no tick may raise."""
    clock.use(manual_clock)

    def run(at, advance: float = 0):
        manual_clock.advance(advance)
        settle()
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        settle()  # what the run asked for ("watch again") is fetched before the test looks
        return at

    return run


def settle() -> None:
    """Let the app's watcher fetch whatever is due at the (manual) clock's time, and record it."""
    running = watcher.current()
    if running is not None:
        running.sync()


def chromium_path() -> str | None:
    """Debian's Chromium, which the browser tests drive (Playwright's own download is not used)."""
    for candidate in (os.environ.get("CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium")):
        if candidate and Path(candidate).exists():
            return candidate
    return None
