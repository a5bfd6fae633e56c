"""Time left per phase, and stall detection, on recorded series."""

from __future__ import annotations

from lib.errors import PortalUnreachable
from lib.eta import estimate, stalled_for
from lib.models import Operation, Progress, TaskStatus
from lib.timeline import Timeline


def series(points: list[tuple[float, int]], op: Operation = Operation.RESTORE) -> Timeline:
    t = Timeline(op)
    for at, pct in points:
        t.record(at, Progress(pct == 100, pct, "", op, 1, "t", TaskStatus.RUNNING))
    return t


def test_steady_pace_estimates_the_rest_of_the_data_phase() -> None:
    t = series([(0, 0), (30, 10)] + [(30 + 10 * k, 10 + k) for k in range(1, 31)])  # 1 % per 10 s, at 40 %
    est = estimate(t, 330.0)
    assert est is not None and est.end_percent == 75
    assert 0.85 * 350 <= est.low <= est.high <= 1.15 * 350


def test_not_enough_data_gives_no_estimate() -> None:
    assert estimate(series([(0, 10), (10, 11)]), 10.0) is None  # only one change
    assert estimate(series([(0, 10), (4, 11), (8, 12), (12, 13)]), 12.0) is None  # under 15 s


def test_the_estimate_resets_at_a_phase_boundary() -> None:
    # preparing took 600 s for 0 -> 10; the data phase then moves 1 % per 2 s
    t = series([(0, 0), (600, 10), (620, 20), (640, 30), (660, 40)])
    est = estimate(t, 660.0)
    assert est is not None and est.high < 100  # 35 % at 0.5 %/s is 70 s; the slow setup is not counted


def test_plateau_and_backup_phases() -> None:
    assert estimate(series([(0, 10), (100, 50), (200, 75)]), 200.0) is None  # finishing up: no number
    backup = series([(0, 0), (10, 9), (20, 18), (30, 27)], Operation.BACKUP)
    est = backup and estimate(backup, 30.0)
    assert est is not None and est.end_percent == 90 and 50 <= est.low <= est.high <= 80


def test_quiet_longer_than_the_pace_widens_the_range() -> None:
    t = series([(0, 10), (10, 11), (20, 12), (30, 13), (40, 14)])
    t.record(300.0, Progress(False, 14, "", Operation.RESTORE, 1, "t", TaskStatus.RUNNING))
    est = estimate(t, 300.0)
    assert est is not None and est.high > est.low


def test_stall_uses_the_operations_pace_and_a_floor() -> None:
    t = series([(0, 10), (10, 11), (20, 12)])
    t.record(500.0, Progress(False, 12, "", Operation.RESTORE, 1, "t", TaskStatus.RUNNING))
    assert stalled_for(t, 500.0, floor=600) is None
    t.record(700.0, Progress(False, 12, "", Operation.RESTORE, 1, "t", TaskStatus.RUNNING))
    assert stalled_for(t, 700.0, floor=600) == 680.0


def test_stall_counts_only_while_the_portal_answers() -> None:
    t = series([(0, 10), (10, 11), (20, 12)])
    t.record(5000.0, PortalUnreachable("timeout"))
    assert stalled_for(t, 5000.0, floor=600) is None  # unreachable is not stalled


def test_plateau_gets_at_least_the_data_phases_time() -> None:
    t = series([(100.0 * k, 10 + 3 * k) for k in range(21)] + [(2100, 75)])  # data phase: 2100 s
    t.record(3000.0, Progress(False, 75, "", Operation.RESTORE, 2, "t", TaskStatus.RUNNING))
    assert stalled_for(t, 3000.0, floor=600) is None  # quiet 900 s: less than the data phase's 2100 s
    t.record(4300.0, Progress(False, 75, "", Operation.RESTORE, 2, "t", TaskStatus.RUNNING))
    assert stalled_for(t, 4300.0, floor=600) == 2200.0


def test_nothing_running_is_never_stalled() -> None:
    t = series([(0, 10), (10, 100)])
    assert stalled_for(t, 99999.0) is None
