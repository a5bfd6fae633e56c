"""How good is "time left"? Replays runs polled every 5 s and compares each estimate with the truth.

    python -m bench.eta_accuracy              # both tables
    python -m bench.eta_accuracy --overall    # only the learned "done around" table (no HTTP)

Per phase: the simulator's restore and backup (steady pace, over real loopback HTTP), and a synthetic
restore whose pace halves midway (the hard case for any estimator). For every poll in the measured
phase that shows an estimate: the error of the range's middle, and whether the truth fell inside it.

Overall ("done around", lib.jobs.forecast): simulated sequences of runs on one portal, five earlier runs
with some variation in speed and plateau length, then a measured run. Each sequence has its own seed;
a scenario is many sequences. For every poll of the measured run that shows a done-by range: the
error of its middle relative to the run's whole duration, and whether the real end fell inside it.
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
from dataclasses import dataclass

from lib.jobs.eta import estimate
from lib.jobs.forecast import EarlierRuns, done_by, learn
from lib.jobs.phases import DATA_PHASE_END
from lib.jobs.recorded import RecordedOperation
from lib.jobs.timeline import Point, Timeline
from lib.portal.client import DocSpaceClient
from lib.portal.models import Operation, Progress, TaskStatus
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


# ---------------------------------------------------------------- the overall estimate, on sequences of runs

SEQUENCES = 40
EARLIER = 5


@dataclass(frozen=True)
class Shape:
    """One run's timing in seconds: before the data phase, the data phase, the plateau."""

    prep: float
    data: float
    plateau: float

    @property
    def total(self) -> float:
        return self.prep + self.data + self.plateau


@dataclass(frozen=True)
class Scenario:
    """How a portal's runs vary. ``speed``/``share``: log-normal spreads; ``plateau_range``: if set,
    the plateau is base × uniform(range), independent of the data phase; ``last``: the measured run's
    data and plateau are multiplied by this (a portal that has grown)."""

    name: str
    operation: Operation
    base: Shape
    speed: float = 0.12
    share: float = 0.12
    plateau_range: tuple[float, float] | None = None
    last: float = 1.0
    unseen_start: float = 0.2  # chance that an earlier run was first seen mid-way (teaches its plateau only)
    join_at: int = 0  # the app first sees the measured run at this percent


# shaped like the simulator's runs, three times as long: restore 0 → 10 → 75 (hold) → 100, 30 min;
# backup 0 → 90 (hold) → 100, 15 min
RESTORE = Shape(prep=90.0, data=1170.0, plateau=540.0)
BACKUP = Shape(prep=0.0, data=720.0, plateau=180.0)
SCENARIOS = [
    Scenario("restore: speed ±12 %, plateau share ±12 %", Operation.RESTORE, RESTORE),
    Scenario("backup: speed ±12 %, plateau share ±12 %", Operation.BACKUP, BACKUP),
    Scenario("restore: speed ±25 %, plateau share ±25 %", Operation.RESTORE, RESTORE, speed=0.25, share=0.25),
    Scenario("restore: plateau varies a lot (0.4–2× its usual length)", Operation.RESTORE, RESTORE,
             plateau_range=(0.4, 2.0)),
    Scenario("restore: plateau fixed length ±10 %, speed ±25 %", Operation.RESTORE, RESTORE, speed=0.25,
             plateau_range=(0.9, 1.1)),
    Scenario("restore: this run 40 % bigger than the earlier ones", Operation.RESTORE, RESTORE, last=1.4),
    Scenario("restore: the app first sees this run at 40 %", Operation.RESTORE, RESTORE, join_at=40),
]


def shape_of(scenario: Scenario, rng: random.Random, scale: float = 1.0) -> Shape:
    base = scenario.base
    speed = math.exp(rng.gauss(0, scenario.speed)) * scale
    data = base.data * speed
    if scenario.plateau_range is not None:
        plateau = base.plateau * rng.uniform(*scenario.plateau_range) * scale
    else:
        plateau = base.plateau / base.data * math.exp(rng.gauss(0, scenario.share)) * data
    return Shape(base.prep * math.exp(rng.gauss(0, 0.2)), data, plateau)


def run_polls(shape: Shape, operation: Operation, rng: random.Random, task: str) -> list[tuple[float, Progress]]:
    """One run polled every 5 s from its start: the percent climbs in uneven steps through the data phase."""
    restore = operation is Operation.RESTORE
    first, top = (10, 75) if restore else (0, 90)
    hold = 0.08 * shape.data if restore else 0.0  # DocSpace holds 10 % a while before data moves
    steps = [math.exp(rng.gauss(0, 0.35)) for _ in range(top - first)]
    scale = (shape.data - hold) / sum(steps)
    changes = [(0.0, 0), (shape.prep, first)] if restore else [(0.0, 0)]
    at = shape.prep + hold
    for k, step in enumerate(steps, start=1):
        at += step * scale
        changes.append((at, first + k))
    end = shape.total
    out, i, pct, t = [], 0, 0, 0.0
    while True:
        while i < len(changes) and changes[i][0] <= t:
            pct = changes[i][1]
            i += 1
        done = t >= end
        tenant = 2 if restore and pct >= 75 and t >= shape.prep + shape.data + shape.plateau / 2 else 1
        out.append((t, Progress(done, 100 if done else pct, "", operation, tenant, task,
                                TaskStatus.COMPLETED if done else TaskStatus.RUNNING)))
        if done:
            return out
        t += POLL


def recorded(polls: list[tuple[float, Progress]], operation: Operation, start: float, task: str,
             *, from_start: bool) -> tuple[RecordedOperation, list[Point]]:
    """An earlier run as the store keeps it; ``from_start=False``: the app first saw it mid data phase."""
    if not from_start:
        polls = [(t, p) for t, p in polls if p.progress >= 40]
    timeline = Timeline(operation)
    for t, p in polls:
        timeline.record(start + t, p)
    points = timeline.points
    first, last = points[0], points[-1]
    op = RecordedOperation(id=task, portal="bench", kind=operation.noun, scope="any", task_id=task,
                         first_seen=first.at, first_percent=first.percent or 0,
                         started=first.at if first.percent == 0 else None, ended=last.at, outcome="completed",
                         last_percent=100, portal_text="", last_seen=last.at)
    return op, points


def sequence(scenario: Scenario, seed: int, model: str) -> tuple[EarlierRuns, list[tuple[float, Progress]], Shape]:
    rng = random.Random(seed)
    op = scenario.operation
    past, start = [], 1_800_000_000.0
    for k in range(EARLIER):
        shape = shape_of(scenario, rng)
        polls = run_polls(shape, op, rng, f"past-{k}")
        past.append(recorded(polls, op, start, f"past-{k}", from_start=rng.random() >= scenario.unseen_start))
        start += 86_400.0
    shape = shape_of(scenario, rng, scenario.last)
    return learn(past, op, model=model), run_polls(shape, op, rng, "now"), shape


def overall(scenario: Scenario, model: str = "auto", sequences: int = SEQUENCES) -> dict[str, float]:
    """The done-by range at every poll of the measured run, over many sequences."""
    errors, inside, firsts, baseline, early = [], 0, [], [], []
    for seed in range(sequences):
        history, polls, _shape = sequence(scenario, seed, model)
        end = polls[-1][0]
        timeline = Timeline(scenario.operation)
        first = None
        for at, progress in polls:
            if first is None and progress.progress < scenario.join_at:
                continue
            timeline.record(at, progress)
            if not timeline.phase.running:
                continue
            est = estimate(timeline, at)
            if est is not None:  # today's answer, read as "done then": it leaves out the plateau
                baseline.append(abs(at + est.mid - end) / end)
            guess = done_by(timeline, at, history, est)
            if guess is None:
                continue
            first = at if first is None else first
            errors.append(abs(guess.mid - end) / end)
            inside += guess.low - POLL <= end <= guess.high + POLL
            if at < end / 4:
                early.append(errors[-1])
        if first is not None:
            firsts.append(first)
    errors.sort()
    return {"sequences": sequences, "estimates": len(errors), "first": statistics.median(firsts) if firsts else 0,
            "median_error": statistics.median(errors) * 100, "p90_error": errors[int(len(errors) * 0.9)] * 100,
            "inside": inside / len(errors) * 100,
            "early": statistics.median(early) * 100 if early else float("nan"),
            "baseline": statistics.median(baseline) * 100 if baseline else float("nan")}


def _pct(value: float) -> str:
    return "—" if math.isnan(value) else f"{value:.0f} %"


def print_overall() -> None:
    print(f"Overall \"done around\" (lib.jobs.forecast, model auto): {SEQUENCES} sequences per scenario, each "
          f"{EARLIER} earlier runs then the measured one, polled every {POLL:.0f} s; errors relative to the "
          "run's whole duration.\n")
    print("| scenario | estimates | first estimate, into the run | median error | 90th pct error "
          "| truth inside the range | median error in the run's first quarter "
          "| phase estimate alone (today), median error |")
    print("|---|---|---|---|---|---|---|---|")
    for scenario in SCENARIOS:
        r = overall(scenario)
        print(f"| {scenario.name} | {r['estimates']:.0f} | {r['first']:.0f} s | {r['median_error']:.0f} % | "
              f"{r['p90_error']:.0f} % | {r['inside']:.0f} % | {_pct(r['early'])} | {_pct(r['baseline'])} |")
    print("\nPlateau model (median error / truth inside the range):\n")
    print("| scenario | " + " | ".join(f"{m}" for m in ("share", "absolute", "auto")) + " |")
    print("|---|---|---|---|")
    for scenario in SCENARIOS:
        cells = []
        for model in ("share", "absolute", "auto"):
            r = overall(scenario, model)
            cells.append(f"{r['median_error']:.1f} % / {r['inside']:.0f} %")
        print(f"| {scenario.name} | " + " | ".join(cells) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--overall", action="store_true", help="only the learned done-by table")
    if parser.parse_args().overall:
        print_overall()
        return
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
    print()
    print_overall()


if __name__ == "__main__":
    main()
