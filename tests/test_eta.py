"""Time left per phase, and stall detection, on recorded series."""

from __future__ import annotations

import pytest

from lib.jobs.eta import DEFAULT_STALL_FLOOR, Estimate, estimate, stalled_for
from lib.jobs.timeline import Timeline
from lib.portal.errors import PortalUnreachable
from lib.portal.models import Operation, Progress, TaskStatus
from tests.factories import T0, completed, progress, timeline

# ---------------------------------------------------------------- changes only, no repeated polls


def series(points: list[tuple[float, int]], op: Operation = Operation.RESTORE) -> Timeline:
    """Only the changes: (seconds after T0, percent); 100 % is the job done."""
    return timeline(*[(at, progress(pct, op, done=pct == 100)) for at, pct in points], op=op)


def test_steady_pace_estimates_the_rest_of_the_data_phase() -> None:
    t = series([(0, 0), (30, 10)] + [(30 + 10 * k, 10 + k) for k in range(1, 31)])  # 1 % per 10 s, at 40 %
    est = estimate(t, T0 + 330)
    assert est is not None and est.end_percent == 75
    assert 0.85 * 350 <= est.low <= est.high <= 1.15 * 350


def test_not_enough_data_gives_no_estimate() -> None:
    assert estimate(series([(0, 10), (10, 11)]), T0 + 10) is None  # only one change
    assert estimate(series([(0, 10), (4, 11), (8, 12), (12, 13)]), T0 + 12) is None  # under 15 s


def test_the_estimate_resets_at_a_phase_boundary() -> None:
    # preparing took 600 s for 0 -> 10; the data phase then moves 1 % per 2 s
    t = series([(0, 0), (600, 10), (620, 20), (640, 30), (660, 40)])
    est = estimate(t, T0 + 660)
    assert est is not None and est.high < 100  # 35 % at 0.5 %/s is 70 s; the slow setup is not counted


def test_plateau_and_backup_phases() -> None:
    assert estimate(series([(0, 10), (100, 50), (200, 75)]), T0 + 200) is None  # finishing up: no number
    backup = series([(0, 0), (10, 9), (20, 18), (30, 27)], Operation.BACKUP)
    est = backup and estimate(backup, T0 + 30)
    assert est is not None and est.end_percent == 90 and 50 <= est.low <= est.high <= 80


def test_quiet_longer_than_the_pace_widens_the_range() -> None:
    t = series([(0, 10), (10, 11), (20, 12), (30, 13), (40, 14)])
    t.record(T0 + 300, progress(14))
    est = estimate(t, T0 + 300)
    assert est is not None and est.high > est.low


def test_stall_uses_the_operations_pace_and_a_floor() -> None:
    t = series([(0, 10), (10, 11), (20, 12)])
    t.record(T0 + 500, progress(12))
    assert stalled_for(t, T0 + 500, floor=600) is None
    t.record(T0 + 700, progress(12))
    assert stalled_for(t, T0 + 700, floor=600) == 680.0


def test_stall_counts_only_while_the_portal_answers() -> None:
    t = series([(0, 10), (10, 11), (20, 12)])
    t.record(T0 + 5000, PortalUnreachable("timeout"))
    assert stalled_for(t, T0 + 5000, floor=600) is None  # unreachable is not stalled


def test_plateau_gets_at_least_the_data_phases_time() -> None:
    t = series([(100.0 * k, 10 + 3 * k) for k in range(21)] + [(2100, 75)])  # data phase: 2100 s
    t.record(T0 + 3000, progress(75, tenant=2))
    assert stalled_for(t, T0 + 3000, floor=600) is None  # quiet 900 s: less than the data phase's 2100 s
    t.record(T0 + 4300, progress(75, tenant=2))
    assert stalled_for(t, T0 + 4300, floor=600) == 2200.0


def test_nothing_running_is_never_stalled() -> None:
    t = series([(0, 10), (10, 100)])
    assert stalled_for(t, T0 + 99999) is None


# ---------------------------------------------------------------- recorded series, polled every 5 s


def polled(changes: list[tuple[float, int]], until: float, *, every: float = 5.0,
           op: Operation = Operation.RESTORE) -> Timeline:
    """Poll every ``every`` s from 0 to ``until``, answering the latest change at or before each poll."""
    t = Timeline(op)
    i, current, at = 0, None, 0.0
    while at <= until:
        while i < len(changes) and changes[i][0] <= at:
            current = changes[i][1]
            i += 1
        if current is not None:
            t.record(T0 + at, progress(current, op))
        at += every
    return t


def steady(to: int, *, per: float = 10.0, hold_at_10: float = 60.0) -> list[tuple[float, int]]:
    """Restore: 0, then 10 % after ``hold_at_10`` s, then 1 % every ``per`` s up to ``to``."""
    return [(0.0, 0), (hold_at_10, 10)] + [(hold_at_10 + per * k, 10 + k) for k in range(1, to - 9)]


def test_steady_pace_at_40_percent_is_within_15_percent() -> None:
    changes = steady(40)
    end = changes[-1][0]
    t = polled(changes, end)
    assert t.polls > len(t.points)  # most polls repeated the percent
    est = estimate(t, T0 + end)
    expected = (75 - 40) * 10.0
    assert est is not None and est.end_percent == 75
    assert 0.85 * expected <= est.low <= est.mid <= est.high <= 1.15 * expected


def test_between_changes_the_estimate_counts_down() -> None:
    changes = steady(40)
    t = polled(changes, changes[-1][0] + 5)
    now = changes[-1][0] + 5
    est = estimate(t, T0 + now)
    assert est is not None and 0.85 * 345 <= est.low <= est.high <= 1.15 * 345


def test_a_jump_does_not_throw_the_estimate_off() -> None:
    changes = steady(25) + [(60 + 160.0, 33)] + [(220 + 10.0 * k, 33 + k) for k in range(1, 8)]  # +8 % jump
    end = changes[-1][0]
    t = polled(changes, end)
    est = estimate(t, T0 + end)
    expected = (75 - 40) * 10.0
    assert est is not None
    assert 0.6 * expected <= est.low <= est.high <= 1.15 * expected


def test_a_stall_widens_the_range_instead_of_claiming_done() -> None:
    changes = steady(40)
    moving = estimate(polled(changes, changes[-1][0]), T0 + changes[-1][0])
    quiet_end = changes[-1][0] + 1200  # 20 min without a change
    t = polled(changes, quiet_end)
    est = estimate(t, T0 + quiet_end)
    assert moving is not None and moving.high - moving.low < 1
    assert est is not None and est.high > 0 and est.high - est.low > 60  # a range, still some left
    assert est.low >= 0


@pytest.mark.parametrize("changes", [
    [(0.0, 10)],  # one percent
    [(0.0, 10), (600.0, 11)],  # two percents over ten minutes
    [(0.0, 10), (10.0, 11), (20.0, 11)],
])
def test_no_estimate_with_fewer_than_three_distinct_percents(changes: list[tuple[float, int]]) -> None:
    t = polled(changes, 900)
    assert estimate(t, T0 + 900) is None


def test_no_estimate_over_a_few_seconds() -> None:
    t = Timeline(Operation.RESTORE)
    for i, pct in enumerate([10, 11, 12, 13, 14, 15]):
        t.record(T0 + 2 * i, progress(pct))  # five changes in 10 s
    assert estimate(t, T0 + 10) is None


def test_entering_the_phase_is_not_part_of_its_pace() -> None:
    # 10 % held for 20 min (DocSpace prepares), then 1 % per 10 s
    changes = [(0.0, 0), (60.0, 10)] + [(1260.0 + 10 * k, 10 + k) for k in range(1, 31)]
    end = changes[-1][0]
    est = estimate(polled(changes, end), T0 + end)
    assert est is not None and 0.85 * 350 <= est.low <= est.high <= 1.15 * 350


def test_points_from_preparing_are_not_used() -> None:
    # preparing: 0..9 one percent per 2 s; data: one percent per 20 s
    changes = [(2.0 * k, k) for k in range(10)] + [(100.0, 10)] + [(100 + 20.0 * k, 10 + k) for k in range(1, 21)]
    end = changes[-1][0]
    est = estimate(polled(changes, end, every=2.0), T0 + end)
    expected = (75 - 30) * 20.0
    assert est is not None and 0.85 * expected <= est.low <= est.high <= 1.15 * expected


def test_backup_and_transfer_phases_end_where_they_should() -> None:
    backup = polled([(10.0 * k, k) for k in range(0, 41)], 400, op=Operation.BACKUP)
    est = estimate(backup, T0 + 400)
    assert est is not None and est.end_percent == 90 and 0.85 * 500 <= est.low <= est.high <= 1.15 * 500
    transfer = polled([(10.0 * k, k) for k in range(0, 51)], 500, op=Operation.TRANSFER)
    est = estimate(transfer, T0 + 500)
    assert est is not None and est.end_percent == 100 and 0.85 * 500 <= est.low <= est.high <= 1.15 * 500


@pytest.mark.parametrize(("op", "changes", "last"), [
    (Operation.RESTORE, steady(75), None),  # finishing up: holds at 75 by design
    (Operation.BACKUP, [(10.0 * k, 10 * k) for k in range(10)], None),  # uploading: holds at 90
    (Operation.RESTORE, [(2.0 * k, k) for k in range(10)], None),  # preparing
    (Operation.RESTORE, steady(40), progress(0, status=TaskStatus.CREATED)),  # queued
    (Operation.RESTORE, steady(40), completed()),
    (Operation.RESTORE, steady(40), completed(40, error="boom")),
])
def test_no_number_outside_a_measurable_phase(op: Operation, changes: list, last: Progress | None) -> None:
    end = changes[-1][0]
    t = polled(changes, end, op=op)
    if last is not None:
        t.record(T0 + end + 5, last)
    assert estimate(t, T0 + end + 5) is None


def test_idle_and_empty_timelines_have_no_estimate() -> None:
    assert estimate(Timeline(Operation.RESTORE), T0) is None
    t = Timeline(Operation.RESTORE)
    t.record(T0, None)
    assert estimate(t, T0) is None


def test_never_negative_when_the_expected_end_has_passed() -> None:
    changes = steady(70)
    t = polled(changes, changes[-1][0])
    est = estimate(t, T0 + changes[-1][0] + 10_000)  # the page asks long after the last poll
    assert isinstance(est, Estimate) and est.low == 0.0 and est.high >= 0.0


def test_a_percent_going_backwards_gives_no_estimate() -> None:
    t = Timeline(Operation.RESTORE)
    for i, pct in enumerate([50, 49, 48, 47, 46]):
        t.record(T0 + 20 * i, progress(pct))
    assert estimate(t, T0 + 80) is None


# ---------------------------------------------------------------- stall


def test_not_stalled_while_moving() -> None:
    changes = steady(60)
    t = polled(changes, changes[-1][0] + 5)
    assert stalled_for(t, T0 + changes[-1][0] + 5) is None


def test_stalled_after_more_than_the_floor_of_quiet() -> None:
    changes = steady(40)
    last = changes[-1][0]
    t = polled(changes, last + 600)
    assert stalled_for(t, T0 + last + 600) is None  # exactly the floor: not yet
    t.record(T0 + last + 605, progress(40))
    assert stalled_for(t, T0 + last + 605) == 605.0
    assert stalled_for(t, T0 + last + 605, floor=1200) is None
    assert DEFAULT_STALL_FLOOR == 600.0


def test_a_slow_job_gets_three_times_its_own_gap() -> None:
    changes = [(0.0, 0), (60.0, 10)] + [(60 + 300.0 * k, 10 + k) for k in range(1, 6)]  # 5 min per percent
    last = changes[-1][0]
    t = polled(changes, last + 880, every=20.0)
    assert stalled_for(t, T0 + last + 880) is None  # 880 s < 3 × 300 s (it would be over the floor)
    t.record(T0 + last + 950, progress(15))
    assert stalled_for(t, T0 + last + 950) == 950.0


def test_a_plateau_waits_at_least_as_long_as_the_data_phase_took() -> None:
    # backup: creating 0 -> 90 over 900 s, then holds at 90 while uploading
    changes = [(10.0 * k, k) for k in range(0, 91)]
    t = polled(changes, 900 + 880, every=20.0, op=Operation.BACKUP)
    assert t.phase.plateau
    assert stalled_for(t, T0 + 1780) is None  # 880 s quiet: less than the 900 s of creating
    t.record(T0 + 1820, progress(90, Operation.BACKUP))
    assert stalled_for(t, T0 + 1820) == 920.0


@pytest.mark.parametrize("last", [
    None,
    completed(),
    completed(40, error="disk full"),
    progress(40, status=TaskStatus.CANCELED, warning="Backup cancelled"),
])
def test_never_stalled_when_nothing_runs(last: Progress | None) -> None:
    t = polled(steady(40), 300)
    t.record(T0 + 305, last)
    t.record(T0 + 50_000, last)
    assert stalled_for(t, T0 + 50_000, floor=60) is None


def test_empty_or_failure_only_timelines_are_not_stalled() -> None:
    assert stalled_for(Timeline(Operation.RESTORE), T0) is None
    t = Timeline(Operation.RESTORE)
    t.record(T0, PortalUnreachable("timeout"))
    assert stalled_for(t, T0 + 10_000, floor=1) is None


def test_quiet_time_is_counted_only_up_to_the_last_answer() -> None:
    changes = steady(40)
    last = changes[-1][0]
    t = polled(changes, last + 300)
    t.record(T0 + last + 305, PortalUnreachable("timeout"))
    assert stalled_for(t, T0 + last + 7200) is None  # two hours unreachable is not two hours stalled
    t2 = polled(changes, last + 900)
    t2.record(T0 + last + 905, PortalUnreachable("timeout"))
    assert stalled_for(t2, T0 + last + 7200) == 900.0  # quiet while it still answered
    assert stalled_for(t2, T0 + last + 99_999) == 900.0
