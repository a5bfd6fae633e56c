"""Many viewers on one running restore: what the Streamlit server spends on them (issue 15).

Starts the simulated portal (a restore whose percent moves for the whole run) and the real app
(``streamlit run app.py``, its secrets in a temporary file), then opens N viewers, spread over the first
interval. A viewer is a websocket session speaking Streamlit's own browser protocol (bench/load_proto.py):
the page's first run, then a fragment rerun on the fragment's ``run_every`` timer, as a tab does. With
``--browser`` the viewers are headless Chromium tabs instead. Over the measuring window (after
``--warmup``) it reports the server's CPU (percent of one core, and per tick), its RSS, each tick's
latency (request → script_finished), bytes per tick, portal requests per interval and errors
(exceptions in the page, dropped sessions, ticks that never finish). The last line printed is one JSON
object.

    python -m bench.load --viewers 10 --seconds 60 --interval 5
    python -m bench.load --viewers 10 --seconds 60 --interval 5 --server-arg=--runner.postScriptGC=false
    python -m bench.load --viewers 10 --seconds 60 --interval 5 --browser
    python -m bench.load --soak --min-viewers 20 --max-viewers 100 --seconds 7200 --interval 5
    python -m bench.load --viewers 30 --server-arg=--runner.postScriptGC=false --profile /tmp/ticks.txt
    python -m bench.load_profile /tmp/ticks.txt        # where the server's CPU went (needs py-spy)

Numbers are noisy on a shared machine: the table shows the CPU the rest of the machine used in the same
window ("other processes"), and how late the client's own timers fired.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path

from bench.load_procs import rss_mb, threads
from bench.load_proto import ProtocolViewer
from bench.load_run import QUERY, Run, add_idle, close_all, measure, sleep_until, start_profiler, wait_for


async def steady(args: argparse.Namespace) -> dict:
    interval = args.interval
    warmup = args.warmup if args.warmup is not None else 2 * interval
    drain = max(2 * interval, 10.0)
    with tempfile.TemporaryDirectory(prefix="load-") as tmp:
        run = Run(args, Path(tmp), warmup + args.seconds + drain + 60)
        try:
            await run.start()
            result = await _steady(args, run, warmup, drain)
            if result["errors"] and run.app.proc.poll() is None:
                log = run.app.output()
                result["server_log_tail"] = log[-1500:] if "Traceback" in log else ""
            return result
        finally:
            await run.stop()


async def _steady(args: argparse.Namespace, run: Run, warmup: float, drain: float) -> dict:
    n, interval = args.viewers, args.interval
    rss_samples: list[float] = []
    stop_sampling = asyncio.Event()

    async def sampler() -> None:
        while not stop_sampling.is_set():
            rss_samples.append(rss_mb(run.app.pid))
            await asyncio.sleep(1)

    sampling = asyncio.create_task(sampler())
    viewers, tasks = [], []
    t0 = time.monotonic()
    for i in range(n):  # spread over the first interval, as people open a shared link
        await sleep_until(t0 + i * interval / n)
        viewer = run.viewer()
        viewers.append(viewer)
        tasks.append(asyncio.create_task(viewer.run()))
    # steady: every viewer has had its first run and one timer tick (a tab busy loading its scripts
    # ticks late at first), then one more interval
    started = await wait_for(lambda: all(any(t.fragment for t in v.tracker.ticks) or v.dropped for v in viewers),
                             120 + 3 * interval)
    window_start = max(t0 + warmup, time.monotonic() + interval)
    await sleep_until(window_start)
    s0, req0 = run.sample(), await run.requests()
    profiler = start_profiler(args.profile, run.app.pid, args.seconds) if args.profile else None
    await sleep_until(window_start + args.seconds)
    s1, req1 = run.sample(), await run.requests()
    rss_end, server_threads = rss_mb(run.app.pid), threads(run.app.pid)
    if profiler is not None:
        await asyncio.to_thread(profiler.wait, 60)
    window_end = s1.at
    for viewer in viewers:
        viewer.stop_timers()
    await wait_for(lambda: all(v.tracker.unfinished(window_end) == 0 for v in viewers), drain)
    unfinished = sum(v.tracker.unfinished(window_end) for v in viewers)
    await close_all(viewers, tasks)
    rss_after = None
    if args.leave_wait:
        await asyncio.sleep(args.leave_wait)
        probe = ProtocolViewer(run.app.url, QUERY)  # a connect reaps the stored sessions that expired
        probe_task = asyncio.create_task(probe.run())
        await wait_for(lambda: probe.tracker.runs or probe.dropped, 30)
        await close_all([probe], [probe_task])
        await asyncio.sleep(2)
        rss_after = rss_mb(run.app.pid)
    stop_sampling.set()
    await sampling
    result = measure(viewers, s0, s1, req0, req1, args, unfinished, window_end)
    result.update(
        rss_mb=round(rss_end, 1), rss_peak_mb=round(max(rss_samples, default=rss_end), 1),
        rss_base_mb=round(run.rss_base, 1),
        mb_per_100_viewers=round((rss_end - run.rss_base) / n * 100, 1),
        rss_after_leave_mb=None if rss_after is None else round(rss_after, 1),
        server_threads=server_threads, portal_speed=run.speed, all_started=started,
    )
    add_idle(result, run, s0, s1)
    return result


ROWS = (
    ("viewers", "viewers ({mode})"), ("seconds", "measuring window (s)"), ("interval", "timer interval (s)"),
    ("server_cpu_percent", "server CPU (% of one core)"), ("cpu_ms_per_tick", "server CPU per tick (ms)"),
    ("cpu_ms_per_tick_net", "  the same, less the idle server's CPU (ms)"),
    ("server_idle_cpu_percent", "idle server CPU, before the viewers (% of one core)"),
    ("rss_mb", "server RSS at the end (MB)"), ("rss_peak_mb", "server RSS, peak (MB)"),
    ("rss_base_mb", "server RSS before the viewers (MB)"), ("mb_per_100_viewers", "RSS growth per 100 viewers (MB)"),
    ("rss_after_leave_mb", "server RSS after they left (MB)"),
    ("p50_tick_ms", "tick latency p50 (ms)"), ("p95_tick_ms", "tick latency p95 (ms)"),
    ("max_tick_ms", "tick latency max (ms)"), ("first_run_p50_ms", "first run p50 (ms)"),
    ("bytes_per_tick", "bytes per tick"), ("portal_requests_per_interval", "portal requests per interval"),
    ("ticks", "ticks in the window"), ("ticks_expected", "ticks expected"),
    ("saturated", "saturated (under 90% of the expected ticks ran)"),
    ("requests_coalesced", "tick requests coalesced"), ("errors", "errors"), ("dropped", "sessions dropped"),
    ("unfinished", "ticks never finished"), ("server_threads", "server threads"),
    ("client_cpu_percent", "load client CPU (% of one core)"),
    ("other_cpu_percent", "other processes' CPU (% of one core)"), ("timer_lag_p95_ms", "client timer lag p95 (ms)"),
    ("rss_slope_mb_per_h", "RSS slope after warm-up (MB/h)"), ("trough_rss_mb", "RSS at each low point (MB)"),
)


def table(result: dict) -> str:
    lines = ["| measure | value |", "|---|---|"]
    for key, label in ROWS:
        if key in result and result[key] is not None:
            value = result[key]
            if key == "viewers" and "min_viewers" in result:
                value = f"{result['min_viewers']}–{value}"
            lines.append(f"| {label.format(**result)} | {value} |")
    for sample in result.get("error_samples", []):
        lines.append(f"| error | {sample} |")
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--viewers", type=int, default=10, help="viewers at once (default 10)")
    parser.add_argument("--seconds", type=float, default=60, help="the measuring window, or the soak's length")
    parser.add_argument("--interval", type=float, default=5, help="refresh_seconds in the app's secrets (2..300)")
    parser.add_argument("--warmup", type=float, default=None,
                        help="seconds from the first viewer to the window (default 2 intervals; soak: one period); the "
                             "window also waits for every viewer's first timer tick and one interval more")
    parser.add_argument("--server-arg", action="append", metavar="ARG",
                        help="passed to `streamlit run`, repeatable: --server-arg=--runner.postScriptGC=false")
    parser.add_argument("--browser", action="store_true", help="headless Chromium tabs instead of the protocol")
    parser.add_argument("--speed", type=float, default=None,
                        help="simulator speed (default: the restore's percent moves for the whole run)")
    parser.add_argument("--idle-seconds", type=float, default=10,
                        help="measure the idle server's CPU this long before the viewers come (0: skip)")
    parser.add_argument("--leave-wait", type=float, default=0,
                        help="after the window, close the viewers, wait this long, then read RSS again "
                             "(Streamlit keeps a closed session 120 s: server.disconnectedSessionTTL)")
    parser.add_argument("--profile", type=Path, default=None,
                        help="record the server with py-spy over the window into this file (raw collapsed "
                             "stacks; summarise with python -m bench.load_profile FILE)")
    soak = parser.add_argument_group("soak: viewers join and leave between a min and a max")
    soak.add_argument("--soak", action="store_true")
    soak.add_argument("--min-viewers", type=int, default=20)
    soak.add_argument("--max-viewers", type=int, default=100)
    soak.add_argument("--period", type=float, default=None,
                      help="seconds of one min → max → min cycle (default seconds/6, 60..1200)")
    soak.add_argument("--sample", type=float, default=10, help="seconds between RSS samples")
    soak.add_argument("--samples-csv", type=Path, default=None, help="write the soak's samples here")
    soak.add_argument("--seed", type=int, default=15)
    args = parser.parse_args(argv)
    if not 2 <= args.interval <= 300:
        parser.error("--interval must be within 2..300 (the app clamps refresh_seconds)")
    if args.soak and args.browser:
        parser.error("--soak uses the protocol client")
    return args


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    if args.soak:
        from bench.load_soak import soak

        result = asyncio.run(soak(args))
    else:
        result = asyncio.run(steady(args))
    print(table(result))
    if result.get("server_log_tail"):
        print("server log (tail):\n" + result["server_log_tail"], file=sys.stderr)
    print(json.dumps(result), flush=True)
    return result


if __name__ == "__main__":
    main()
