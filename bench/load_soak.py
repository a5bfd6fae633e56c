"""The soak for bench/load.py: viewers join and leave between a min and a max for a long time.

The count follows a triangle wave (min → max → min, one ``--period``), and a random viewer leaves when
it falls. RSS is sampled every ``--sample`` seconds with the number of viewers connected. After the
warm-up (one period by default) a least-squares fit ``rss = a + b·hours + c·viewers`` separates the
drift over time (``b``, MB/h: flat memory means about 0) from the cost of the viewers present
(``c``·100: MB per 100 viewers); the RSS at each low point shows whether memory comes back when
viewers leave. Streamlit keeps a closed session for ``server.disconnectedSessionTTL`` (120 s) and
only reaps it on a later disconnect, so memory returns with that lag.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import random
import tempfile
import time
from pathlib import Path

import numpy as np

from bench.load_procs import rss_mb, threads
from bench.load_run import Run, add_idle, close_all, measure, sleep_until


def triangle(t: float, period: float, lo: int, hi: int) -> int:
    phase = (t % period) / period
    return round(lo + (hi - lo) * (2 * phase if phase < 0.5 else 2 - 2 * phase))


def fit(samples: list[tuple[float, float, int]]) -> tuple[float | None, float | None]:
    """(MB per hour, MB per viewer) from (seconds, rss, viewers) samples; None where not determined."""
    if len(samples) < 3:
        return None, None
    t = np.array([s[0] for s in samples]) / 3600
    rss = np.array([s[1] for s in samples])
    n = np.array([s[2] for s in samples], dtype=float)
    columns = [np.ones_like(t), t] + ([n] if n.std() > 0 else [])
    coef = np.linalg.lstsq(np.column_stack(columns), rss, rcond=None)[0]
    return float(coef[1]), float(coef[2]) if len(coef) > 2 else None


async def soak(args: argparse.Namespace) -> dict:
    lo, hi = args.min_viewers, args.max_viewers
    if not 0 <= lo <= hi:
        raise SystemExit("--min-viewers must be within 0..--max-viewers")
    args.viewers = hi
    period = args.period or min(1200.0, max(60.0, args.seconds / 6))
    warmup = args.warmup if args.warmup is not None else period
    if warmup >= args.seconds:
        raise SystemExit(f"--seconds must be longer than the warm-up ({warmup:g} s)")
    with tempfile.TemporaryDirectory(prefix="soak-") as tmp:
        run = Run(args, Path(tmp), args.seconds + 120)
        try:
            await run.start()
            return await _soak(args, run, lo, hi, period, warmup)
        finally:
            await run.stop()


async def _soak(args: argparse.Namespace, run: Run, lo: int, hi: int, period: float, warmup: float) -> dict:
    rng = random.Random(args.seed)
    active: list = []
    everyone: list = []
    tasks: list[asyncio.Task] = []
    samples: list[tuple[float, float, int]] = []
    t0 = time.monotonic()
    end = t0 + args.seconds
    next_sample = t0
    s0 = req0 = None
    while time.monotonic() < end:
        now = time.monotonic()
        if s0 is None and now >= t0 + warmup:
            s0, req0 = run.sample(), await run.requests()
        target = triangle(now - t0, period, lo, hi)
        while len(active) < target:
            viewer = run.viewer()
            active.append(viewer)
            everyone.append(viewer)
            tasks.append(asyncio.create_task(viewer.run()))
        while len(active) > target:
            await active.pop(rng.randrange(len(active))).close()
        if now >= next_sample:
            connected = sum(1 for v in active if v.connected_at and not v.dropped)
            samples.append((now - t0, rss_mb(run.app.pid), connected))
            next_sample += args.sample
        await sleep_until(now + 1)
    s1, req1 = run.sample(), await run.requests()
    rss_end, server_threads = rss_mb(run.app.pid), threads(run.app.pid)
    for viewer in active:
        viewer.stop_timers()
    await asyncio.sleep(max(2 * args.interval, 10.0))
    unfinished = sum(v.tracker.unfinished(s1.at - 2 * args.interval) for v in active)
    await close_all(active, tasks)
    if args.samples_csv:
        with open(args.samples_csv, "w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(["seconds", "rss_mb", "viewers"])
            writer.writerows((round(t, 1), round(r, 1), n) for t, r, n in samples)
    after = [s for s in samples if s[0] >= warmup]
    slope, per_viewer = fit(after)
    troughs = [round(min(after, key=lambda s: abs(s[0] - k * period))[1], 1)
               for k in range(1, int(args.seconds // period) + 1) if k * period >= warmup and after]
    result = measure(everyone, s0, s1, req0, req1, args, unfinished, s1.at)
    window = [n for t, _, n in samples if t >= warmup]
    result.update(
        ticks_expected=round(sum(window) / max(len(window), 1) * (s1.at - s0.at) / args.interval),
        min_viewers=lo, period=period, warmup=warmup, joined=len(everyone),
        rss_mb=round(rss_end, 1), rss_peak_mb=round(max(r for _, r, _ in samples), 1),
        rss_base_mb=round(run.rss_base, 1),
        rss_slope_mb_per_h=None if slope is None else round(slope, 1),
        mb_per_100_viewers=None if per_viewer is None else round(per_viewer * 100, 1),
        trough_rss_mb=troughs, samples=len(samples), server_threads=server_threads,
        portal_speed=run.speed,
    )
    result["saturated"] = result["ticks"] < 0.9 * result["ticks_expected"]
    add_idle(result, run, s0, s1)
    return result

