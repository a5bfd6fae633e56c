"""``python -m simulator``: serve one fake portal until Ctrl-C or SIGTERM."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from types import FrameType

from simulator.engine import SCENARIO_HELP, SCENARIOS, Options
from simulator.faults import EXTRA_FAULTS, FAULT_HELP, FAULTS
from simulator.portal import Simulator


def parser() -> argparse.ArgumentParser:
    """The options, with every scenario, fault and control call spelled out in --help."""
    cli = argparse.ArgumentParser(
        prog="python -m simulator",
        description="A fake ONLYOFFICE DocSpace portal (backup and restore API), for demos and tests.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="scenarios:\n" + "\n".join(f"  {k:14} {v}" for k, v in SCENARIO_HELP.items())
        + "\n\nfaults (for --fault, or POST /_sim/inject?fault=NAME&count=N&path=PART):\n"
        + "\n".join(f"  {k:14} {v}" for k, v in FAULT_HELP.items())
        + "\n\na slow but healthy portal: --latency SECONDS delays every answer (faults included)"
        + "\n\ncontrol (loopback only): POST /_sim/scenario?name=NAME, GET /_sim/requests?path=PART,"
        "\n  POST /_sim/reset (zero the request counts), POST /_sim/schedule?do=remove|set (DocSpace removes"
        "\n  the schedule / an admin sets it up again)",
    )
    cli.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    cli.add_argument("--port", type=int, default=8765, help="port to listen on; 0 picks a free one")
    cli.add_argument("--scenario", choices=SCENARIOS, default="restore", metavar="NAME",
                     help="the job to play (see scenarios below; default restore)")
    cli.add_argument("--speed", type=float, default=1.0,
                     help="time factor: 10 plays the 10-minute restore in one minute")
    cli.add_argument("--api-key", default=None,
                     help="require 'Authorization: Bearer <key>' on protected endpoints (default: open)")
    cli.add_argument("--fault", choices=FAULTS + EXTRA_FAULTS, default=None, metavar="NAME",
                     help="a fault to give every Nth request (see below)")
    cli.add_argument("--fault-every", type=int, default=5, help="N for --fault (default 5)")
    cli.add_argument("--slow-seconds", type=float, default=10.0, help="delay of 'slow' and 'stall-body'")
    cli.add_argument("--retry-after", type=int, default=7, help="Retry-After seconds on 429 and 503")
    cli.add_argument("--latency", type=float, default=0.0, metavar="SECONDS",
                     help="answer every request only after this many seconds (default 0)")
    cli.add_argument("--trickle-interval", type=float, default=0.5, metavar="SECONDS",
                     help="seconds between the body's bytes under 'trickle' (default 0.5)")
    past = cli.add_argument_group("the portal's past and plan")
    past.add_argument("--days", type=int, default=5, help="days of daily 02:00 scheduled backups before now (5)")
    past.add_argument("--keep-files", type=int, default=None, metavar="N",
                      help="the backup list keeps only the newest N scheduled files (default: all)")
    past.add_argument("--trail-days", type=float, default=None, metavar="DAYS",
                      help="the audit trail holds only its last DAYS days (default: the whole past)")
    past.add_argument("--no-audit", action="store_true",
                      help="the plan has no audit trail: it answers its 20 newest events whatever is asked")
    past.add_argument("--unpaid", action="store_true",
                      help="the portal is not paid for: 402 on the history, schedule, restore and audit trail")
    past.add_argument("--utc-offset", type=int, default=0, metavar="MINUTES",
                      help="the portal's time zone (its audit dates, its schedule's hour); default 0 (UTC)")
    return cli


def options(args: argparse.Namespace) -> Options:
    return Options(days=args.days, keep_files=args.keep_files, trail_days=args.trail_days, audit=not args.no_audit,
                   paid=not args.unpaid, utc_offset=args.utc_offset)


def main(argv: list[str] | None = None) -> int:
    """Serve until SIGINT or SIGTERM, then free the port and return 0.

    The handlers are installed explicitly: a process started in the background by a non-interactive
    shell inherits SIGINT as ignored, and Python then never raises KeyboardInterrupt.
    """
    args = parser().parse_args(argv)
    stopping = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        # A handler runs between two bytecodes of the main thread, possibly inside Event.wait()
        # while it holds the Event's lock; set it from another thread so that cannot deadlock.
        threading.Thread(target=stopping.set, name="simulator-stop").start()

    previous = {signum: signal.signal(signum, on_signal) for signum in (signal.SIGINT, signal.SIGTERM)}
    sim = Simulator(args.scenario, speed=args.speed, api_key=args.api_key, host=args.host, port=args.port,
                    fault=args.fault, fault_every=args.fault_every if args.fault else 0,
                    slow_seconds=args.slow_seconds, retry_after=args.retry_after, latency=args.latency,
                    trickle_interval=args.trickle_interval, options=options(args))
    try:
        url = sim.start()
        print(f"DocSpace simulator serving {args.scenario} at speed {args.speed:g} on {url}"
              f" ({'API key required' if args.api_key else 'no API key required'});"
              " Ctrl-C or SIGTERM stops it", flush=True)
        print(f"try: curl {url}/api/2.0/backup/getrestoreprogress", flush=True)
        stopping.wait()
    finally:
        sim.stop()
        for signum, handler in previous.items():
            if handler is not None:  # None: set outside Python, nothing to put back
                signal.signal(signum, handler)
    print("DocSpace simulator stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
