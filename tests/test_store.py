"""The history database, for real: SQLite files and a throwaway PostgreSQL cluster.

Operations, their points, outcomes, outages and notifications go in and come back out; the schema is
created and versioned by the app; writes wait in memory while the database is away and are written,
in order and once, when it is back; and no message ever carries the database password.
"""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine
from sqlalchemy.exc import OperationalError

from lib.db import schema
from lib.db.rows import why_not_saved
from lib.db.store import HistoryStore
from lib.i18n import Msg
from lib.jobs.phases import Phase
from lib.jobs.recorded import RecordedOperation
from lib.jobs.timeline import Point, Problem
from lib.portal.errors import Category
from tests.factories import T0, ManualClock
from tests.pg import Cluster, count_rows


def operation(op_id: str = "op1", *, first_seen: float = T0, outcome: str = "running", **kw) -> RecordedOperation:
    fields = dict(id=op_id, portal="prod", kind="restore", scope="any", task_id=f"task-{op_id}", first_seen=first_seen,
                  first_percent=0, started=first_seen, ended=None, outcome=outcome, last_percent=0,
                  portal_text="", last_seen=first_seen)
    return RecordedOperation(**(fields | kw))


def test_the_schema_is_created_on_first_use_and_versioned(url: str) -> None:
    store = HistoryStore(url)
    assert store.open() and store.problem is None
    engine = create_engine(url)
    with engine.connect() as conn:
        assert schema.version_of(conn) == schema.VERSION
    engine.dispose()
    store.begin_operation(operation())
    store.close()
    again = HistoryStore(url)  # a restart: the same database is opened, not re-created
    assert again.open()
    assert [op.id for op in again.operations()] == ["op1"]
    again.close()


def test_an_operation_its_points_and_its_outcome_come_back(url: str) -> None:
    store = HistoryStore(url)
    store.begin_operation(operation())
    problem = Problem(Category.UNREACHABLE, "unreachable", Msg("The portal did not answer in time."), None)
    points = [Point(T0, 0, Phase.PREPARING, 1, "", "task-1"),
              Point(T0 + 60, 10, Phase.RESTORING, 1, "", "task-1"),
              Point(T0 + 90, 10, Phase.RESTORING, 1, "", "task-1", problem),
              Point(T0 + 400, 75, Phase.FINISHING, 2, "", "task-1")]
    for p in points:
        store.add_point("op1", p)
    store.update_operation("op1", last_percent=75, last_seen=T0 + 400)
    store.end_operation("op1", "completed", T0 + 600, last_percent=100)
    store.end_operation("op1", "failed", T0 + 700, last_percent=3)  # an outcome is written once
    assert store.points_of("op1") == points
    (op,) = store.recent_operations("prod", "restore", "any")
    assert (op.outcome, op.ended, op.last_percent, op.running) == ("completed", T0 + 600, 100, False)
    assert store.recent_operations("prod", "backup", "any") == []
    store.close()


def test_a_write_replayed_after_an_outage_is_harmless(url: str) -> None:
    store = HistoryStore(url)
    point = Point(T0, 5, Phase.PREPARING)
    for _ in range(2):
        store.begin_operation(operation())
        store.add_point("op1", point)
        store.notification_decided("prod|restore|op1|completed", '{"text": "done"}', T0)
    assert store.flush()
    assert count_rows(url, schema.operations) == 1 and count_rows(url, schema.points) == 1
    assert count_rows(url, schema.notifications) == 1
    store.close()


def test_filters_and_newest_first(url: str) -> None:
    store = HistoryStore(url)
    for i, (portal, kind, outcome) in enumerate([("prod", "restore", "completed"), ("prod", "backup", "failed"),
                                                 ("test", "restore", "cancelled")]):
        store.begin_operation(operation(f"op{i}", first_seen=T0 + i, portal=portal, kind=kind, outcome=outcome))
    assert [op.id for op in store.operations()] == ["op2", "op1", "op0"]
    assert [op.id for op in store.operations(portal="prod")] == ["op1", "op0"]
    assert [op.id for op in store.operations(kind="restore", outcome="cancelled")] == ["op2"]
    assert [op.id for op in store.operations(since=T0 + 1)] == ["op2", "op1"]
    store.close()


def test_prune_forgets_old_finished_history_only(url: str) -> None:
    clock = ManualClock(T0 + 200 * 86_400)
    store = HistoryStore(url, clock=clock)
    store.begin_operation(operation("old", outcome="completed", ended=T0 + 60))
    store.add_point("old", Point(T0, 0, Phase.PREPARING))
    store.begin_operation(operation("stuck"))  # still running, however old: kept
    store.begin_operation(operation("new", first_seen=clock() - 86_400, outcome="completed"))
    store.outage_began("o1", "prod", "restore", T0, Problem(Category.UNREACHABLE, "unreachable", Msg("x")))
    store.outage_ended("o1", T0 + 30)
    store.notification_decided("k", "text", T0)
    store.prune(keep_days=180)
    assert sorted(op.id for op in store.operations()) == ["new", "stuck"]
    assert store.points_of("old") == [] and store.outages_since(0) == [] and store.notified() == {}
    store.close()


@pytest.mark.slow  # a real PostgreSQL cluster
def test_postgres_away_then_back_loses_nothing(pg_cluster: Cluster, pg_url: str) -> None:
    store = HistoryStore(pg_url)
    assert store.open()
    store.begin_operation(operation())
    assert store.flush()
    pg_cluster.stop()
    try:
        for i in range(1, 6):
            store.add_point("op1", Point(T0 + i, i, Phase.PREPARING))
        assert store.operations() == []  # reads answer at once, empty, while it is away
        assert store.pending == 5
        assert str(store.problem).startswith("History is not being saved: 127.0.0.1 is not reachable.")
    finally:
        pg_cluster.start()
    assert store.flush() and store.pending == 0 and store.problem is None
    assert [p.percent for p in store.points_of("op1")] == [1, 2, 3, 4, 5]
    store.close()


@pytest.mark.slow  # a real PostgreSQL cluster
def test_a_database_that_is_not_there_at_start_is_created_when_it_comes(pg_cluster: Cluster, pg_url: str) -> None:
    pg_cluster.stop()
    try:
        store = HistoryStore(pg_url)
        assert not store.open() and "not reachable" in str(store.problem)
        store.begin_operation(operation())
    finally:
        pg_cluster.start()
    assert store.flush(), store.problem
    assert [op.id for op in store.operations()] == ["op1"]
    store.close()


@pytest.mark.slow  # a real PostgreSQL cluster
def test_the_password_never_reaches_a_message(pg_cluster: Cluster) -> None:
    url = f"postgresql+psycopg://postgres:s3cret-pw@127.0.0.1:{pg_cluster.port + 1}/nothing"
    store = HistoryStore(url)
    assert not store.open()
    assert "s3cret-pw" not in str(store.problem) and "not reachable" in str(store.problem)


#: what the database driver said -> why the page says history is not being saved
WHY = {
    "database or disk is full": "the disk is full",
    "connection failed: connection to server at \"db\" failed: Connection refused": "db is not reachable",
    "FATAL: password authentication failed for user \"u\"": "db refused the user name or password",
    "something odd": "the database reported an error (OperationalError)",
}


@pytest.mark.parametrize(("message", "words"), WHY.items())
def test_why_history_is_not_saved_in_onewhy_not_saved(message: str, words: str) -> None:
    sentence = str(why_not_saved(OperationalError("INSERT …", {}, Exception(message)),
                             "postgresql+psycopg://u:pw@db:5432/history"))
    assert sentence.startswith(f"History is not being saved: {words}.")
    assert "pw" not in sentence.replace("password", "")
    assert sentence.endswith("written when the database is back.")


def test_an_older_database_is_upgraded_not_dropped(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:  # a database as the first version of the app left it
        schema.meta.create(conn)
        schema.MIGRATIONS[0](conn)
        conn.execute(schema.meta.insert().values(key="schema_version", value="1"))
        conn.execute(schema.operations.insert().values(**operation().__dict__))
    store = HistoryStore(url)
    assert store.open()
    with engine.connect() as conn:
        assert schema.version_of(conn) == schema.VERSION == 5
    engine.dispose()
    assert [op.id for op in store.operations()] == ["op1"]  # kept
    assert store.kept_backups("prod", 0) == [] and store.backups_known_since("prod") is None  # and new tables
    assert store.audit_events("prod", 0) == [] and store.trail_read("prod") is None
    assert store.schedule_memory("prod") is None
    store.close()


def test_a_database_from_a_newer_app_is_left_alone(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        schema.meta.create(conn)
        conn.execute(schema.meta.insert().values(key="schema_version", value="99"))
    engine.dispose()
    store = HistoryStore(url)
    assert not store.open()
    assert "newer version of this app (schema 99)" in str(store.problem)


def test_backup_files_are_kept_after_the_portal_forgets_them(url: str) -> None:
    from datetime import UTC, datetime

    from lib.portal.models import BackupFile, StorageType

    store = HistoryStore(url)
    day = [BackupFile(f"id{i}", f"f{i}.tar.gz", StorageType.DOCUMENTS,
                         datetime.fromtimestamp(T0 + i * 86_400, UTC), None) for i in range(3)]
    store.save_backup_files("prod", day[:2], T0)
    store.save_backup_files("prod", day[1:], T0 + 2 * 86_400)  # the portal dropped the oldest meanwhile
    assert [r.id for r in store.kept_backups("prod", 0)] == ["id0", "id1", "id2"]
    assert [r.id for r in store.kept_backups("prod", T0 + 1)] == ["id1", "id2"]
    assert store.backups_known_since("prod") == T0 and store.backups_known_since("other") is None
    store.close()


def test_audit_events_are_kept_once_with_how_far_the_trail_was_read(url: str) -> None:
    from datetime import UTC, datetime

    from lib.jobs.trail import TrailRead
    from lib.portal.audit import AuditEvent

    def event(i: int, action: int = 5128, **kw) -> AuditEvent:
        return AuditEvent(i, datetime.fromtimestamp(T0 + i * 86_400, UTC), action, "Scheduled backup completed",
                          **kw)

    store = HistoryStore(url)
    first = [event(1, user="Ann Admin", offset_minutes=120), event(2, target=("1",))]
    store.save_audit("prod", first, TrailRead(T0 - 30 * 86_400, T0 + 3 * 86_400, True, T0 + 3 * 86_400))
    changed = event(2, action=5129)  # the same id again: the row kept is the first one
    read = TrailRead(T0 - 30 * 86_400, T0 + 4 * 86_400, False, T0 + 4 * 86_400, "")
    store.save_audit("prod", [changed, event(3)], read)
    store.save_audit("other", [event(1)], read)
    kept = store.audit_events("prod", 0)
    assert kept == [*first, event(3)] and kept[0].user == "Ann Admin" and kept[0].offset_minutes == 120
    assert kept[1].target == ("1",) and kept[1].action_id == 5128
    assert [e.id for e in store.audit_events("prod", T0 + 1.5 * 86_400)] == [2, 3]
    assert store.trail_read("prod") == read and store.trail_read("nobody") is None
    failed = TrailRead(read.complete_from, read.read_until, False, T0 + 5 * 86_400, "not in the plan")
    store.save_audit("prod", [], failed)
    assert store.trail_read("prod") == failed
    store.clock = lambda: T0 + 182.5 * 86_400  # 180 days after the second event
    store.prune(180)
    assert [e.id for e in store.audit_events("prod", 0)] == [3]
    store.close()


def test_the_schedule_is_remembered_and_its_going(url: str) -> None:
    from lib.jobs.trail import ScheduleMemory

    store = HistoryStore(url)
    store.schedule_gone("prod", T0)  # never seen with one: nothing to remember
    assert store.schedule_memory("prod") is None
    store.schedule_seen("prod", T0)
    store.schedule_seen("prod", T0 + 600)
    assert store.schedule_memory("prod") == ScheduleMemory(T0 + 600, None)
    store.schedule_gone("prod", T0 + 1200)
    store.schedule_gone("prod", T0 + 1800)  # still gone: the first answer without it stays
    assert store.schedule_memory("prod") == ScheduleMemory(T0 + 600, T0 + 1200)
    again = HistoryStore(url)  # a restart reads the same
    assert again.schedule_memory("prod") == ScheduleMemory(T0 + 600, T0 + 1200)
    again.schedule_seen("prod", T0 + 7200)  # set up again
    assert again.schedule_memory("prod") == ScheduleMemory(T0 + 7200, None)
    store.close()
    again.close()


def test_the_notifications_of_the_last_hour_only_are_read_when_asked() -> None:
    """A channel's periodic look for messages still owed reads only rows that can be owed (the last hour)."""
    store = HistoryStore("sqlite://")
    store.notification_decided("p|restore|old|completed", "{}", 1_000.0)
    store.notification_decided("p|restore|new|completed", "{}", 5_000.0)
    assert store.flush()
    assert set(store.notified()) == {"p|restore|old|completed", "p|restore|new|completed"}
    assert set(store.notified(since=5_000.0 - 3_600)) == {"p|restore|new|completed"}
    store.close()
