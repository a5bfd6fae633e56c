"""How good is "time left"? Replays runs polled every 5 s and compares each estimate with the truth.

    python -m bench.eta_accuracy

Runs: the simulator's restore and backup (steady pace, over real loopback HTTP), and a synthetic
restore whose pace halves midway (the hard case for any estimator). For every poll in the measured
phase that shows an estimate: the error of the range's middle, and whether the truth fell inside it.
"""

from __future__ import annotations

import statistics

from lib.client import DocSpaceClient
from lib.eta import estimate
from lib.models import Operation, Progress, TaskStatus
from lib.phases import DATA_PHASE_END
from lib.timeline import Timeline
from simulator import ManualClock, Simulator

POLL = 5.0


def replay(samples: list[tuple[float, Progress | None]], operation: Operation) -> dict[str, float]:
    timeline = Timeline(operation)
    end_pct = {Operation.RESTORE: 75, Operation.BACKUP: 90}[operation]
    phase_end = next(at for at, p in samples if p is not None and p.progress >= end_pct)
    errors, inside, first = [], 0, None
    for at, progress in samples:
        timeline.record(at, progress)
        if timeline.phase not in DATA_PHASE_END or at >= phase_end:
            continue
        est = estimate(timeline, at)
        if est is None:
            continue
        first = first if first is not None else at
        truth = phase_end - at
        errors.append(abs(est.mid - truth) / max(truth, POLL))
        inside += est.low - POLL <= truth <= est.high + POLL
    return {"estimates": len(errors), "median_error": statistics.median(errors) * 100,
            "p90_error": sorted(errors)[int(len(errors) * 0.9)] * 100, "inside": inside / len(errors) * 100,
            "first": first or 0.0}


def simulated(scenario: str, operation: Operation, seconds: float) -> list[tuple[float, Progress | None]]:
    clock = ManualClock()
    with Simulator(scenario, clock=clock) as sim:
        client = DocSpaceClient(sim.url)
        call = client.get_restore_progress if operation is Operation.RESTORE else client.get_backup_progress
        samples = []
        for _ in range(int(seconds / POLL)):
            samples.append((clock(), call()))
            clock.advance(POLL)
        start = samples[0][0]
        return [(at - start, p) for at, p in samples]


def slowing_restore() -> list[tuple[float, Progress | None]]:
    """10 → 75 %: 1 % per 6 s up to 40 %, then 1 % per 12 s (the restore meets the big tables)."""
    out, at, pct = [], 0.0, 10.0
    while pct < 75:
        pct += POLL / (6 if pct < 40 else 12)
        out.append((at, Progress(False, min(75, int(pct)), "", Operation.RESTORE, 1, "t", TaskStatus.RUNNING)))
        at += POLL
    out.append((at, Progress(False, 75, "", Operation.RESTORE, 2, "t", TaskStatus.RUNNING)))
    return out


def main() -> None:
    runs = [
        ("simulator restore (data phase 10–75 %, 6 min)", simulated("restore", Operation.RESTORE, 600),
         Operation.RESTORE),
        ("simulator backup (creating 0–90 %, 4 min)", simulated("backup", Operation.BACKUP, 300), Operation.BACKUP),
        ("restore whose pace halves at 40 % (10 min)", slowing_restore(), Operation.RESTORE),
    ]
    print("| run | estimates | first estimate, into the run | median error | 90th pct error | truth inside the range |")
    print("|---|---|---|---|---|---|")
    for name, samples, operation in runs:
        r = replay(samples, operation)
        print(f"| {name} | {r['estimates']:.0f} | {r['first']:.0f} s | {r['median_error']:.0f} % | "
              f"{r['p90_error']:.0f} % | {r['inside']:.0f} % |")


if __name__ == "__main__":
    main()
