"""Real viewers for the load tool: headless Chromium tabs (Debian's /usr/bin/chromium) driven by Playwright.

Each tab's websocket frames are fed to the same :class:`~bench.load_proto.Tracker` as the protocol
client's, so ticks, latency and bytes are measured the same way; the timers are the page's own.
"""

from __future__ import annotations

import asyncio
import time

from bench.load_proto import Tracker

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


class Browser:
    """One headless Chromium; every viewer is a tab in one context (the viewer's time zone set)."""

    def __init__(self, timezone: str = "Europe/Berlin"):
        self.timezone = timezone
        self._pw = None
        self.browser = None
        self.context = None

    async def start(self) -> None:
        from playwright.async_api import async_playwright

        self._pw = await async_playwright().start()
        self.browser = await self._pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        self.context = await self.browser.new_context(timezone_id=self.timezone, locale="en-US")

    async def stop(self) -> None:
        if self.browser is not None:
            await self.browser.close()
        if self._pw is not None:
            await self._pw.stop()


class BrowserViewer:
    """A Chromium tab with the page open; the same surface as :class:`~bench.load_proto.ProtocolViewer`."""

    def __init__(self, browser: Browser, base_url: str, query: str):
        self.browser = browser
        self.url = f"{base_url}/?{query}"
        self.tracker = Tracker(query_string=query)
        self.connected_at: float | None = None
        self.closed_by_us = False
        self.dropped: str | None = None
        self.timer_lag: list[float] = []  # the page's own timers: not observable from here
        self._page = None
        self._done = asyncio.Event()

    async def run(self) -> None:
        try:
            self._page = await self.browser.context.new_page()
            self._page.on("websocket", self._on_websocket)
            await self._page.goto(self.url, wait_until="commit", timeout=60_000)
            await self._done.wait()
        except Exception as exc:  # noqa: BLE001 - any browser failure is this viewer's error
            if not self.closed_by_us:
                self.dropped = f"browser: {type(exc).__name__}: {exc}"[:300]
                self.tracker.errors.append((time.monotonic(), self.dropped))

    def _on_websocket(self, ws) -> None:
        if "_stcore/stream" not in ws.url:
            return
        self.connected_at = self.connected_at or time.monotonic()
        ws.on("framesent", lambda payload: self._frame(self.tracker.on_sent, payload))
        ws.on("framereceived", lambda payload: self._frame(self.tracker.on_received, payload))
        ws.on("close", lambda _ws: self._on_close())

    def _frame(self, handler, payload) -> None:
        if isinstance(payload, bytes):
            handler(payload, time.monotonic())
        else:
            self.tracker.errors.append((time.monotonic(), "text frame on the websocket"))

    def _on_close(self) -> None:
        if not self.closed_by_us:
            self.dropped = "the tab's websocket closed"
            self.tracker.errors.append((time.monotonic(), self.dropped))

    def stop_timers(self) -> None:
        """A tab's timers are its own; they stop when the tab closes."""

    async def close(self) -> None:
        self.closed_by_us = True
        try:
            if self._page is not None:
                await self._page.close()
        except Exception:  # noqa: BLE001 - a tab that is already gone is closed
            pass
        finally:
            self._done.set()
