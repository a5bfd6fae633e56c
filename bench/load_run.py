"""One load measurement's parts, shared by bench/load.py (steady) and bench/load_soak.py (the soak):
the processes (the simulated portal and the real app), the viewers' start and end, and the window's numbers."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import shutil
import subprocess
import time
from pathlib import Path

from bench.load_procs import App, Portal, Sample, portal_speed, rss_mb
from bench.load_proto import ProtocolViewer

QUERY = "portal=prod"
REQUIRED = ("viewers", "server_cpu_percent", "cpu_ms_per_tick", "rss_mb", "p50_tick_ms", "p95_tick_ms",
            "bytes_per_tick", "portal_requests_per_interval", "errors")


def pct(values: list[float], q: float) -> float | None:
    """The q-th percentile (nearest rank), or None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q / 100 * len(ordered)) - 1))]


async def sleep_until(moment: float) -> None:
    await asyncio.sleep(max(0.0, moment - time.monotonic()))


async def wait_for(condition, timeout: float, step: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(step)
    return True


def start_profiler(path: Path, pid: int, seconds: float) -> subprocess.Popen:
    """py-spy on the server for the window: collapsed stacks for ``python -m bench.load_profile``. With
    ``--gil`` only the thread holding the GIL is sampled, which is where this server's CPU goes (a
    waiting thread does not count; C code that lets the GIL go, like socket I/O, is under-counted)."""
    spy = shutil.which("py-spy")
    if spy is None:
        raise SystemExit("--profile needs py-spy on PATH (pip install py-spy; not a project requirement)")
    return subprocess.Popen([spy, "record", "--pid", str(pid), "--duration", str(max(1, int(seconds))),
                             "--rate", "200", "--nonblocking", "--gil", "--format", "raw", "--output", str(path)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


class Run:
    """The processes and the viewer factory one measurement needs."""

    def __init__(self, args: argparse.Namespace, tmp: Path, run_seconds: float):
        self.args = args
        self.speed = args.speed or portal_speed(run_seconds)
        self.portal = Portal(tmp, self.speed)
        try:
            self.app = App(tmp, self.portal.url, args.interval, args.server_arg or [])
        except Exception:
            self.portal.stop()
            raise
        self.browser = None

    async def start(self) -> None:
        """Warm the server with one session's first run (imports, the shared poller); then a baseline."""
        warm = ProtocolViewer(self.app.url, QUERY)
        task = asyncio.create_task(warm.run())
        if not await wait_for(lambda: warm.tracker.runs or warm.dropped, 120):
            raise RuntimeError("the app did not finish its first run in 120 s")
        await warm.close()
        await task
        if self.args.browser:
            from bench.load_browser import Browser

            self.browser = Browser()
            await self.browser.start()
        await asyncio.sleep(1)
        self.rss_base = rss_mb(self.app.pid)
        self.idle_cpu = 0.0  # the server's own background CPU with nobody watching (seconds per second)
        if self.args.idle_seconds:
            before = self.sample()
            await asyncio.sleep(self.args.idle_seconds)
            after = self.sample()
            self.idle_cpu = (after.app - before.app) / (after.at - before.at)

    def viewer(self):
        if self.browser is not None:
            from bench.load_browser import BrowserViewer

            return BrowserViewer(self.browser, self.app.url, QUERY)
        return ProtocolViewer(self.app.url, QUERY)

    def sample(self) -> Sample:
        return Sample(self.app.pid, self.portal.proc.pid)

    async def requests(self) -> tuple[int, int]:
        progress = await asyncio.to_thread(self.portal.requests, "getrestoreprogress")
        return progress, await asyncio.to_thread(self.portal.requests, "")

    async def stop(self) -> None:
        if self.browser is not None:
            await self.browser.stop()
        self.app.stop()
        self.portal.stop()


async def close_all(viewers: list, tasks: list[asyncio.Task]) -> None:
    for viewer in viewers:
        with contextlib.suppress(TimeoutError, OSError):
            await asyncio.wait_for(viewer.close(), 10)
    if tasks:
        await asyncio.wait(tasks, timeout=15)


def add_idle(result: dict, run: Run, s0: Sample, s1: Sample) -> None:
    """The server's background CPU (measured before the viewers came) and the per-tick CPU without it."""
    result["server_idle_cpu_percent"] = round(run.idle_cpu * 100, 2)
    if result["ticks"] and run.args.idle_seconds:
        net = (s1.app - s0.app) - run.idle_cpu * (s1.at - s0.at)
        result["cpu_ms_per_tick_net"] = round(net * 1000 / result["ticks"], 1)


def measure(viewers: list, s0: Sample, s1: Sample, req0: tuple[int, int], req1: tuple[int, int],
            args: argparse.Namespace, unfinished: int, until: float) -> dict:
    """The window's numbers from every viewer's tracker and the two samples."""
    start, end, interval = s0.at, s1.at, args.interval
    seconds = end - start
    ticks = [t for v in viewers for t in v.tracker.ticks if t.fragment and start <= t.sent < end]
    latency = [(t.finished - t.sent) * 1000 for t in ticks]
    first = [(t.finished - t.sent) * 1000 for v in viewers for t in v.tracker.ticks if not t.fragment]
    runs = [r for v in viewers for r in v.tracker.runs if start <= r[0] < end]
    tick_runs = [r for r in runs if r[2]] or runs
    errors = [msg for v in viewers for at, msg in v.tracker.errors if at < until]
    count = len(errors) + unfinished
    if unfinished:
        errors.append(f"{unfinished} tick(s) never finished")
    server_cpu = s1.app - s0.app
    lag = [x * 1000 for v in viewers for x in v.timer_lag]
    return {
        "mode": "browser" if args.browser else "protocol",
        "viewers": args.viewers,
        "interval": interval,
        "seconds": round(seconds, 1),
        "server_args": args.server_arg or [],
        "server_cpu_percent": round(server_cpu / seconds * 100, 1),
        "cpu_ms_per_tick": round(server_cpu * 1000 / len(runs), 1) if runs else None,
        "p50_tick_ms": _ms(pct(latency, 50)),
        "p95_tick_ms": _ms(pct(latency, 95)),
        "max_tick_ms": _ms(max(latency, default=None)),
        "first_run_p50_ms": _ms(pct(first, 50)),
        "bytes_per_tick": round(sum(r[1] for r in tick_runs) / len(tick_runs)) if tick_runs else None,
        "portal_requests_per_interval": round((req1[0] - req0[0]) / (seconds / interval), 2),
        "portal_requests_all_per_interval": round((req1[1] - req0[1]) / (seconds / interval), 2),
        "ticks": len(runs),
        "ticks_expected": round(args.viewers * seconds / interval),
        "saturated": len(runs) < 0.9 * args.viewers * seconds / interval,
        "requests_coalesced": sum(v.tracker.coalesced for v in viewers),
        "runs_without_progress_bar": sum(v.tracker.runs_without_progress for v in viewers),
        "errors": count,
        "error_samples": sorted(set(errors))[:5],
        "dropped": sum(1 for v in viewers if v.dropped),
        "unfinished": unfinished,
        "client_cpu_percent": round((s1.client - s0.client) / seconds * 100, 1),
        "other_cpu_percent": round(((s1.busy - s0.busy) - server_cpu - (s1.sim - s0.sim)
                                    - (s1.client - s0.client)) / seconds * 100, 1),
        "timer_lag_p95_ms": _ms(pct(lag, 95)),
    }


def _ms(value: float | None) -> float | None:
    return None if value is None else round(value, 1)
