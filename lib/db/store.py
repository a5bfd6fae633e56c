"""The recorded history: operations, their change points, outages and notifications, in a real database.

SQLite by default (a file beside app.py), or any SQLAlchemy URL (PostgreSQL with psycopg for
Community Cloud, whose disk does not survive a reboot). Only the watcher writes, and only on change
points and outcomes, through a queue (:mod:`lib.db.writer`) a thread of its own writes in batches: a check
never waits for the database. While it is down or full, writes wait in memory (:attr:`problem` says so) and go
in order once it is back.
Every write can be replayed safely (inserts ignore a row that is already there, updates never go back
in time): a second copy that wrote the same thing, or a replay after an outage, is harmless."""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import asdict
from typing import Any, TypeVar

from sqlalchemy import Connection, delete, select, update
from sqlalchemy.exc import DataError, IntegrityError, SQLAlchemyError

from lib import timewords
from lib.db import schema
from lib.db.engine import engine_for
from lib.db.fileguard import FileGuard, new_file_said
from lib.db.lastread import LastRead
from lib.db.lease import decided_row
from lib.db.rows import point_from, point_row, running_update, why_not_read, why_not_saved, write_rows
from lib.db.schema import (
    audit_events,
    audit_reads,
    backup_files,
    ignoring,
    insert_ignore,
    notifications,
    operations,
    outages,
    points,
    portals,
    schedules_seen,
    upserting,
    watch_state,
)
from lib.db.writer import MAX_PENDING, Write, Writer
from lib.i18n import Msg
from lib.jobs.recorded import RecordedOperation
from lib.jobs.timeline import Point, Problem
from lib.jobs.trail import ScheduleMemory, TrailRead
from lib.portal.audit import AuditEvent
from lib.portal.models import BackupFile, StorageType

__all__ = ["MAX_PENDING", "HistoryStore", "StoreAway"]
#: after a failure to read, reads answer what they gave last for this long instead of waiting on the database
QUIET_AFTER_FAILURE = 10.0
T = TypeVar("T")
log = logging.getLogger(__name__)


class StoreAway(Exception):
    """The database could not be reached just now (:attr:`HistoryStore.problem` says why)."""


class HistoryStore:
    def __init__(self, url: str, *, clock: Callable[[], float] = time.time):
        self.url, self.clock = url, clock
        self.problem: Msg | None = None  # one sentence while history is not being saved
        self.unreadable: Msg | None = None  # … and while it cannot be read
        self._replaced_at = float("-inf")  # when the SQLite file was found deleted under the app, and made again
        self.generation = 0  # goes up with every batch that reached the database: what was read is stale
        self._ready = False
        self._schema_lock = threading.Lock()
        self._failed_at = self._read_failed_at = float("-inf")  # time.monotonic() of the last failure to write, read
        self._last_read = LastRead()  # what each query last gave, shown while the database cannot be read
        self._checking = threading.local()  # set on a thread that checks a portal: it never waits on a failing database
        self._engine, memory = engine_for(url)
        self._dialect = self._engine.dialect.name
        # one in-memory SQLite connection is shared by every thread: they take turns
        self._serial: contextlib.AbstractContextManager[Any] = threading.RLock() if memory else contextlib.nullcontext()
        self._writer = Writer(self._write_batch, self._failed)
        self._file = FileGuard(url)  # a SQLite file deleted under the app is noticed, and made again
        self.new_file = self._file.listeners  # told when it was: they write again what they know

    # ------------------------------------------------------------ lifecycle

    def open(self) -> bool:
        """Create or upgrade the schema; False (with :attr:`problem` set) while the database is away."""
        return self.flush()

    def close(self) -> None:
        self._writer.close()
        self._engine.dispose()

    pending = property(lambda self: self._writer.pending, doc="writes waiting")
    dropped = property(lambda self: self._writer.dropped, doc="writes lost to the limit while the database was away")
    writes = property(lambda self: (self._writer.writes, self._writer.commits), doc="(writes, commits) since the start")
    replaced = property(lambda self: new_file_said(self._replaced_at, self.clock()),
                        doc="for a day after the SQLite file was deleted under the app and made again, a sentence")

    def flush(self) -> bool:
        """Write what waits now, in order, on this thread; True when nothing is left waiting."""
        if not self._ready and not self._upgrade():
            return False
        return self._writer.flush()

    def at_once(self, work: Callable[[Connection], T]) -> T:
        """Run ``work`` in a transaction now, on this thread (the lease, claiming a message: they cannot
        wait in the queue); raises :class:`StoreAway` when the database cannot be reached."""
        if not self._ready and not self._upgrade():
            raise StoreAway(self.problem)
        try:
            with self._serial, self._engine.begin() as conn:
                result = work(conn)
        except (SQLAlchemyError, OSError) as exc:
            self._failed(exc)
            raise StoreAway(self.problem) from None
        if not self.pending:
            self.problem = None
        return result

    def _upgrade(self) -> bool:
        try:
            self._schema()
        except (SQLAlchemyError, OSError, RuntimeError) as exc:
            self._failed(exc)
            return False
        return True

    def _schema(self) -> None:
        """Create or upgrade the schema once (raises when the database could not be reached)."""
        with self._schema_lock:
            if self._ready:
                return
            with self._serial, self._engine.begin() as conn:
                schema.upgrade(conn)
            self._ready = True
            self._file.remember()

    def _file_gone(self) -> None:
        if self._file.gone():  # deleted under the app: a new file, with what is known (lib.db.fileguard)
            self._replaced_at = self.clock()
            with self._schema_lock:
                self._ready = False
                self._engine.dispose()
            self._file.tell()

    def _write_batch(self, batch: list[Write]) -> None:
        """One transaction for the batch (raises when the database failed: it is all tried again later).
        A write the database refuses for good (a constraint, bad data) is dropped alone, with a log line."""
        self._file_gone()
        try:
            self._transaction(batch)
        except (IntegrityError, DataError):
            for write in batch:  # one by one: the rest must not wait behind it forever
                try:
                    self._transaction([write])
                except (IntegrityError, DataError) as exc:
                    log.warning("a history write was refused and dropped: %s", type(exc.orig).__name__)
        self.generation += 1
        self.problem, self._read_failed_at = None, float("-inf")  # it answers: reads may try again at once

    def _transaction(self, batch: list[Write]) -> None:
        """The batch in order, its rows gathered statement by statement (one round trip each, not one a
        row): between two other writes, rows may swap among themselves (points, guarded updates, states
        keyed by time), never with those writes."""
        self._schema()
        rows: dict[Any, list[dict[str, Any]]] = {}
        with self._serial, self._engine.begin() as conn:
            for write in batch:
                if write.row is not None:
                    rows.setdefault(write.row[0], []).append(write.row[1])
                    continue
                write_rows(conn, rows)
                if write.run is not None:
                    write.run(conn)
            write_rows(conn, rows)

    def _submit(self, run: Callable[[Connection], Any], key: str | None = None) -> None:
        self._writer.submit(Write(run, key))

    def _row(self, stmt: Any, params: dict[str, Any], key: str | None = None) -> None:
        self._writer.submit(Write(None, key, (stmt, params)))

    # ------------------------------------------------------------ writes

    def begin_operation(self, op: RecordedOperation) -> None:
        """A new operation; the same task seen again after it had vanished runs again, as the same row."""
        values = asdict(op)
        reopen = (update(operations).where(operations.c.id == op.id, operations.c.outcome == "vanished")
                  .values(outcome="running", ended=None, last_seen=op.last_seen, last_percent=op.last_percent))

        def write(conn: Connection) -> None:
            conn.execute(ignoring(conn.dialect.name, operations), values)
            if op.running:
                conn.execute(reopen)

        self._submit(write)

    def add_point(self, operation_id: str, point: Point) -> None:
        self._row(ignoring(self._dialect, points), point_row(operation_id, point))

    def update_operation(self, operation_id: str, **values: Any) -> None:
        """What a running operation reached; never an older answer over a newer one (two copies racing)."""
        stmt = running_update(tuple(sorted(values)))
        params = {f"v_{k}": v for k, v in values.items()} | {"op_id": operation_id,
                                                             "seen": values.get("last_seen", float("inf"))}
        self._row(stmt, params)

    def end_operation(self, operation_id: str, outcome: str, ended: float, **values: Any) -> None:
        """The outcome, once: an operation that already ended keeps the outcome it had."""
        stmt = (update(operations).where(operations.c.id == operation_id, operations.c.outcome == "running")
                .values(outcome=outcome, ended=ended, **values))
        self._submit(lambda conn: conn.execute(stmt))

    def outage_began(self, outage_id: str, portal: str, endpoint: str, at: float, problem: Problem) -> None:
        values = {"id": outage_id, "portal": portal, "endpoint": endpoint, "started": at, "ended": None,
                  "category": problem.category.value, "label": problem.label,
                  "message": json.dumps(problem.message.to_json())}
        self._submit(lambda conn: conn.execute(insert_ignore(conn, outages, values)))

    def outage_ended(self, outage_id: str, at: float) -> None:
        stmt = update(outages).where(outages.c.id == outage_id).values(ended=at)
        self._submit(lambda conn: conn.execute(stmt))

    def notification_decided(self, key: str, text: str, at: float) -> None:
        """A message decided (unclaimed until the sender claims it: if this copy stops first, the next sends it)."""
        self._submit(lambda conn: conn.execute(insert_ignore(conn, notifications, decided_row(key, text, at))))

    def notification_tried(self, key: str, *, sent: float | None, attempts: int, error: str) -> None:
        stmt = update(notifications).where(notifications.c.key == key).values(
            sent=sent, attempts=attempts, last_error=error)
        self._submit(lambda conn: conn.execute(stmt))

    def save_state(self, key: str, state: dict[str, Any], at: float) -> None:
        """What the watcher last knew about one endpoint, for apps that only read (never an older one
        over a newer one; of several waiting in one batch only the last is written)."""
        values = {"key": key, "updated": at, "state": json.dumps(state)}
        self._row(upserting(self._dialect, watch_state, "key", "updated"), values, key=f"state:{key}")

    def save_backup_files(self, portal: str, records: list[BackupFile], at: float) -> None:
        """Backup files the portal listed that were not kept yet; the first call also marks "known since"."""
        rows = [{"portal": portal, "id": r.id, "created_on": r.created_on.timestamp(), "file_name": r.file_name,
                 "storage_type": int(r.storage_type), "first_seen": at,
                 "expires_on": r.expires_on.timestamp() if r.expires_on else None} for r in records]

        def write(conn: Connection) -> None:
            conn.execute(insert_ignore(conn, portals, {"name": portal, "backups_known_since": at}))
            for row in rows:
                conn.execute(insert_ignore(conn, backup_files, row))

        self._submit(write)

    def save_audit(self, portal: str, events: list[AuditEvent], read: TrailRead) -> None:
        """Events read from the trail (one already kept is left alone), and how far it has been read now."""
        rows = [{"portal": portal, "id": e.id, "at": e.when.timestamp(), "action_id": e.action_id, "action": e.action,
                 "target": json.dumps(list(e.target)), "user_name": e.user, "offset_minutes": e.offset_minutes,
                 "first_seen": read.at} for e in events]
        values = asdict(read) | {"portal": portal}

        def write(conn: Connection) -> None:
            for row in rows:
                conn.execute(insert_ignore(conn, audit_events, row))
            conn.execute(delete(audit_reads).where(audit_reads.c.portal == portal))
            conn.execute(audit_reads.insert().values(**values))

        self._submit(write)

    def schedule_seen(self, portal: str, at: float) -> None:
        """The portal answered with a schedule at ``at`` (so it has one again, if it had gone)."""
        values = {"portal": portal, "seen_at": at, "gone_at": None}

        def write(conn: Connection) -> None:
            conn.execute(delete(schedules_seen).where(schedules_seen.c.portal == portal))
            conn.execute(schedules_seen.insert().values(**values))

        self._submit(write)

    def schedule_gone(self, portal: str, at: float) -> None:
        """The first answer without the schedule it had; later ones leave the time alone."""
        stmt = (update(schedules_seen).where(schedules_seen.c.portal == portal, schedules_seen.c.gone_at.is_(None),
                                             schedules_seen.c.seen_at.is_not(None)).values(gone_at=at))
        self._submit(lambda conn: conn.execute(stmt))

    def prune(self, keep_days: float) -> None:
        """Forget what is older than ``keep_days`` (operations with their points, outages, notifications)."""
        before = self.clock() - keep_days * 86_400

        def write(conn: Connection) -> None:
            old = select(operations.c.id).where(operations.c.first_seen < before, operations.c.outcome != "running")
            conn.execute(delete(points).where(points.c.operation_id.in_(old)))
            conn.execute(delete(operations).where(operations.c.first_seen < before,
                                                  operations.c.outcome != "running"))
            conn.execute(delete(outages).where(outages.c.started < before, outages.c.ended.is_not(None)))
            conn.execute(delete(notifications).where(notifications.c.created < before))
            conn.execute(delete(backup_files).where(backup_files.c.created_on < before))
            conn.execute(delete(audit_events).where(audit_events.c.at < before))

        self._submit(write)

    # ------------------------------------------------------------ reads (empty while the database is away)

    def recent_operations(self, portal: str, kind: str, scope: str, limit: int = 50) -> list[RecordedOperation]:
        """The newest operations of one kind on one portal, newest first."""
        query = (select(operations).where(operations.c.portal == portal, operations.c.kind == kind,
                                          operations.c.scope == scope)
                 .order_by(operations.c.first_seen.desc()).limit(limit))
        return [RecordedOperation(**row) for row in self._read(query)]

    def operations(self, *, portal: str | None = None, kind: str | None = None, outcome: str | None = None,
                   since: float | None = None, limit: int = 1000) -> list[RecordedOperation]:
        """Recorded operations, newest first, filtered as asked."""
        query = select(operations)
        for column, value in (("portal", portal), ("kind", kind), ("outcome", outcome)):
            if value is not None:
                query = query.where(operations.c[column] == value)
        if since is not None:
            query = query.where(operations.c.first_seen >= since)
        query = query.order_by(operations.c.first_seen.desc()).limit(limit)
        return [RecordedOperation(**row) for row in self._read(query)]

    def points_of(self, operation_id: str) -> list[Point]:
        query = select(points).where(points.c.operation_id == operation_id).order_by(points.c.at)
        return [point_from(row) for row in self._read(query)]

    def outages_since(self, since: float) -> list[dict[str, Any]]:
        return self._read(select(outages).where(outages.c.started >= since).order_by(outages.c.started))

    def kept_backups(self, portal: str, since: float) -> list[BackupFile]:
        """Backup files kept for a portal, made since ``since``, oldest first."""
        query = (select(backup_files).where(backup_files.c.portal == portal, backup_files.c.created_on >= since)
                 .order_by(backup_files.c.created_on))
        return [BackupFile(row["id"], row["file_name"], StorageType(row["storage_type"]),
                              timewords.utc(row["created_on"]),
                              timewords.utc(row["expires_on"]) if row["expires_on"] is not None else None)
                for row in self._read(query)]

    def backups_known_since(self, portal: str) -> float | None:
        rows = self._read(select(portals.c.backups_known_since).where(portals.c.name == portal))
        return rows[0]["backups_known_since"] if rows else None

    def notified(self, since: float | None = None) -> dict[str, dict[str, Any]]:
        """Every notification decided and not yet pruned (or since then): key -> its row."""
        where = () if since is None else (notifications.c.created >= since,)
        return {row["key"]: row for row in self._read(select(notifications).where(*where))}

    def states(self) -> dict[str, tuple[float, dict[str, Any]]]:
        return {row["key"]: (row["updated"], json.loads(row["state"])) for row in self._read(select(watch_state))}

    def audit_events(self, portal: str, since: float) -> list[AuditEvent]:
        """The trail's events kept for a portal, from ``since`` on, oldest first (the same event may be there
        twice under two ids after a restore: :func:`lib.jobs.trail.unique` counts it once)."""
        query = (select(audit_events).where(audit_events.c.portal == portal, audit_events.c.at >= since)
                 .order_by(audit_events.c.at, audit_events.c.id))
        return [AuditEvent(row["id"], timewords.utc(row["at"]), row["action_id"], row["action"],
                           tuple(json.loads(row["target"])), row["user_name"], row["offset_minutes"])
                for row in self._read(query)]

    def trail_read(self, portal: str) -> TrailRead | None:
        rows = self._read(select(audit_reads).where(audit_reads.c.portal == portal))
        return TrailRead(**{k: v for k, v in rows[0].items() if k != "portal"}) if rows else None

    def schedule_memory(self, portal: str) -> ScheduleMemory | None:
        rows = self._read(select(schedules_seen).where(schedules_seen.c.portal == portal))
        return ScheduleMemory(rows[0]["seen_at"], rows[0]["gone_at"]) if rows else None

    def _read(self, query: Any) -> list[dict[str, Any]]:
        """The rows; while the database cannot be read, what the same query gave last (:attr:`unreadable` says
        so), with no new try for :data:`QUIET_AFTER_FAILURE` s. Failed writes never hold reads back."""
        self._file_gone()
        key, now = LastRead.key(query), time.monotonic()
        if now - self._read_failed_at < QUIET_AFTER_FAILURE or (self.problem and self.checking):
            return self._last_read.recall(key)  # it just failed: answer at once rather than wait on it again
        if self.pending and now - self._failed_at >= QUIET_AFTER_FAILURE:
            self.flush()  # a reader sees what was written before, when it can be written
        try:
            self._schema()
            with self._serial, self._engine.connect() as conn:
                rows = [dict(row._mapping) for row in conn.execute(query)]
        except (SQLAlchemyError, OSError, RuntimeError) as exc:
            self._read_failed_at, self.unreadable = time.monotonic(), why_not_read(exc, self.url)
            return self._last_read.recall(key)
        self.unreadable = None
        self._last_read.remember(key, rows)
        return rows

    @property
    def checking(self) -> bool:
        """Whether this thread checks a portal (then reads answer from memory while writes fail)."""
        return getattr(self._checking, "on", False)

    @checking.setter
    def checking(self, on: bool) -> None:
        self._checking.on = on

    def _failed(self, exc: BaseException) -> None:
        self.problem, self._failed_at = why_not_saved(exc, self.url, self.dropped), time.monotonic()

