"""The history: change points only, failures as events, runs, bounds, memory."""

from __future__ import annotations

import pickle

from lib.errors import PortalUnreachable, ServerError
from lib.models import Operation, Progress, TaskStatus
from lib.phases import Phase
from lib.timeline import Timeline


def restore(pct: int, *, task: str = "t1", tenant: int = 1, error: str = "", done: bool = False) -> Progress:
    return Progress(done or pct == 100, pct, error, Operation.RESTORE, tenant, task,
                    TaskStatus.COMPLETED if done or pct == 100 else TaskStatus.RUNNING)


def test_only_changes_make_points() -> None:
    t = Timeline(Operation.RESTORE)
    for i, pct in enumerate([0, 0, 0, 10, 10, 20]):
        t.record(float(i), restore(pct))
    assert [p.percent for p in t.points] == [0, 10, 20]
    assert t.polls == 6 and t.last_poll_at == 5.0
    assert t.last_change_at == 5.0 and t.first_seen == 0.0


def test_same_poll_twice_is_recorded_once() -> None:
    t = Timeline(Operation.RESTORE)
    assert t.record(5.0, restore(10))
    assert not t.record(5.0, restore(20))  # every viewer records the same shared poll
    assert not t.record(4.0, restore(30))
    assert t.polls == 1 and t.points[-1].percent == 10


def test_a_failure_is_one_event_carrying_the_last_percent() -> None:
    t = Timeline(Operation.RESTORE)
    t.record(0.0, restore(30))
    t.record(1.0, PortalUnreachable("timeout"))
    t.record(2.0, PortalUnreachable("timeout"))
    t.record(3.0, ServerError(status=502))
    assert [(p.percent, p.problem.kind if p.problem else None) for p in t.points] == [
        (30, None), (30, "PortalUnreachable"), (30, "ServerError")]
    assert t.failures == 3 and t.last_progress.progress == 30 and t.last_ok_at == 0.0
    t.record(4.0, restore(31))
    assert t.failures == 0 and t.last_problem is None and t.points[-1].percent == 31


def test_a_new_task_closes_the_run() -> None:
    t = Timeline(Operation.RESTORE)
    t.record(0.0, restore(0))
    t.record(100.0, restore(50))
    t.record(200.0, restore(100))
    t.record(300.0, restore(0, task="t2"))
    assert [p.percent for p in t.points] == [0]
    (run,) = t.runs
    assert run.outcome is Phase.COMPLETED and run.duration == 200.0 and run.first_percent == 0


def test_idle_after_a_job_closes_the_run_and_tenant_changes_are_listed() -> None:
    t = Timeline(Operation.RESTORE)
    t.record(0.0, restore(10, tenant=1))
    t.record(1.0, restore(75, tenant=2))
    assert t.tenants == [1, 2]
    t.record(2.0, None)
    assert t.phase is Phase.IDLE and len(t.runs) == 1 and t.runs[0].outcome is Phase.FINISHING


def test_finished_at_and_phase_start() -> None:
    t = Timeline(Operation.RESTORE)
    t.record(0.0, restore(5))
    t.record(10.0, restore(12))
    t.record(20.0, restore(40))
    assert t.finished_at is None and t.phase_started_at() == 10.0
    t.record(30.0, restore(40, error="boom", done=True))
    assert t.finished_at == 30.0 and t.phase is Phase.FAILED


def test_bounded_and_keeps_the_first_point() -> None:
    t = Timeline(Operation.RESTORE, max_points=600)
    for i in range(20_000):
        t.record(float(i), restore(i % 2) if i % 3 else PortalUnreachable("dropped"))
    assert len(t.points) <= 600
    assert t.points[0].at == 0.0  # the very first event survives every thinning


def test_a_day_of_polling_stays_small() -> None:
    t = Timeline(Operation.RESTORE)
    polls = 24 * 3600 // 5
    for i in range(polls):
        t.record(i * 5.0, restore(min(100, i * 100 // polls)))
    assert len(t.points) <= 101
    assert len(pickle.dumps(t)) < 200_000


def test_snapshot_is_independent() -> None:
    t = Timeline(Operation.RESTORE)
    t.record(0.0, restore(10))
    copy = t.snapshot()
    t.record(1.0, restore(20))
    assert len(copy.points) == 1 and len(t.points) == 2
