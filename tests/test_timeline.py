"""The history: change points only, failures as events, runs, bounds, memory.

Times are real epoch seconds after T0 (never a falsy 0.0), as the watcher records them.
"""

from __future__ import annotations

import itertools
import pickle

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lib.jobs.phases import Phase
from lib.jobs.timeline import MAX_POINTS, Point, Problem, Run, Timeline
from lib.portal.errors import Category, Forbidden, PortalUnreachable, RateLimited, ServerError
from lib.portal.models import Operation, Progress, TaskStatus
from tests.factories import T0, completed, progress

# ---------------------------------------------------------------- change points


def test_identical_polls_add_no_point_but_are_counted() -> None:
    t = Timeline(Operation.RESTORE)
    made = [t.record(T0 + 5 * i, progress(42)) for i in range(50)]
    assert made == [True] + [False] * 49
    assert len(t.points) == 1 and t.points[0].at == T0 and t.points[0].percent == 42
    assert t.polls == 50
    assert t.last_poll_at == T0 + 245 and t.last_ok_at == T0 + 245


def test_a_new_point_for_percent_phase_tenant_error_or_task_changes() -> None:
    t = Timeline(Operation.RESTORE)
    t.record(T0, progress(42))
    assert t.record(T0 + 1, progress(43))  # percent
    assert t.record(T0 + 2, progress(43, tenant=2))  # tenant swapped, same percent
    assert t.record(T0 + 3, progress(43, tenant=2, warning="x", status=TaskStatus.CANCELED))  # phase
    assert not t.record(T0 + 4, progress(43, tenant=2, warning="x", status=TaskStatus.CANCELED))
    assert [p.phase for p in t.points][-1] is Phase.CANCELLED
    assert len(t.points) == 4


def test_polls_at_or_before_the_last_one_are_ignored() -> None:
    t = Timeline(Operation.RESTORE)
    assert t.record(T0, progress(10))
    assert not t.record(T0, progress(20))
    assert not t.record(T0 - 1, progress(30))
    assert not t.record(T0, PortalUnreachable("timeout"))
    assert not t.record(T0 - 100, None)
    assert t.polls == 1 and t.failures == 0 and t.last_problem is None
    assert [p.percent for p in t.points] == [10] and t.last_poll_at == T0
    assert t.record(T0 + 0.001, progress(20))


# ---------------------------------------------------------------- failed checks


def test_failed_poll_is_a_point_with_the_last_known_percent_and_repeats_are_one_event() -> None:
    t = Timeline(Operation.RESTORE)
    t.record(T0, progress(42, tenant=7, task="abc"))
    assert t.record(T0 + 5, PortalUnreachable("timeout"))
    for i in range(2, 20):
        assert not t.record(T0 + 5 * i, PortalUnreachable("timeout"))
    assert len(t.points) == 2
    event = t.points[-1]
    assert (event.at, event.percent, event.phase, event.tenant_id, event.task_id) == (
        T0 + 5, 42, Phase.RESTORING, 7, "abc")
    assert event.problem is not None and event.problem.category is Category.UNREACHABLE
    assert event.problem.label == "unreachable"
    assert "did not answer in time" in str(event.problem.message)
    assert t.failures == 19 and t.polls == 20
    assert t.last_ok_at == T0 and t.last_poll_at == T0 + 95
    assert t.last_progress is not None and t.last_progress.progress == 42
    assert t.phase is Phase.RESTORING  # the job's phase is what we last knew, not "idle"


def test_a_different_kind_of_failure_is_a_new_event() -> None:
    t = Timeline(Operation.RESTORE)
    t.record(T0, progress(30))
    t.record(T0 + 1, PortalUnreachable("timeout"))
    t.record(T0 + 2, RateLimited(status=429, retry_after=30))
    t.record(T0 + 3, PortalUnreachable("dns"))
    kinds = [p.problem.label if p.problem else None for p in t.points]
    assert kinds == [None, "unreachable", "rate limited", "unreachable"]
    assert t.points[2].problem == Problem(Category.UNREACHABLE, "rate limited", RateLimited().message, 429, 30)
    assert t.failures == 3


def test_recovery_is_a_point_even_at_the_same_percent() -> None:
    t = Timeline(Operation.RESTORE)
    t.record(T0, progress(42))
    t.record(T0 + 5, ServerError(status=502))
    assert t.last_problem is not None and t.last_problem.status == 502 and t.last_problem.label == "server error"
    assert t.record(T0 + 10, progress(42))
    assert [(p.percent, p.problem is None) for p in t.points] == [(42, True), (42, False), (42, True)]
    assert t.failures == 0 and t.last_problem is None and t.last_ok_at == T0 + 10
    assert t.last_change_at == T0  # coming back at the same percent is not progress


def test_failure_before_any_answer_has_no_percent() -> None:
    t = Timeline(Operation.BACKUP)
    t.record(T0, Forbidden())
    (only,) = t.points
    assert only.percent is None and only.phase is Phase.IDLE and only.problem is not None
    assert t.last_progress is None and t.last_ok_at is None and t.phase is Phase.IDLE
    assert t.progress_points == [] and t.first_seen is None and t.last_change_at is None


# ---------------------------------------------------------------- runs


def test_a_new_task_id_closes_the_run_as_abandoned() -> None:
    t = Timeline(Operation.RESTORE)
    t.record(T0, progress(20, task="a"))
    t.record(T0 + 100, progress(40, task="a"))
    t.record(T0 + 200, progress(5, task="b"))
    (run,) = t.runs
    assert run == Run(id="", task_id="a", operation=Operation.RESTORE, first_seen=T0, first_percent=20,
                      ended=T0 + 100, outcome=Phase.RESTORING, percent=40)
    assert [(p.task_id, p.percent) for p in t.points] == [("b", 5)]
    assert t.first_seen == T0 + 200


def test_a_new_task_after_a_completed_one_closes_the_run_as_completed() -> None:
    t = Timeline(Operation.RESTORE)
    t.record(T0, progress(0, task="t1"))
    t.record(T0 + 100, progress(50, task="t1"))
    t.record(T0 + 200, completed(task="t1"))
    t.record(T0 + 300, progress(0, task="t2"))
    assert [p.percent for p in t.points] == [0]
    (run,) = t.runs
    assert run.outcome is Phase.COMPLETED and run.duration == 200.0 and run.first_percent == 0


def test_a_job_after_a_terminal_phase_starts_a_new_run() -> None:
    t = Timeline(Operation.BACKUP)
    t.record(T0, progress(0, task="", op=Operation.BACKUP))
    t.record(T0 + 60, progress(45, task="", op=Operation.BACKUP))
    t.record(T0 + 300, completed(task="", op=Operation.BACKUP))
    for i in range(1, 10):  # the portal keeps answering "completed"
        t.record(T0 + 300 + 5 * i, completed(task="", op=Operation.BACKUP))
    assert not t.runs and t.finished_at == T0 + 300
    t.record(T0 + 1000, progress(3, task="", op=Operation.BACKUP))  # same (empty) task id: told by phase
    (run,) = t.runs
    assert run.outcome is Phase.COMPLETED and run.percent == 100 and run.operation is Operation.BACKUP
    assert run.first_seen == T0 and run.ended == T0 + 300 and run.duration == 300.0
    assert t.phase is Phase.CREATING and [p.percent for p in t.points] == [3]


@pytest.mark.parametrize(("last", "outcome"), [
    (completed(40, error="disk full"), Phase.FAILED),
    (progress(40, status=TaskStatus.CANCELED), Phase.CANCELLED),
    (completed(), Phase.COMPLETED),
])
def test_every_terminal_outcome_is_kept_in_runs(last: Progress, outcome: Phase) -> None:
    t = Timeline(Operation.RESTORE)
    t.record(T0, progress(12))
    t.record(T0 + 50, last)
    t.record(T0 + 90, None)
    (run,) = t.runs
    assert run.outcome is outcome and run.percent == last.progress
    assert run.first_percent == 12 and run.duration == 50.0


def test_an_abandoned_run_ends_when_it_was_last_seen() -> None:
    t = Timeline(Operation.RESTORE)
    t.record(T0, progress(0))
    t.record(T0 + 600, progress(40))
    t.record(T0 + 1200, progress(75))
    for k in range(1, 31):  # 30 more minutes at 75 %
        t.record(T0 + 1200 + 60 * k, progress(75))
    t.record(T0 + 3060, None)  # the job is gone without us seeing 100 %
    (run,) = t.runs
    assert run.outcome is Phase.FINISHING
    assert run.ended == T0 + 3000 and run.duration == 3000.0


def test_runs_are_bounded() -> None:
    t = Timeline(Operation.RESTORE, max_runs=3)
    for k in range(10):
        t.record(T0 + 10 * k, progress(50, task=f"t{k}"))
    assert [r.task_id for r in t.runs] == ["t6", "t7", "t8"]


# ---------------------------------------------------------------- idle answers and tenants


def test_idle_answers() -> None:
    t = Timeline(Operation.RESTORE)
    assert t.record(T0, None)
    assert not t.record(T0 + 5, None)
    assert len(t.points) == 1 and t.points[0].percent is None and t.phase is Phase.IDLE
    assert t.last_ok_at == T0 + 5 and t.progress_points == [] and not t.runs
    t.record(T0 + 10, progress(0))
    t.record(T0 + 20, progress(50))
    assert t.first_seen == T0 + 10 and t.phase is Phase.RESTORING
    t.record(T0 + 30, None)  # the job vanished: close it
    t.record(T0 + 40, None)
    assert len(t.runs) == 1 and t.runs[0].outcome is Phase.RESTORING and t.runs[0].first_seen == T0 + 10
    assert t.phase is Phase.IDLE and t.finished_at is None and t.first_seen is None


def test_tenants_lists_each_swap_in_order() -> None:
    t = Timeline(Operation.RESTORE)
    for i, (pct, tenant) in enumerate([(10, 1), (40, 1), (75, 2), (75, 2), (100, 2)]):
        t.record(T0 + i, progress(pct, tenant=tenant) if pct < 100 else completed(tenant=tenant))
    assert t.tenants == [1, 2]
    t2 = Timeline(Operation.RESTORE)
    t2.record(T0, progress(10, tenant=None))
    assert t2.tenants == []


# ---------------------------------------------------------------- what the page reads: last change, end, phase, pace


def test_last_change_at_moves_only_when_percent_or_phase_moves() -> None:
    t = Timeline(Operation.RESTORE)
    assert t.last_change_at is None
    t.record(T0, progress(20))
    t.record(T0 + 10, progress(20))
    assert t.last_change_at == T0
    t.record(T0 + 20, progress(21))
    t.record(T0 + 30, progress(21, tenant=2))  # a new point, but not progress
    t.record(T0 + 40, PortalUnreachable("timeout"))
    assert t.last_change_at == T0 + 20


def test_finished_at() -> None:
    t = Timeline(Operation.RESTORE)
    t.record(T0, progress(60))
    assert t.finished_at is None
    t.record(T0 + 100, completed())
    t.record(T0 + 200, completed())
    assert t.finished_at == T0 + 100 and t.phase is Phase.COMPLETED
    failed = Timeline(Operation.RESTORE)
    failed.record(T0, progress(5))
    failed.record(T0 + 10, progress(12))
    failed.record(T0 + 20, progress(40))
    assert failed.finished_at is None and [p.at for p in failed.phase_points(Phase.RESTORING)] == [T0 + 10, T0 + 20]
    failed.record(T0 + 30, completed(40, error="boom"))
    assert failed.finished_at == T0 + 30 and failed.phase is Phase.FAILED


def test_phase_helpers_and_median_gap() -> None:
    t = Timeline(Operation.RESTORE)
    for at, pct in [(0, 0), (100, 10), (130, 20), (170, 30), (200, 40)]:
        t.record(T0 + at, progress(pct))
    assert t.phase_points(t.phase)[0].at == T0 + 100  # the current phase began with its first point
    assert [p.percent for p in t.phase_points(Phase.RESTORING)] == [10, 20, 30, 40]
    assert t.phase_points(Phase.PREPARING) == []  # only the trailing phase
    assert t.median_gap() == 35.0  # gaps 100, 30, 40, 30


def test_median_gap_is_between_percent_changes_even_with_a_recovery_between() -> None:
    t = Timeline(Operation.RESTORE)
    t.record(T0, progress(10))
    t.record(T0 + 300, progress(11))
    t.record(T0 + 400, PortalUnreachable("timeout"))
    t.record(T0 + 500, progress(11))  # recovery point, same percent
    t.record(T0 + 600, progress(12))
    assert t.median_gap() == 300.0  # 10 -> 11 took 300 s, 11 -> 12 took 300 s


# ---------------------------------------------------------------- bounds and memory


def test_bounded_under_20000_alternating_changes() -> None:
    t = Timeline(Operation.RESTORE, max_points=600)
    for i in range(20_000):
        assert t.record(T0 + i, progress(40 + i % 2))  # every poll is a change
    assert len(t.points) <= 600
    assert t.points[0].at == T0 and t.points[0].percent == 40  # the first point is kept
    assert t.points[-1].at == T0 + 19_999  # and the newest
    assert all(a.at < b.at for a, b in itertools.pairwise(t.points))
    assert t.polls == 20_000


def test_bounded_with_failures_between_and_the_first_point_kept() -> None:
    t = Timeline(Operation.RESTORE, max_points=600)
    for i in range(20_000):
        t.record(T0 + i, progress(i % 2) if i % 3 else PortalUnreachable("dropped"))
    assert len(t.points) <= 600
    assert t.points[0].at == T0  # the very first event survives every thinning


def test_default_bound() -> None:
    t = Timeline(Operation.RESTORE)
    for i in range(MAX_POINTS * 3):
        t.record(T0 + i, progress(20 + i % 3))
    assert len(t.points) <= MAX_POINTS


def test_a_day_of_5_s_polls_with_100_changes_pickles_small() -> None:
    t = Timeline(Operation.RESTORE)
    polls = 24 * 3600 // 5
    assert polls == 17_280
    for i in range(polls):
        t.record(T0 + 5.0 * i, progress(i * 100 // polls))  # 0 .. 99: 100 distinct values
    assert t.polls == polls and len(t.points) == 100
    blob = pickle.dumps(t)
    assert len(blob) < 200_000
    back = pickle.loads(blob)
    assert back.points == t.points and back.polls == t.polls


def test_snapshot_is_a_deep_independent_copy() -> None:
    t = Timeline(Operation.RESTORE)
    t.record(T0, progress(10, task="a"))
    t.record(T0 + 1, progress(20, task="b"))
    copy = t.snapshot()
    assert copy is not t and copy.points == t.points and list(copy.runs) == list(t.runs)
    assert copy.points is not t.points and copy.runs is not t.runs
    t.record(T0 + 2, progress(30, task="c"))
    t.record(T0 + 3, PortalUnreachable("timeout"))
    assert [p.percent for p in copy.points] == [20] and len(copy.runs) == 1
    assert copy.polls == 2 and copy.failures == 0 and copy.last_poll_at == T0 + 1
    copy.record(T0 + 10, progress(99, task="b"))
    assert [p.percent for p in t.points] == [30, 30] and t.points[-1].problem is not None


# ---------------------------------------------------------------- properties: any poll sequence


_POLL = st.one_of(
    st.none(),
    st.builds(progress, st.integers(0, 100), task=st.sampled_from(["a", "b"]), tenant=st.sampled_from([1, 2]),
              error=st.sampled_from(["", "boom"]),
              status=st.sampled_from([TaskStatus.RUNNING, TaskStatus.CREATED, TaskStatus.COMPLETED]),
              done=st.booleans()),
    st.sampled_from([PortalUnreachable("timeout"), ServerError(status=503), Forbidden()]),
)


def _replay(polls: list, max_points: int) -> tuple[Timeline, int]:
    t = Timeline(Operation.RESTORE, max_points=max_points)
    at, accepted = T0, 0
    for step, result in polls:
        at_new = at + step
        accepted += at_new > (t.last_poll_at if t.last_poll_at is not None else float("-inf"))
        t.record(at_new, result)
        at = max(at, at_new)
    return t, accepted


@pytest.mark.slow
@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.integers(-3, 20), _POLL), max_size=60), st.integers(4, 12))
def test_bounds_and_order_for_any_poll_sequence(polls: list, max_points: int) -> None:
    t, accepted = _replay(polls, max_points)
    assert t.polls == accepted
    assert len(t.points) <= max_points
    assert all(a.at < b.at for a, b in itertools.pairwise(t.points))
    assert all(isinstance(p, Point) for p in t.points)


@pytest.mark.slow
@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.integers(-3, 20), _POLL), max_size=60))
def test_no_repeated_answer_or_failure_is_stored_twice_in_a_row(polls: list) -> None:
    t, _ = _replay(polls, 1000)  # no thinning here: thinning may legitimately bring two events together
    for a, b in itertools.pairwise(t.points):
        if a.problem is None and b.problem is None:
            assert (a.percent, a.phase, a.tenant_id, a.error, a.task_id) != (
                b.percent, b.phase, b.tenant_id, b.error, b.task_id)
        if a.problem is not None and b.problem is not None:
            assert a.problem.label != b.problem.label
