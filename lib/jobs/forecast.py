"""When the whole job will be done, learned from this portal's earlier runs of the same kind.

Pure: earlier operations (as recorded, with their change points) and the current timeline go in; a
"done around" range comes out, or None when there is nothing to learn from (the page then keeps the
phase estimate of :mod:`lib.jobs.eta`).

What is learned from each earlier **completed** run (the newest :data:`RECENT` that have any part):

- ``total``: from its start (0 %) to done, only for runs seen from the start;
- ``data``: from entering the data phase (restore 10 %, backup 0 %) to reaching the plateau (75 % / 90 %);
- ``plateau``: from reaching the plateau to done, only when both moments were seen (the point before
  each was an answer, not a failed check), so a run first seen at 40 % still teaches its plateau.

How the plateau is predicted (``model``): ``"share"`` scales this run's data phase by the plateau's
share of past data phases (a bigger portal takes longer at both); ``"absolute"`` takes past plateau
lengths as they were; ``"auto"`` (the default) picks, per portal, whichever of the two predicted the
earlier runs better (each run left out in turn), with at least three runs to judge by, else "share".

The range is the earliest to the latest of the past runs' values, widened by :data:`MARGIN` of the
median (one run gives a range, too). The anchor is the best moment this run has seen:

1. on the plateau, when it was seen reached: reached + plateau;
2. in the data phase with a phase estimate: now + the phase's time left + plateau;
3. in the data phase without one, when its start was seen: entered + (data + plateau) of past runs;
4. seen from the start: start + past totals.

Past the range's end the job is "taking longer than" the earlier runs: ``late``.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from lib.i18n import Viewer
from lib.jobs.eta import Estimate
from lib.jobs.phases import DATA_PHASE_END, Phase
from lib.jobs.recorded import RecordedOperation
from lib.jobs.timeline import Point, Timeline
from lib.portal.models import Operation

#: where each kind holds still until it is done, and where its data phase begins
PLATEAU = {"restore": 75, "backup": 90}
DATA_FROM = {"restore": 10, "backup": 0}
#: how many of the newest runs are learned from (the portal changes; old runs say less)
RECENT = 5
#: the range is widened by this share of the median on each side: this run differs from the past ones too
MARGIN = 0.10
MODELS = ("auto", "share", "absolute")


@dataclass(frozen=True, slots=True)
class PastRun:
    """What one earlier completed run teaches; None where it was not seen."""

    ended: float
    total: float | None
    data: float | None
    plateau: float | None

    @property
    def share(self) -> float | None:
        if self.data is None or self.plateau is None or self.data <= 0:
            return None
        return self.plateau / self.data


@dataclass(frozen=True, slots=True)
class EarlierRuns:
    """The newest earlier runs of one kind on one portal, newest first, and the plateau model to use."""

    kind: str  # "restore" or "backup"
    runs: tuple[PastRun, ...] = ()
    model: str = "share"  # resolved: "share" or "absolute"

    def values(self, part: Callable[[PastRun], float | None]) -> list[float]:
        return [v for v in (part(r) for r in self.runs) if v is not None]

    @property
    def totals(self) -> list[float]:
        return self.values(lambda r: r.total)

    @property
    def plateaus(self) -> list[float]:
        return self.values(lambda r: r.plateau)

    @property
    def shares(self) -> list[float]:
        return self.values(lambda r: r.share)

    @property
    def rests(self) -> list[float]:
        """Data phase plus plateau, for runs where both were seen."""
        return self.values(lambda r: None if r.data is None or r.plateau is None else r.data + r.plateau)


class Past(NamedTuple):
    """What the history says before this run: how the last one ended, and what earlier runs teach."""

    last: RecordedOperation | None
    learned: EarlierRuns | None


@dataclass(frozen=True, slots=True)
class DoneBy:
    """When the job should be done (timestamps), from ``runs`` earlier runs of ``kind``."""

    low: float
    high: float
    runs: int
    kind: str
    late: bool = False  # already past the latest the earlier runs suggest

    @property
    def mid(self) -> float:
        return (self.low + self.high) / 2


# ---------------------------------------------------------------- learning


def learn(past: Sequence[tuple[RecordedOperation, list[Point]]], kind: str | Operation, *,
          model: str = "auto", recent: int = RECENT) -> EarlierRuns:
    """What earlier runs of ``kind`` teach: only completed ones, the newest ``recent`` with any usable part."""
    noun = kind.noun if isinstance(kind, Operation) else kind
    if model not in MODELS:
        raise ValueError(f"model must be one of {MODELS}, not {model!r}")
    runs: list[PastRun] = []
    for op, points in sorted(past, key=lambda item: item[0].ended or item[0].last_seen, reverse=True):
        if op.kind != noun or op.outcome != "completed" or op.ended is None:
            continue
        run = _past_run(op, points, noun)
        if run.total is not None or run.plateau is not None:
            runs.append(run)
        if len(runs) >= recent:
            break
    history = EarlierRuns(noun, tuple(runs))
    return EarlierRuns(noun, tuple(runs), _choose(history) if model == "auto" else model)


def _past_run(op: RecordedOperation, points: list[Point], kind: str) -> PastRun:
    marks = _marks(points, kind)
    end = marks.end
    start = op.started if op.started is not None else marks.start
    total = end - start if end is not None and start is not None else None
    data = marks.plateau - marks.data if marks.plateau is not None and marks.data is not None else None
    plateau = end - marks.plateau if end is not None and marks.plateau is not None else None
    return PastRun(op.ended or 0.0, total, data, plateau)


def _choose(history: EarlierRuns) -> str:
    """The plateau model that predicted each earlier run best from the others; "share" until there are 3."""
    both = [r for r in history.runs if r.share is not None]
    if len(both) < 3:
        return "share"
    errors = {"share": 0.0, "absolute": 0.0}
    for i, run in enumerate(both):
        others = both[:i] + both[i + 1:]
        share = statistics.median(r.share for r in others)  # type: ignore[type-var]
        errors["share"] += abs(share * run.data - run.plateau)  # type: ignore[operator]
        errors["absolute"] += abs(statistics.median(r.plateau for r in others) - run.plateau)  # type: ignore[type-var,operator]
    return "absolute" if errors["absolute"] < errors["share"] else "share"


# ---------------------------------------------------------------- the estimate


def done_by(timeline: Timeline, now: float, history: EarlierRuns | None,
            current_phase_estimate: Estimate | None) -> DoneBy | None:
    """When the whole job should be done, as a range; None without earlier runs or while nothing runs."""
    if history is None or not history.runs or not timeline.phase.running:
        return None
    kind = history.kind
    if timeline.operation.noun != kind or kind not in PLATEAU:
        return None
    marks = _marks(timeline.points, kind)
    phase = timeline.phase
    est = current_phase_estimate
    if phase.plateau and marks.plateau is not None:
        data = marks.plateau - marks.data if marks.data is not None else None
        plateau = _plateau(history, data, data)
        if plateau is not None:
            lo, hi, n = plateau
            return _done(marks.plateau + lo, marks.plateau + hi, n, kind, now)
    if phase in DATA_PHASE_END and est is not None:
        so_far = now - marks.data if marks.data is not None else None
        plateau = _plateau(history, None if so_far is None else so_far + est.low,
                           None if so_far is None else so_far + est.high)
        if plateau is not None:
            lo, hi, n = plateau
            return _done(now + est.low + lo, now + est.high + hi, n, kind, now)
    if phase in DATA_PHASE_END and marks.data is not None and history.rests:
        lo, hi = _range(history.rests)
        return _done(marks.data + lo, marks.data + hi, len(history.rests), kind, now)
    if marks.start is not None and history.totals:
        lo, hi = _range(history.totals)
        return _done(marks.start + lo, marks.start + hi, len(history.totals), kind, now)
    return None


def _plateau(history: EarlierRuns, data_lo: float | None, data_hi: float | None) -> tuple[float, float, int] | None:
    """The plateau's length as a range, scaled to this run's data phase when the model and the data allow."""
    shares = history.shares
    if history.model == "share" and shares and data_lo is not None and data_hi is not None:
        lo, hi = _range(shares)
        return lo * data_lo, hi * data_hi, len(shares)
    plateaus = history.plateaus
    if not plateaus:
        return None
    lo, hi = _range(plateaus)
    return lo, hi, len(plateaus)


def _range(values: list[float]) -> tuple[float, float]:
    margin = MARGIN * statistics.median(values)
    return max(0.0, min(values) - margin), max(values) + margin


def _done(low: float, high: float, runs: int, kind: str, now: float) -> DoneBy:
    if high < now:
        return DoneBy(now, now, runs, kind, late=True)
    return DoneBy(max(low, now), high, runs, kind)


# ---------------------------------------------------------------- moments within one run


@dataclass(frozen=True, slots=True)
class _Marks:
    start: float | None  # the first point, when it was 0 % (seen from the start)
    data: float | None  # entering the data phase
    plateau: float | None  # reaching the plateau
    end: float | None  # completed


def _marks(points: list[Point], kind: str) -> _Marks:
    seen = [p for p in points if p.problem is None and p.percent is not None]
    first = seen[0] if seen else None
    start = first.at if first is not None and first.percent == 0 else None
    data_from, plateau = DATA_FROM[kind], PLATEAU[kind]
    if kind == "backup":
        data = _reached(points, lambda p: p.phase is not Phase.QUEUED)
        if data is None and first is not None and first.percent == 0 and first.phase is not Phase.QUEUED:
            data = first.at  # a backup's data phase begins at its start
    else:
        data = _reached(points, lambda p: (p.percent or 0) >= data_from)
    return _Marks(start, data, _reached(points, lambda p: (p.percent or 0) >= plateau),
                  _reached(points, lambda p: p.phase is Phase.COMPLETED))


def _reached(points: list[Point], done: Callable[[Point], bool]) -> float | None:
    """When ``done`` first held, if that moment was seen: the check before it answered, and was not done yet."""
    before: Point | None = None
    for p in points:
        if p.problem is None and p.percent is not None and done(p):
            return p.at if before is not None and before.problem is None else None
        before = p
    return None


# ---------------------------------------------------------------- words


def done_by_words(done: DoneBy, viewer: Viewer, now: float) -> str:
    """``done around 11:20–11:35 (based on 3 earlier restores)``, or ``taking longer than the last 3 restores here``."""
    if done.late:
        return viewer.kn_(done.kind, "taking longer than the last {noun} here",
                          "taking longer than the last {n} {noun}s here", done.runs)
    return viewer.kn_(done.kind, "done around {time} (based on {n} earlier {noun})",
                      "done around {time} (based on {n} earlier {noun}s)", done.runs,
                      time=done_by_short(done, viewer, now))


def done_by_short(done: DoneBy, viewer: Viewer, now: float) -> str:
    """For a tile: ``11:20–11:35``, ``11:25``, ``Nov 27, 23:05–23:40``, or ``overdue`` when past the earlier runs."""
    if done.late:
        return viewer._("overdue")
    low, high = _round_clock(done.low, now, up=False), _round_clock(done.high, now, up=True)
    first, last = viewer.time(low), viewer.time(high)
    day, today = viewer.moment(low).date(), viewer.moment(now).date()
    if first == last and day == viewer.moment(high).date():
        return viewer.clock(low, now)
    if day == viewer.moment(high).date():
        times = f"{first}–{last}"
        return times if day == today else viewer._("{day}, {time}", day=viewer.day(day), time=times)
    return f"{viewer.clock(low, now)}–{viewer.clock(high, now)}"


def before_start_words(history: EarlierRuns | None, viewer: Viewer) -> str | None:
    """``The last 3 restores here took 35–42 min``; None without earlier runs seen from the start."""
    if history is None or not history.totals:
        return None
    totals = history.totals
    n = len(totals)
    lo, hi = _minutes(min(totals)), _minutes(max(totals))
    if max(totals) < 60:
        took = viewer._("under a minute each") if n > 1 else viewer._("under a minute")
    elif lo == hi:
        took = viewer._("{duration} each", duration=viewer.duration(lo * 60)) if n > 1 else viewer.duration(lo * 60)
    elif hi < 60:
        took = viewer.unit(f"{viewer.number(lo)}–{viewer.number(hi)}", "minute")
    else:
        took = viewer._("{low} to {high}", low=viewer.duration(lo * 60), high=viewer.duration(hi * 60))
    return viewer.kn_(history.kind, "The last {noun} here took {took}", "The last {n} {noun}s here took {took}", n,
                      took=took)


def _minutes(seconds: float) -> int:
    """Whole minutes, halves up, at least one."""
    return max(1, math.floor(seconds / 60 + 0.5))


def _round_clock(at: float, now: float, *, up: bool) -> float:
    """A clock time as precise as the time left allows (timewords.round_remaining's steps: 1, 5, 15 min)."""
    left = at - now
    step = 60.0 if left < 600 else 300.0 if left < 3600 else 900.0
    rounded = (math.ceil if up else math.floor)(at / step) * step
    return max(rounded, math.ceil(now / 60) * 60.0)
