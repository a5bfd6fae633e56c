"""Benchmarks for the shared-link case: many viewers, a day-long session. Each goal is measured
beside the naive shape in the same run, and the table goes into bench/RESULTS.md.

    python -m bench.bench            # everything but the browser goal (about a minute)
    python -m bench.bench --browser  # also goal 5, time to first percent in headless Chromium
"""

from __future__ import annotations

import argparse
import pickle
import statistics
import threading
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC
from pathlib import Path

import pandas as pd
import plotly.express as px

from lib.charts import timeline_figure
from lib.client import DocSpaceClient
from lib.models import Operation, Progress, TaskStatus
from lib.poller import Poller
from lib.status import describe
from lib.timeline import Timeline
from simulator import Simulator

OUT = Path(__file__).with_name("RESULTS.md")
DAY_POLLS = 24 * 3600 // 5  # a day of polling every 5 s
CHANGES = 100


def progress_at(i: int, polls: int, changes: int = CHANGES) -> Progress:
    """A restore that changes ``changes`` times, evenly, over ``polls`` polls."""
    pct = min(100, (i * changes) // max(polls, 1))
    return Progress(pct >= 100, pct, "", Operation.RESTORE, 1 if pct < 75 else 2, "task-1",
                    TaskStatus.COMPLETED if pct >= 100 else TaskStatus.RUNNING)


# ---------------------------------------------------------------- goal 1: requests per interval


def requests_per_interval(viewers: int, shared: bool, interval: float = 1.0, seconds: float = 4.0) -> float:
    with Simulator("restore", speed=1.0) as sim:
        client = DocSpaceClient(sim.url)
        poller = Poller(client.get_restore_progress, interval)
        stop = time.monotonic() + seconds
        start = threading.Barrier(viewers)

        def viewer(k: int) -> None:
            own = DocSpaceClient(sim.url)
            start.wait()
            time.sleep(interval * k / viewers)  # viewers open the page at different moments
            while time.monotonic() < stop:
                if shared:
                    poller.poll()
                else:
                    own.get_restore_progress()  # the naive shape: every session polls on its own
                time.sleep(interval / 4 if shared else interval)

        threads = [threading.Thread(target=viewer, args=(k,)) for k in range(viewers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return sim.requests("getrestoreprogress") / (seconds / interval)


# ---------------------------------------------------------------- goals 2-4: a day-long session


def our_session(polls: int) -> Timeline:
    timeline = Timeline(Operation.RESTORE)
    for i in range(polls):
        timeline.record(float(i * 5), progress_at(i, polls))
    return timeline


def naive_session(polls: int) -> list[dict]:
    return [{"at": i * 5.0, "percent": progress_at(i, polls).progress, "phase": "x", "error": ""}
            for i in range(polls)]


def our_tick(timeline: Timeline, polls: int) -> int:
    at = float(polls * 5)
    timeline.record(at, progress_at(polls - 1, polls))
    describe(timeline, at, UTC)
    return len(timeline_figure(timeline, UTC).to_json())


def naive_tick(history: list[dict], polls: int) -> int:
    history.append({"at": polls * 5.0, "percent": history[-1]["percent"], "phase": "x", "error": ""})
    frame = pd.DataFrame(history)
    frame["time"] = pd.to_datetime(frame["at"], unit="s")
    return len(px.line(frame, x="time", y="percent", line_shape="hv", markers=True).to_json())


def ratio(naive: float, ours: float) -> str:
    value = naive / ours
    return f"{value:.1f}×" if value < 10 else f"{value:.0f}×"


def timed(fn: Callable[[], object], repeat: int = 5) -> float:
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples) * 1000


def memory_of(build: Callable[[], object]) -> int:
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    kept = build()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    del kept
    return after - before


# ---------------------------------------------------------------- goal 5: first percent in a browser


def first_percent_seconds(runs: int = 5) -> list[float]:
    import re
    import subprocess
    import sys
    import tempfile

    import requests
    from playwright.sync_api import sync_playwright

    from tests.conftest import ROOT, chromium_path
    from tests.e2e.conftest import CHROMIUM_ARGS, _free_port

    with Simulator("restore", speed=1.0) as sim, tempfile.TemporaryDirectory() as tmp:
        secrets = Path(tmp, "secrets.toml")
        secrets.write_text(f'[portals.prod]\nurl = "{sim.url}"\n')
        port = _free_port()
        proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"),
                                 "--server.headless", "true", "--server.port", str(port),
                                 "--secrets.files", str(secrets)], cwd=tmp,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            for _ in range(300):
                try:
                    if requests.get(f"http://127.0.0.1:{port}/_stcore/health", timeout=1).ok:
                        break
                except requests.RequestException:
                    time.sleep(0.2)
            out = []
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
                for _ in range(runs + 1):  # the first run warms the server's imports; not counted
                    page = browser.new_page()
                    t0 = time.perf_counter()
                    page.goto(f"http://127.0.0.1:{port}/?portal=prod")
                    page.wait_for_function("() => /Restoring — \\d+%/.test(document.body.innerText)",
                                           timeout=60_000)
                    out.append(time.perf_counter() - t0)
                    assert re.search(r"\d+%", page.inner_text("body"))
                    page.close()
                browser.close()
            return out[1:]
        finally:
            proc.terminate()
            proc.wait(10)


# ---------------------------------------------------------------- report


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--browser", action="store_true", help="also measure goal 5 in headless Chromium")
    args = parser.parse_args(argv)
    rows: list[tuple[str, str, str, str, str]] = []

    for viewers in (1, 10, 50):
        naive = requests_per_interval(viewers, shared=False)
        ours = requests_per_interval(viewers, shared=True)
        rows.append((f"1. portal requests per interval, {viewers} viewer(s)", "≤ 1.1",
                     f"{naive:.2f}", f"{ours:.2f}", ratio(naive, ours)))

    for polls in (10, 1_000, 10_000, 100_000):
        timeline = our_session(polls)
        history = naive_session(polls)
        ours = timed(lambda t=timeline, n=polls: our_tick(t, n))
        naive = timed(lambda h=history, n=polls: naive_tick(h, n), repeat=5 if polls <= 10_000 else 3)
        rows.append((f"2. server time of one tick after {polls:,} polls (ms)", "≤ 30 at 10 000",
                     "—" if naive != naive else f"{naive:.1f}", f"{ours:.1f}",
                     "—" if naive != naive else ratio(naive, ours)))

    ours_mem = memory_of(lambda: our_session(DAY_POLLS))
    naive_mem = memory_of(lambda: naive_session(DAY_POLLS))
    pickled = len(pickle.dumps(our_session(DAY_POLLS)))
    rows.append(("3. one session's history after 24 h at 5 s, 100 changes (KB)", "≤ 200",
                 f"{naive_mem / 1024:.0f}", f"{ours_mem / 1024:.0f} (pickled {pickled / 1024:.0f})",
                 ratio(naive_mem, ours_mem)))

    day = our_session(DAY_POLLS)
    ours_bytes = our_tick(day, DAY_POLLS)
    naive_bytes = naive_tick(naive_session(DAY_POLLS), DAY_POLLS)
    rows.append(("4. timeline bytes sent per tick after 24 h (KB)", "≤ 150", f"{naive_bytes / 1024:.0f}",
                 f"{ours_bytes / 1024:.1f}", ratio(naive_bytes, ours_bytes)))

    if args.browser:
        times = first_percent_seconds()
        rows.append(("5. open the page → first percent on screen (s, median of 5)", "report",
                     "—", f"{statistics.median(times):.2f} (runs: {', '.join(f'{t:.2f}' for t in times)})", "—"))

    table = ["| goal | target | naive | ours | ratio |", "|---|---|---|---|---|"]
    table += [f"| {' | '.join(row)} |" for row in rows]
    text = "\n".join(table)
    print(text)
    OUT.write_text("# Benchmark results\n\nReproduce: `python -m bench.bench --browser` (2 cores, 24 GiB).\n\n"
                   + text + "\n")


if __name__ == "__main__":
    main()
