"""Schema 3: one operation per portal, kind, scope and task, made impossible to break, and a database that
two watchers already wrote twice into upgraded by merging, keeping every point. On SQLite and a real
PostgreSQL; the writes also go out in batches, in order, without the caller ever waiting."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.exc import IntegrityError

from lib.db import schema
from lib.db.store import HistoryStore
from lib.db.writer import Write, Writer
from lib.jobs.phases import Phase
from lib.jobs.recorded import RecordedOperation
from lib.jobs.timeline import Point
from tests.factories import T0


def row(op_id: str, task: str, first_seen: float, outcome: str = "running", **kw) -> dict:
    values = dict(id=op_id, portal="prod", kind="restore", scope="any", task_id=task, first_seen=first_seen,
                  first_percent=0, started=None, ended=None, outcome=outcome, last_percent=0, portal_text="",
                  last_seen=first_seen)
    return values | kw


def point(op_id: str, at: float, percent: int) -> dict:
    return {"operation_id": op_id, "at": at, "percent": percent, "phase": "restoring data", "tenant_id": 1, "error": "",
            "task_id": "", "problem_category": None, "problem_label": None, "problem_message": None,
            "problem_status": None}


def version_2(url: str) -> None:
    """A database as schema 2 left it (no lease, no claims, no unique task), which two watchers wrote into."""
    engine = create_engine(url)
    with engine.begin() as conn:
        schema.meta.create(conn)
        schema.MIGRATIONS[0](conn)
        schema.MIGRATIONS[1](conn)
        conn.execute(text("ALTER TABLE notifications DROP COLUMN holder"))
        conn.execute(text("ALTER TABLE notifications DROP COLUMN claimed"))
        conn.execute(schema.meta.insert().values(key="schema_version", value="2"))
        conn.execute(schema.operations.insert(), [
            row("a1", "task-A", T0, "vanished", last_seen=T0 + 50, last_percent=40, ended=T0 + 50),
            row("a2", "task-A", T0 + 2, "completed", last_seen=T0 + 300, last_percent=100, ended=T0 + 300,
                started=T0 + 2),
            row("a3", "task-A", T0 + 1, "running", last_seen=T0 + 100, last_percent=60),
            row("b1", "task-B", T0 + 500, "failed", ended=T0 + 600, portal_text="disk full"),
            row("n1", "", T0 + 700, "vanished"), row("n2", "", T0 + 800, "vanished"),  # no task id: never merged
        ])
        conn.execute(schema.points.insert(), [point("a1", T0, 0), point("a1", T0 + 50, 40), point("a3", T0 + 100, 60),
                                              point("a2", T0 + 300, 100), point("b1", T0 + 600, 3)])
        conn.execute(text("INSERT INTO notifications (key, text, created, sent, attempts, last_error) "
                          "VALUES ('k', 'done', :t, :t, 1, '')"), {"t": T0})
    engine.dispose()


def test_an_older_database_with_duplicates_is_merged_and_keeps_every_point(url: str) -> None:
    version_2(url)
    store = HistoryStore(url)
    assert store.open(), store.problem
    ops = {op.task_id or op.id: op for op in store.operations()}
    assert sorted(ops) == ["n1", "n2", "task-A", "task-B"]
    merged = ops["task-A"]
    assert merged.id == "a1"  # the first seen keeps its id (links to it go on working)
    assert (merged.first_seen, merged.started, merged.outcome, merged.ended, merged.last_percent) == (
        T0, T0 + 2, "completed", T0 + 300, 100)
    assert merged.last_seen == T0 + 300
    assert [p.percent for p in store.points_of("a1")] == [0, 40, 60, 100]
    assert store.points_of("a2") == [] and store.points_of("a3") == []
    assert ops["task-B"].portal_text == "disk full"
    assert store.notified()["k"]["holder"] == ""  # the claim columns were added, the row kept
    store.close()
    engine = create_engine(url)
    with engine.begin() as conn:
        assert schema.version_of(conn) == schema.VERSION
        conn.execute(schema.operations.insert().values(**row("n3", "", T0 + 900)))  # an empty task id: allowed
    with pytest.raises(IntegrityError), engine.begin() as conn:  # a second row for a task: impossible
        conn.execute(schema.operations.insert().values(**row("a9", "task-A", T0 + 5)))
    engine.dispose()


def test_two_writers_of_one_task_make_one_row(url: str) -> None:
    """Two copies that both saw a task (a race) both write its operation: the second insert is a no-op."""
    first, second = HistoryStore(url), HistoryStore(url)
    op = RecordedOperation(id="x1", portal="prod", kind="restore", scope="any", task_id="T", first_seen=T0,
                           first_percent=0, started=T0, ended=None, outcome="running", last_percent=0,
                           portal_text="", last_seen=T0)
    first.begin_operation(op)
    second.begin_operation(op)
    second.begin_operation(RecordedOperation(**(op.__dict__ | {"id": "x2"})))  # even under another id
    first.update_operation("x1", last_percent=50, last_seen=T0 + 50)
    second.update_operation("x1", last_percent=30, last_seen=T0 + 30)  # older news, written later: ignored
    first.end_operation("x1", "completed", T0 + 90, last_percent=100, last_seen=T0 + 90)
    second.update_operation("x1", last_percent=95, last_seen=T0 + 95)  # an ended operation stays as it ended
    assert first.flush() and second.flush()
    (only,) = first.operations()
    assert (only.id, only.outcome, only.last_percent) == ("x1", "completed", 100)
    first.close()
    second.close()


def test_a_vanished_task_seen_again_runs_again_as_the_same_row(url: str) -> None:
    store = HistoryStore(url)
    op = RecordedOperation(id="v1", portal="prod", kind="backup", scope="any", task_id="T", first_seen=T0,
                           first_percent=5, started=None, ended=None, outcome="running", last_percent=5,
                           portal_text="", last_seen=T0)
    store.begin_operation(op)
    store.end_operation("v1", "vanished", T0 + 10)
    store.begin_operation(RecordedOperation(**(op.__dict__ | {"first_seen": T0 + 20, "last_seen": T0 + 20})))
    store.end_operation("v1", "completed", T0 + 60, last_percent=100)
    (only,) = store.operations()
    assert (only.first_seen, only.outcome, only.ended) == (T0, "completed", T0 + 60)
    store.close()


# ---------------------------------------------------------------- the writer


def test_writes_go_out_in_batches_in_order_and_the_caller_never_waits(tmp_path: Path) -> None:
    store = HistoryStore(f"sqlite:///{tmp_path}/h.sqlite3")
    assert store.open()
    store.begin_operation(RecordedOperation("op", "prod", "restore", "any", "T", T0, 0, T0, None, "running", 0, "",
                                            T0))
    for i in range(1000):
        store.add_point("op", Point(T0 + i, i % 100, Phase.RESTORING))
    deadline = time.monotonic() + 10
    while store.pending and time.monotonic() < deadline:
        time.sleep(0.01)  # the writer thread, not this one, writes them
    writes, commits = store.writes
    assert store.pending == 0 and writes == 1001
    assert commits < 20  # a thousand changes, a handful of transactions
    assert [p.at for p in store.points_of("op")] == [T0 + i for i in range(1000)]  # in order
    store.close()


def test_only_the_last_state_of_an_endpoint_in_a_batch_is_written() -> None:
    done: list[list[str]] = []
    writer = Writer(lambda batch: done.append([w.run.__name__ for w in batch]), lambda exc: None, window=60)

    def named(name: str):
        def run(conn) -> None: ...
        run.__name__ = name
        return run

    for name, key in [("p1", None), ("s1", "a"), ("s2", "b"), ("p2", None), ("s3", "a")]:
        writer.submit(Write(named(name), key))
    assert writer.flush()
    assert done == [["p1", "s2", "p2", "s3"]]
    writer.close()


def test_a_database_that_hangs_holds_up_no_caller() -> None:
    release = threading.Event()
    failures: list[BaseException] = []

    def hanging(batch: list[Write]) -> None:
        release.wait(30)  # a statement the database never answers

    writer = Writer(hanging, failures.append, window=0.0)
    started = time.monotonic()
    for _ in range(10_000):
        writer.submit(Write(lambda conn: None))
    took = time.monotonic() - started
    assert writer.pending > 0  # still waiting on the database…
    assert took < 5  # …and not one submit waited for it
    release.set()
    writer.close()


def test_past_the_limit_the_oldest_writes_go_and_are_counted() -> None:
    writer = Writer(lambda batch: (_ for _ in ()).throw(OSError("down")), lambda exc: None, window=60, limit=3)
    for i in range(5):
        writer.submit(Write(lambda conn, i=i: None, key=None))
    assert writer.pending == 3 and writer.dropped == 2
    assert not writer.flush()
    writer.close(0.1)


def test_a_fresh_database_has_the_unique_index_too(url: str) -> None:
    """The unique index exists on a fresh database as on an upgraded one."""
    store = HistoryStore(url)
    assert store.open()
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(schema.operations.insert().values(**row("a", "T", T0)))
        assert conn.execute(select(func.count()).select_from(schema.leases)).scalar_one() == 0
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(schema.operations.insert().values(**row("b", "T", T0 + 1)))
    engine.dispose()
    store.close()
