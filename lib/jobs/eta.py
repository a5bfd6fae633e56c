"""How long the current phase has left, and whether the job has stalled.

Only change points are used (the percent is a coarse integer, so most polls repeat it). The pace is
measured per phase, resetting at phase boundaries, because DocSpace jumps (0→10) and holds (75, 90)
by design: a single global rate would overshoot, then stall. Two rates are compared, a tqdm-style
EMA of Δpercent over an EMA of Δtime (recent pace) and the phase average (long pace); the answer is
their range. No estimate until the phase has moved three times over at least 15 s.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from lib.jobs.phases import DATA_PHASE_END, Phase
from lib.jobs.timeline import Timeline

ALPHA = 0.3
MIN_CHANGES = 2
MIN_SPAN = 15.0
DEFAULT_STALL_FLOOR = 600.0


@dataclass(frozen=True, slots=True)
class Estimate:
    """Seconds left in the current phase, as a range; ``end_percent`` is where the phase ends."""

    low: float
    high: float
    end_percent: int

    @property
    def mid(self) -> float:
        return (self.low + self.high) / 2


def estimate(timeline: Timeline, now: float) -> Estimate | None:
    """Time left in the current measurable phase, or None when there is not enough to go on."""
    phase = timeline.phase
    end = DATA_PHASE_END.get(phase)
    if end is None:
        return None
    # The phase's first point marks when we entered it, not its pace (DocSpace holds 10 % for a
    # while before data starts moving), so the pace is measured from the first change after it.
    steps = _steps(timeline, phase)[1:]
    if len(steps) < MIN_CHANGES + 1:
        return None
    (t0, p0), (t1, p1) = steps[0], steps[-1]
    if t1 - t0 < MIN_SPAN or p1 <= p0:
        return None
    ema_dp = ema_dt = 0.0
    for (ta, pa), (tb, pb) in itertools.pairwise(steps):
        ema_dp = ALPHA * (pb - pa) + (1 - ALPHA) * ema_dp
        ema_dt = ALPHA * (tb - ta) + (1 - ALPHA) * ema_dt
    rates = [ema_dp / ema_dt, (p1 - p0) / (t1 - t0)]
    # If it is quiet for longer than the pace predicts, the pace so far is too hopeful.
    quiet_until = timeline.last_ok_at or now
    rates.append(min([*rates, (p1 - p0) / max(quiet_until - t0, t1 - t0)]))
    left = [max(0.0, t1 + (end - p1) / rate - now) for rate in rates if rate > 0]
    if not left:
        return None
    return Estimate(low=min(left), high=max(left), end_percent=end)


def _steps(timeline: Timeline, phase: Phase) -> list[tuple[float, int]]:
    """(time, percent) at each percent change within the phase."""
    out: list[tuple[float, int]] = []
    for point in timeline.phase_points(phase):
        if point.percent is not None and (not out or point.percent != out[-1][1]):
            out.append((point.at, point.percent))
    return out


def stalled_for(timeline: Timeline, now: float, floor: float = DEFAULT_STALL_FLOOR) -> float | None:
    """Seconds without progress, when that is longer than this operation's own pace allows.

    Threshold: max(floor, 3 × the median gap between changes); on a plateau (75 % restore, 90 %
    backup) also at least as long as the data phase took, since finishing is slower to show.
    Time is counted only up to the last answer: an unreachable portal is not a stalled job.
    """
    if not timeline.phase.running:
        return None
    changed = timeline.last_change_at
    answered = timeline.last_ok_at
    if changed is None or answered is None:
        return None
    quiet = answered - changed
    gap = timeline.median_gap() or 0.0
    threshold = max(floor, 3 * gap)
    if timeline.phase.plateau:
        data = [p for p in timeline.progress_points if p.phase in DATA_PHASE_END]
        if data:
            threshold = max(threshold, changed - data[0].at)
    return quiet if quiet > threshold else None
