"""Recording one endpoint: change points and outcomes reach the database (never a row per poll), a
restart continues the same operation, and each outcome is told once, only for jobs seen running."""

from __future__ import annotations

from pathlib import Path

import pytest

from lib.db.store import HistoryStore
from lib.jobs.phases import Phase
from lib.portal.errors import PortalUnreachable
from lib.portal.models import Operation
from lib.watching.poller import Poll
from lib.watching.recording import Recording
from tests.factories import T0, progress


class Told:
    def __init__(self) -> None:
        self.said: list[tuple[tuple[str, ...], str]] = []
        self.keys: set[tuple[str, ...]] = set()

    def __call__(self, key: tuple[str, ...], text: object) -> bool:
        if key in self.keys:
            return False
        self.keys.add(key)
        self.said.append((key, str(text)))  # as an English reader gets it
        return True

    @property
    def events(self) -> list[str]:
        return [key[-1] for key, _ in self.said]


@pytest.fixture
def store(tmp_path: Path) -> HistoryStore:
    store = HistoryStore(f"sqlite:///{tmp_path}/history.sqlite3")
    assert store.open()
    return store


def recording(store: HistoryStore, told: Told, operation: Operation = Operation.RESTORE) -> Recording:
    rec = Recording("prod", "Production", operation, "any", store, told, stall_floor=600.0)
    rec.resume()
    return rec


def feed(rec: Recording, *answers: tuple[float, object]) -> None:
    for at, result in answers:
        rec.record(Poll(T0 + at, result, 0))  # type: ignore[arg-type]


def test_a_day_of_polls_writes_only_its_change_points(store: HistoryStore) -> None:
    rec = recording(store, Told())
    polls = 0
    for second in range(0, 86_400, 5):  # every 5 s for 24 h; the percent moves 100 times
        pct = min(99, second * 100 // 86_400)
        feed(rec, (second, progress(pct)))
        polls += 1
    (op,) = store.operations()
    points = store.points_of(op.id)
    assert polls == 17_280 and len(points) == 100 and op.last_percent == 99
    assert [p.percent for p in points] == list(range(100))


def test_an_operation_from_first_sight_to_its_outcome(store: HistoryStore) -> None:
    told = Told()
    rec = recording(store, told)
    feed(rec, (0, None), (5, progress(0)), (60, progress(10)), (400, progress(75, tenant=2)),
         (600, progress(100, tenant=2, done=True)), (605, progress(100, tenant=2, done=True)))
    (op,) = store.operations()
    assert (op.first_seen, op.started, op.first_percent) == (T0 + 5, T0 + 5, 0)
    assert (op.outcome, op.ended, op.last_percent, op.task_id) == ("completed", T0 + 600, 100, "task-1")
    assert [p.percent for p in store.points_of(op.id)] == [0, 10, 75, 100]  # the idle poll is no operation
    assert told.events == ["completed"] and "Production: the restore completed." in told.said[0][1]


def test_a_failure_keeps_the_portals_words_and_is_told_once(store: HistoryStore) -> None:
    told = Told()
    rec = recording(store, told)
    error = "The backup file is invalid."
    feed(rec, (0, progress(30)), (60, progress(42, error=error, done=True)), (65, progress(42, error=error, done=True)))
    (op,) = store.operations()
    assert (op.outcome, op.portal_text, op.last_percent) == ("failed", error, 42)
    assert told.events == ["failed"] and error in told.said[0][1]


def test_a_job_first_seen_after_it_ended_is_recorded_but_not_announced(store: HistoryStore) -> None:
    told = Told()
    rec = recording(store, told)
    feed(rec, (0, progress(100, done=True)), (5, progress(100, done=True)))
    (op,) = store.operations()
    assert (op.outcome, op.ended, op.started) == ("completed", T0, None)
    assert told.said == []


def test_a_job_that_began_and_ended_between_two_answers_is_told(store: HistoryStore) -> None:
    """A scheduled backup that fails at once is never seen running; the portal had answered "no job" before,
    so its failure is news (only the very first answer may show a day-old task)."""
    told = Told()
    rec = recording(store, told, Operation.BACKUP)
    error = "Something went wrong while creating the backup."
    feed(rec, (0, None), (60, progress(30, Operation.BACKUP, error=error, done=True, task="sched")),
         (120, progress(30, Operation.BACKUP, error=error, done=True, task="sched")))
    (op,) = store.operations()
    assert (op.outcome, op.portal_text, op.started) == ("failed", error, None)
    assert told.events == ["failed"] and told.said[0][1] == f"❌ Production: the backup failed at 30%: {error}"


def test_a_job_that_vanishes_or_is_replaced_ends_at_its_last_answer(store: HistoryStore) -> None:
    rec = recording(store, Told())
    feed(rec, (0, progress(20, task="a")), (30, progress(30, task="a")), (35, progress(30, task="a")),
         (40, progress(5, task="b")), (50, progress(6, task="b")), (55, None))
    b, a = store.operations()
    assert (a.task_id, a.outcome, a.ended) == ("a", "vanished", T0 + 35)
    assert (b.task_id, b.outcome, b.ended) == ("b", "vanished", T0 + 50)


def test_failed_checks_are_points_of_the_operation_and_one_outage_span(store: HistoryStore) -> None:
    rec = recording(store, Told())
    feed(rec, (0, progress(20)), (5, PortalUnreachable("timeout")), (10, PortalUnreachable("timeout")),
         (15, PortalUnreachable("dns")), (20, progress(21)))
    (op,) = store.operations()
    kinds = [(p.percent, p.problem.label if p.problem else None) for p in store.points_of(op.id)]
    assert kinds == [(20, None), (20, "unreachable"), (21, None)]
    (outage,) = store.outages_since(0)
    assert (outage["started"], outage["ended"], outage["label"]) == (T0 + 5, T0 + 20, "unreachable")


def test_a_restart_continues_the_same_operation_and_tells_its_end_once(store: HistoryStore) -> None:
    told = Told()
    first = recording(store, told)
    feed(first, (0, progress(0)), (60, progress(10)), (200, progress(40)))
    again = recording(store, told)  # the app stopped and started again on the same database
    assert again.timeline.run_id == first.timeline.run_id
    assert [p.percent for p in again.timeline.progress_points] == [0, 10, 40]
    assert again.timeline.phase is Phase.RESTORING
    feed(again, (300, progress(60)), (600, progress(100, done=True)))
    (op,) = store.operations()
    assert op.id == first.timeline.run_id and op.outcome == "completed"
    assert [p.percent for p in store.points_of(op.id)] == [0, 10, 40, 60, 100]
    third = recording(store, told)  # and again, after the end: nothing more to tell
    feed(third, (900, progress(100, done=True)))
    assert told.events == ["completed"] and len(store.operations()) == 1


def test_a_stall_is_told_once(store: HistoryStore) -> None:
    told = Told()
    rec = recording(store, told)
    feed(rec, *[(60 * i, progress(min(33, 10 + i))) for i in range(40)])
    assert told.events == ["stalled"] and "has made no progress for" in told.said[0][1]


def test_backups_are_recorded_the_same_way(store: HistoryStore) -> None:
    told = Told()
    rec = recording(store, told, Operation.BACKUP)
    feed(rec, (0, progress(0, Operation.BACKUP)), (120, progress(45, Operation.BACKUP)),
         (300, progress(100, Operation.BACKUP, done=True, link="/f.tar.gz")))
    (op,) = store.operations(kind="backup")
    assert op.outcome == "completed" and told.events == ["completed"]
    assert "the backup completed" in told.said[0][1]
