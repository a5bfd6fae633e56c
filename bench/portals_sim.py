"""``python -m bench.portals_sim``: many simulated portals in one process, each in the middle of a restore,
for :mod:`bench.portals`. Every portal is a real :class:`~simulator.Simulator` on its own loopback port; a
restore that reaches its 75 % plateau starts again, so the percent moves at every check for as long as
the benchmark runs. The first line printed is the portals' addresses (JSON); on SIGTERM the arrival time
of every restore-progress request, per portal (``time.monotonic()``, one clock for every process on the
machine), goes to ``--out``.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from simulator import Simulator

#: scenario seconds: the restore's percent moves from 10 to 75 between these (simulator/engine.py)
MOVING = (61.0, 410.0)


class Ahead:
    """One portal's clock, ahead of the real one: its restore started a while ago."""

    def __init__(self) -> None:
        self.by = 0.0

    def __call__(self) -> float:
        return time.time() + self.by


def timed(take: Callable[[str], object], arrivals: list[float]) -> Callable[[str], object]:
    """The simulator's per-request hook, noting when each restore-progress request arrived."""

    def hook(path: str) -> object:
        if "getrestoreprogress" in path:
            arrivals.append(time.monotonic())
        return take(path)

    return hook


def start(portals: int, speed: float) -> tuple[list[Simulator], list[Ahead], list[list[float]]]:
    sims, clocks, arrivals = [], [], []
    for i in range(portals):
        ahead = Ahead()
        sim = Simulator("restore", speed=speed, clock=ahead)
        ahead.by = (MOVING[0] + (MOVING[1] - MOVING[0] - 20) * i / max(1, portals)) / speed  # spread over the restore
        log: list[float] = []
        sim.faults.take = timed(sim.faults.take, log)  # type: ignore[method-assign]
        sim.start(poll_interval=3600)  # a thousand idle servers must not wake twenty times a second
        sims.append(sim)
        clocks.append(ahead)
        arrivals.append(log)
    return sims, clocks, arrivals


def keep_moving(sims: list[Simulator], clocks: list[Ahead], speed: float, stopping: threading.Event) -> None:
    """A restore on its plateau starts again, already moving: every check sees a new percent."""
    while not stopping.wait(2.0):
        for sim, ahead in zip(sims, clocks, strict=True):
            state = sim.engine.restore_progress()
            if state is None or state["progress"] >= 75:
                sim.set_scenario("restore")
                ahead.by += MOVING[0] / speed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--portals", type=int, required=True)
    parser.add_argument("--speed", type=float, default=2.0, help="2: the percent moves every 2.8 s")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    sims, clocks, arrivals = start(args.portals, args.speed)
    stopping = threading.Event()
    threading.Thread(target=keep_moving, args=(sims, clocks, args.speed, stopping), daemon=True).start()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    print(json.dumps({"urls": [sim.url for sim in sims]}), flush=True)
    while not stopping.wait(1.0):
        pass
    args.out.write_text(json.dumps(arrivals))
    return 0


if __name__ == "__main__":
    sys.exit(main())
