"""Benchmarks for the shared-link case: many viewers, a day-long session. Each goal is measured
beside the naive shape in the same run, and the table goes into bench/RESULTS.md.

    python -m bench.bench            # everything but the browser goal (about a minute)
    python -m bench.bench --browser  # also goal 5, time to first percent in headless Chromium
"""

from __future__ import annotations

import argparse
import pickle
import statistics
import tempfile
import threading
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC
from pathlib import Path

import pandas as pd
import plotly.express as px
from sqlalchemy import create_engine, func, select

from lib.db import schema
from lib.db.store import HistoryStore
from lib.jobs.timeline import Timeline
from lib.portal.client import DocSpaceClient
from lib.portal.models import Operation, Progress, TaskStatus
from lib.settings.config import AppConfig, PortalConfig
from lib.views.charts import timeline_figure
from lib.views.status import describe
from lib.watching.poller import Poll
from lib.watching.recording import Recording
from lib.watching.watcher import Watcher
from simulator import Simulator

OUT = Path(__file__).with_name("RESULTS.md")
LOAD_HEADING = "## Many viewers"  # written by hand from bench.load runs; kept when this table is rewritten
DAY_POLLS = 24 * 3600 // 5  # a day of polling every 5 s
CHANGES = 100


def progress_at(i: int, polls: int, changes: int = CHANGES) -> Progress:
    """A restore that changes ``changes`` times, evenly, over ``polls`` polls."""
    pct = min(100, (i * changes) // max(polls, 1))
    return Progress(pct >= 100, pct, "", Operation.RESTORE, 1 if pct < 75 else 2, "task-1",
                    TaskStatus.COMPLETED if pct >= 100 else TaskStatus.RUNNING)


# ---------------------------------------------------------------- goal 1: requests per interval


def requests_per_interval(viewers: int, shared: bool, scenario: str = "restore", interval: float = 1.0,
                          seconds: float = 20.0) -> float:
    """Restore-progress requests per ``interval``: through the app's watcher (``shared``), or each viewer
    polling on its own (the naive shape). Viewers tick every interval, opening the page at different moments."""
    with Simulator(scenario, speed=0.01) as sim:
        config = AppConfig((PortalConfig("p", sim.url, "P"),), refresh_seconds=interval, idle_seconds=60.0,
                           history_url="sqlite://")
        watcher = Watcher(config, HistoryStore("sqlite://")).start() if shared else None
        if watcher is not None:
            watcher.progress("p", Operation.RESTORE)  # warm: the first answer
        start = threading.Barrier(viewers + 1) if viewers else None
        if start is None:
            sim.reset_counts()
            stop = time.monotonic() + seconds

        def viewer(k: int) -> None:
            own = DocSpaceClient(sim.url)
            assert start is not None
            start.wait()
            start.wait()  # the count starts between the two
            time.sleep(interval * k / viewers)
            while time.monotonic() < stop:
                if watcher is not None:
                    watcher.progress("p", Operation.RESTORE, look=interval)
                else:
                    own.get_restore_progress()
                time.sleep(interval)

        threads = [threading.Thread(target=viewer, args=(k,)) for k in range(viewers)]
        for t in threads:
            t.start()
        if start is not None:
            start.wait()
            sim.reset_counts()
            stop = time.monotonic() + seconds
            start.wait()
        time.sleep(max(0.0, stop - time.monotonic()))
        made = sim.requests("getrestoreprogress")  # counted over exactly ``seconds``
        for t in threads:
            t.join()
        if watcher is not None:
            watcher.stop()
        return made / (seconds / interval)


# ---------------------------------------------------------------- goal 6: database writes of a day-long restore


def rows_written(polls: int = DAY_POLLS) -> tuple[int, int, int]:
    """(statements written, rows in the database, change points) for a restore polled every 5 s for 24 h."""
    with tempfile.TemporaryDirectory() as tmp:
        store = HistoryStore(f"sqlite:///{tmp}/h.sqlite3")
        writes = 0
        submit = store._submit

        def counted(write: Callable[..., None], key: str | None = None) -> None:
            nonlocal writes
            writes += 1
            submit(write, key)

        store._submit = counted  # type: ignore[method-assign]
        recording = Recording("p", "P", Operation.RESTORE, "any", store, lambda *a: None, stall_floor=600.0)
        for i in range(polls):
            recording.record(Poll(float(i * 5), progress_at(i, polls), 0))
        store.flush()
        engine = create_engine(f"sqlite:///{tmp}/h.sqlite3")
        with engine.connect() as conn:
            rows = sum(conn.execute(select(func.count()).select_from(t)).scalar_one()
                       for t in (schema.operations, schema.points, schema.outages, schema.watch_state))
        engine.dispose()
        store.close()
        return writes, rows, len(recording.timeline.points)


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


def fill_history(url: str, operations: int) -> None:
    """``operations`` finished restores on portal "prod", ten points each, as months of watching leave them."""
    engine = create_engine(url)
    with engine.begin() as conn:
        schema.upgrade(conn)
        day = 86_400.0
        start = time.time() - operations * day / 50
        ops, pts = [], []
        for i in range(operations):
            at = start + i * day / 50
            op_id = f"bench{i:06d}"
            ops.append(dict(id=op_id, portal="prod", kind="restore", scope="any", task_id=op_id, first_seen=at,
                            first_percent=0, started=at, ended=at + 900, outcome="completed", last_percent=100,
                            portal_text="", last_seen=at + 900))
            pts += [dict(operation_id=op_id, at=at + k * 90, percent=k * 10, phase="restoring data", tenant_id=1,
                         error="", task_id=op_id) for k in range(10)]
        conn.execute(schema.operations.insert(), ops)
        conn.execute(schema.points.insert(), pts)
    engine.dispose()


def first_percent_seconds(runs: int = 5, stored: int = 0) -> list[float]:
    import re
    import subprocess
    import sys

    import requests
    from playwright.sync_api import sync_playwright

    from tests.conftest import ROOT, chromium_path
    from tests.e2e.conftest import CHROMIUM_ARGS, _free_port

    with Simulator("restore", speed=1.0) as sim, tempfile.TemporaryDirectory() as tmp:
        history = f"sqlite:///{tmp}/history.sqlite3"
        if stored:
            fill_history(history, stored)
        secrets = Path(tmp, "secrets.toml")
        secrets.write_text(f'[portals.prod]\nurl = "{sim.url}"\n\n[history]\nurl = "{history}"\n')
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

    for viewers in (0, 1, 10, 50):
        naive = requests_per_interval(viewers, shared=False) if viewers else 0.0
        ours = requests_per_interval(viewers, shared=True)
        rows.append((f"1. portal requests per interval, a restore running, {viewers} viewer(s)", "≤ 1.05",
                     f"{naive:.2f}", f"{ours:.2f}", ratio(naive, ours) if viewers else "—"))
    for viewers in (0, 1, 50):
        ours = requests_per_interval(viewers, shared=True, scenario="idle", seconds=120.0 if not viewers else 20.0)
        rows.append((f"1. portal requests per interval, nothing running, {viewers} viewer(s)",
                     "1.00 if looked at, else the idle rate (1/60)", "—", f"{ours:.2f}", "—"))

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

    writes, stored, changes = rows_written()
    rows.append((f"6. database writes for a 24 h restore polled every 5 s ({DAY_POLLS:,} polls, {changes} change "
                 "points)", "∝ change points", f"{DAY_POLLS:,} (a row per poll)", f"{writes} writes, {stored} rows",
                 ratio(DAY_POLLS, writes)))

    if args.browser:
        for stored in (0, 10_000):
            times = first_percent_seconds(stored=stored)
            rows.append((f"5. open the page → first percent on screen, {stored:,} operations stored (s, median of 5)",
                         "≈ 1.8 (unchanged)", "—",
                         f"{statistics.median(times):.2f} (runs: {', '.join(f'{t:.2f}' for t in times)})", "—"))

    table = ["| goal | target | naive | ours | ratio |", "|---|---|---|---|---|"]
    table += [f"| {' | '.join(row)} |" for row in rows]
    text = "\n".join(table)
    print(text)
    kept = OUT.read_text().partition(LOAD_HEADING)[2] if OUT.exists() else ""
    OUT.write_text("# Benchmark results\n\nReproduce: `python -m bench.bench --browser` (2 cores, 24 GiB).\n\n"
                   + text + "\n" + (f"\n{LOAD_HEADING}{kept}" if kept else ""))


if __name__ == "__main__":
    main()
