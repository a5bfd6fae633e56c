"""``python -m bench.portals --portals N --seconds S``: one headless watcher, N portals each in the middle of a
restore whose percent moves at every check: what does the watching cost, and does it keep its pace?

The portals are simulated in a process of their own (:mod:`bench.portals_sim`), so their work is not
charged to the watcher. The watcher is ``python -m lib.watch`` as a server runs it, with its history in
SQLite (or ``--database``) and ``/metrics`` on. After ``--warmup`` seconds, for ``--seconds``:

- ``watcher_cpu_percent``: the watcher's CPU time over the window, in % of one core (/proc);
- ``rss_mb``: the most resident memory it had during the window;
- ``polls_on_time_percent``: of the checks of a portal in the window, those that came at most
  ``--slack`` seconds later than one interval after the one before (timed where they arrive);
- ``lag_p95_s``: the 95th percentile of that lateness;
- ``db_writes_per_second``: history writes (rows inserted or updated) per second, from /metrics; and
  ``db_transactions_per_second``, how many transactions carried them.

The last line printed is the result as JSON.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from bench.load_procs import cpu_seconds, free_port, rss_mb, wait_until

ROOT = Path(__file__).resolve().parent.parent


# ---------------------------------------------------------------- the bookkeeping (unit-tested)


def gaps(arrivals: list[float], start: float, end: float) -> list[float]:
    """Seconds between one check and the one before it, for the checks that arrived in [start, end]."""
    return [b - a for a, b in itertools.pairwise(arrivals) if start <= b <= end]


def on_time(per_portal: list[list[float]], interval: float, slack: float) -> tuple[float, float]:
    """(% of checks no later than ``slack`` after their interval, the 95th percentile of lateness in s)."""
    late = [max(0.0, gap - interval) for portal in per_portal for gap in portal]
    if not late:
        return 0.0, float("nan")
    punctual = sum(1 for lag in late if lag <= slack)
    p95 = statistics.quantiles(late, n=20, method="inclusive")[-1] if len(late) > 1 else late[0]
    return 100.0 * punctual / len(late), p95


def cpu_percent(before: float, after: float, seconds: float) -> float:
    """CPU seconds used over a wall-clock window, as % of one core."""
    return 100.0 * (after - before) / seconds


def counter(metrics_text: str, name: str) -> float:
    """A counter's value (summed over its labels) in Prometheus text; its ``_total`` sample."""
    return sum(s.value for family in text_string_to_metric_families(metrics_text) for s in family.samples
               if s.name == f"{name}_total")


def secrets(urls: list[str], interval: float, database: str) -> str:
    """The watcher's secrets: one table per portal (no key: restore progress needs none), /metrics on."""
    portals = "".join(f'[portals.p{i:04d}]\nurl = "{url}"\n' for i, url in enumerate(urls))
    return (f"{portals}\n[monitor]\nrefresh_seconds = {interval:g}\nidle_seconds = {interval:g}\n\n"
            f'[history]\nurl = "{database}"\n\n[metrics]\nenabled = true\n')


def result(portals: int, seconds: float, interval: float, cpu: float, rss: float, punctual: float, lag: float,
           writes: float, transactions: float, checks: int) -> dict[str, float | int]:
    return {"portals": portals, "seconds": seconds, "interval_s": interval, "checks": checks,
            "watcher_cpu_percent": round(cpu, 1), "rss_mb": round(rss, 1),
            "polls_on_time_percent": round(punctual, 2), "lag_p95_s": round(lag, 3),
            "db_writes_per_second": round(writes, 1), "db_transactions_per_second": round(transactions, 2)}


# ---------------------------------------------------------------- the run


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=30) as reply:
        return reply.read().decode()


def run(portals: int, seconds: float, interval: float, warmup: float, slack: float, database: str | None,
        speed: float) -> dict[str, float | int]:
    with tempfile.TemporaryDirectory(prefix="bench-portals-") as tmp:
        folder = Path(tmp)
        out = folder / "arrivals.json"
        sim = subprocess.Popen([sys.executable, "-m", "bench.portals_sim", "--portals", str(portals),
                                "--speed", f"{speed:g}", "--out", str(out)], cwd=ROOT, stdout=subprocess.PIPE,
                               text=True)
        assert sim.stdout is not None
        urls = json.loads(sim.stdout.readline())["urls"]
        path = folder / "secrets.toml"
        path.write_text(secrets(urls, interval, database or f"sqlite:///{folder}/history.sqlite3"))
        port = free_port()
        with open(folder / "watcher.log", "w") as log:
            watcher = subprocess.Popen([sys.executable, "-m", "lib.watch", "--secrets", str(path),
                                        "--health-port", str(port)], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
            base = f"http://127.0.0.1:{port}"
            try:
                wait_until(lambda: "docspace_watching 1.0" in _get(base + "/metrics"), "the watcher", 120, watcher)
                time.sleep(warmup)  # the benchmark's own warm-up, not a wait for a condition
                before = _get(base + "/metrics")
                start, cpu0 = time.monotonic(), cpu_seconds(watcher.pid)
                rss = 0.0
                while time.monotonic() - start < seconds:
                    rss = max(rss, rss_mb(watcher.pid))
                    time.sleep(1.0)
                end, cpu1 = time.monotonic(), cpu_seconds(watcher.pid)
                after = _get(base + "/metrics")
            finally:
                watcher.send_signal(signal.SIGTERM)
                watcher.wait(60)
                sim.send_signal(signal.SIGTERM)
                sim.wait(60)
        window = end - start
        per_portal = [gaps(times, start, end) for times in json.loads(out.read_text())]
        punctual, lag = on_time(per_portal, interval, slack)
        writes = (counter(after, "docspace_history_writes") - counter(before, "docspace_history_writes")) / window
        commits = (counter(after, "docspace_history_transactions")
                   - counter(before, "docspace_history_transactions")) / window
        return result(portals, round(window, 1), interval, cpu_percent(cpu0, cpu1, window), rss, punctual, lag,
                      writes, commits, sum(len(g) for g in per_portal))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.portals", description=__doc__.split("\n\n")[0])
    parser.add_argument("--portals", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=120.0, help="the measured window")
    parser.add_argument("--interval", type=float, default=5.0, help="refresh_seconds (a restore runs on each)")
    parser.add_argument("--warmup", type=float, default=30.0, help="seconds before the window opens")
    parser.add_argument("--slack", type=float, default=1.0, help="seconds late that still count as on time")
    parser.add_argument("--speed", type=float, default=2.0, help="the simulated restores' speed")
    parser.add_argument("--database", help="a SQLAlchemy URL (default: SQLite in a temporary folder)")
    args = parser.parse_args(argv)
    found = run(args.portals, args.seconds, args.interval, args.warmup, args.slack, args.database, args.speed)
    print(f"{found['portals']} portals, {found['checks']} checks in {found['seconds']} s on "
          f"{os.cpu_count()} cores", flush=True)
    print(json.dumps(found), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
