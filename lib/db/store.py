"""The recorded history: operations, their change points, outages and notifications, in a real database.

SQLite by default (a file beside app.py), or any SQLAlchemy URL (PostgreSQL with psycopg for
Community Cloud, whose disk does not survive a reboot). Only the watcher writes, and only on change
points and outcomes. Writes go through a queue: when the database is down or full, they wait in
memory, :attr:`problem` says so in one sentence, and they are written, in order, once it is back.
Every write can be replayed safely (inserts ignore a row that is already there).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, delete, event, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import StaticPool

from lib import timewords
from lib.db import schema
from lib.db.schema import (
    audit_events,
    audit_reads,
    backup_files,
    notifications,
    operations,
    outages,
    points,
    portals,
    schedules_seen,
    watch_state,
)
from lib.i18n import M_, Mn_, Msg
from lib.jobs.phases import Phase
from lib.jobs.recorded import RecordedOperation
from lib.jobs.timeline import Point, Problem
from lib.jobs.trail import ScheduleMemory, TrailRead
from lib.portal.audit import AuditEvent
from lib.portal.errors import Category
from lib.portal.models import BackupFile, StorageType

#: writes kept in memory while the database is away; past this the oldest are dropped (and said)
MAX_PENDING = 50_000
#: after a failure, reads answer "nothing" at once for this long instead of waiting on the database again
QUIET_AFTER_FAILURE = 10.0
Write = Callable[[Connection], None]


class HistoryStore:
    def __init__(self, url: str, *, clock: Callable[[], float] = time.time):
        self.url = url
        self.clock = clock
        self.problem: Msg | None = None  # one sentence while history is not being saved
        self.dropped = 0
        self.generation = 0  # goes up with every write that reached the database: what was read is stale
        self._pending: list[Write] = []
        self._lock = threading.RLock()
        self._ready = False
        self._failed_at = float("-inf")  # time.monotonic() of the last failure
        self._engine = _engine(url)

    # ------------------------------------------------------------ lifecycle

    def open(self) -> bool:
        """Create or upgrade the schema; False (with :attr:`problem` set) while the database is away."""
        return self.flush()

    def close(self) -> None:
        self.flush()
        self._engine.dispose()

    @property
    def pending(self) -> int:
        return len(self._pending)

    def flush(self) -> bool:
        """Write what waits, in order and in one transaction; True when nothing is left waiting."""
        with self._lock:
            if self._ready and not self._pending:
                return True
            batch = list(self._pending)
            try:
                with self._engine.begin() as conn:
                    if not self._ready:
                        schema.upgrade(conn)
                    for write in batch:
                        write(conn)
            except (SQLAlchemyError, OSError, RuntimeError) as exc:
                self._failed(exc)
                return False
            self._ready = True
            del self._pending[: len(batch)]
            self.generation += bool(batch)
            self.problem = None
            self.dropped = 0
            return True

    def _submit(self, write: Write) -> None:
        with self._lock:
            self._pending.append(write)
            if len(self._pending) > MAX_PENDING:
                del self._pending[0]
                self.dropped += 1
            self.flush()

    # ------------------------------------------------------------ writes

    def begin_operation(self, op: RecordedOperation) -> None:
        values = asdict(op)
        self._submit(lambda conn: conn.execute(_insert_ignore(conn, operations, values)))

    def add_point(self, operation_id: str, point: Point) -> None:
        values = _point_row(operation_id, point)
        self._submit(lambda conn: conn.execute(_insert_ignore(conn, points, values)))

    def update_operation(self, operation_id: str, **values: Any) -> None:
        stmt = update(operations).where(operations.c.id == operation_id).values(**values)
        self._submit(lambda conn: conn.execute(stmt))

    def end_operation(self, operation_id: str, outcome: str, ended: float, **values: Any) -> None:
        """The outcome, once: an operation that already ended keeps the outcome it had."""
        stmt = (update(operations).where(operations.c.id == operation_id, operations.c.outcome == "running")
                .values(outcome=outcome, ended=ended, **values))
        self._submit(lambda conn: conn.execute(stmt))

    def outage_began(self, outage_id: str, portal: str, endpoint: str, at: float, problem: Problem) -> None:
        values = {"id": outage_id, "portal": portal, "endpoint": endpoint, "started": at, "ended": None,
                  "category": problem.category.value, "label": problem.label,
                  "message": json.dumps(problem.message.to_json())}
        self._submit(lambda conn: conn.execute(_insert_ignore(conn, outages, values)))

    def outage_ended(self, outage_id: str, at: float) -> None:
        stmt = update(outages).where(outages.c.id == outage_id).values(ended=at)
        self._submit(lambda conn: conn.execute(stmt))

    def notification_decided(self, key: str, text: str, at: float) -> None:
        values = {"key": key, "text": text, "created": at, "sent": None, "attempts": 0, "last_error": ""}
        self._submit(lambda conn: conn.execute(_insert_ignore(conn, notifications, values)))

    def notification_tried(self, key: str, *, sent: float | None, attempts: int, error: str) -> None:
        stmt = update(notifications).where(notifications.c.key == key).values(
            sent=sent, attempts=attempts, last_error=error)
        self._submit(lambda conn: conn.execute(stmt))

    def save_state(self, key: str, state: dict[str, Any], at: float) -> None:
        """What the watcher last knew about one endpoint, for apps that only read."""
        values = {"key": key, "updated": at, "state": json.dumps(state)}

        def write(conn: Connection) -> None:
            conn.execute(delete(watch_state).where(watch_state.c.key == key))
            conn.execute(watch_state.insert().values(**values))

        self._submit(write)

    def save_backup_files(self, portal: str, records: list[BackupFile], at: float) -> None:
        """Backup files the portal listed that were not kept yet; the first call also marks "known since"."""
        rows = [{"portal": portal, "id": r.id, "created_on": r.created_on.timestamp(), "file_name": r.file_name,
                 "storage_type": int(r.storage_type), "first_seen": at,
                 "expires_on": r.expires_on.timestamp() if r.expires_on else None} for r in records]

        def write(conn: Connection) -> None:
            conn.execute(_insert_ignore(conn, portals, {"name": portal, "backups_known_since": at}))
            for row in rows:
                conn.execute(_insert_ignore(conn, backup_files, row))

        self._submit(write)

    def save_audit(self, portal: str, events: list[AuditEvent], read: TrailRead) -> None:
        """Events read from the trail (one already kept is left alone), and how far it has been read now."""
        rows = [{"portal": portal, "id": e.id, "at": e.when.timestamp(), "action_id": e.action_id, "action": e.action,
                 "target": json.dumps(list(e.target)), "user_name": e.user, "offset_minutes": e.offset_minutes,
                 "first_seen": read.at} for e in events]
        values = asdict(read) | {"portal": portal}

        def write(conn: Connection) -> None:
            for row in rows:
                conn.execute(_insert_ignore(conn, audit_events, row))
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
        return [_point(row) for row in self._read(query)]

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

    def notified(self) -> dict[str, dict[str, Any]]:
        """Every notification decided and not yet pruned: key -> its row."""
        return {row["key"]: row for row in self._read(select(notifications))}

    def states(self) -> dict[str, tuple[float, dict[str, Any]]]:
        return {row["key"]: (row["updated"], json.loads(row["state"])) for row in self._read(select(watch_state))}

    def _read(self, query: Any) -> list[dict[str, Any]]:
        if self.problem and time.monotonic() - self._failed_at < QUIET_AFTER_FAILURE:
            return []  # it just failed: answer at once rather than wait on it again
        if not self._ready and not self.flush():
            return []
        try:
            with self._engine.connect() as conn:
                return [dict(row._mapping) for row in conn.execute(query)]
        except (SQLAlchemyError, OSError) as exc:
            self._failed(exc)
            return []

    def _failed(self, exc: BaseException) -> None:
        self.problem = _sentence(exc, self.url, self.dropped)
        self._failed_at = time.monotonic()


# ---------------------------------------------------------------- helpers


def _engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True, pool_size=2, max_overflow=4,
                             connect_args={"connect_timeout": 3} if parsed.get_backend_name() == "postgresql" else {})
    if parsed.database in (None, "", ":memory:"):
        engine = create_engine("sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False})
    else:
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 5})

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn: Any, _record: Any) -> None:
        cursor = dbapi_conn.cursor()
        if parsed.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")  # pages read while the watcher writes
        cursor.close()

    return engine


def _insert_ignore(conn: Connection, table: Any, values: dict[str, Any]) -> Any:
    """INSERT that leaves an existing row alone, so a write replayed after an outage is harmless."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    return dialect.insert(table).values(**values).on_conflict_do_nothing()


def _point_row(operation_id: str, p: Point) -> dict[str, Any]:
    problem = p.problem
    return {"operation_id": operation_id, "at": p.at, "percent": p.percent, "phase": p.phase.value,
            "tenant_id": p.tenant_id, "error": p.error, "task_id": p.task_id,
            "problem_category": problem.category.value if problem else None,
            "problem_label": problem.label if problem else None,
            "problem_message": json.dumps(problem.message.to_json()) if problem else None,
            "problem_status": problem.status if problem else None}


def _point(row: dict[str, Any]) -> Point:
    problem = None
    if row["problem_category"] is not None:
        problem = Problem(Category(row["problem_category"]), row["problem_label"] or "",
                          stored_msg(row["problem_message"] or ""), row["problem_status"])
    return Point(at=row["at"], percent=row["percent"], phase=Phase(row["phase"]), tenant_id=row["tenant_id"],
                 error=row["error"] or "", task_id=row["task_id"] or "", problem=problem)


def _sentence(exc: BaseException, url: str, dropped: int = 0) -> Msg:
    """Why history is not being saved, in one sentence; never the password in the URL."""
    text = str(exc).lower()
    host = make_url(url).host
    if isinstance(exc, schema.NewerSchema):
        return M_("History is not being saved: the history database was written by a newer version of this "
                  "app (schema {found}). Watching goes on; upgrade this app to keep the history.", found=exc.found)
    if "full" in text or "no space" in text:
        why = M_("the disk is full")
    elif "password" in text or "authentication" in text:
        why = M_("{host} refused the user name or password", host=host) if host else \
            M_("the database refused the user name or password")
    elif any(word in text for word in ("refused", "could not connect", "connection", "timeout", "unable to open")):
        why = M_("{host} is not reachable", host=host) if host else M_("the database file cannot be opened")
    else:
        why = M_("the database reported an error ({error})", error=type(exc).__name__)
    if dropped:
        return Mn_("History is not being saved: {why}. Watching goes on; what happens now is kept in memory and "
                   "written when the database is back ({n} oldest change could not be kept).",
                   "History is not being saved: {why}. Watching goes on; what happens now is kept in memory and "
                   "written when the database is back ({n} oldest changes could not be kept).",
                   dropped, why=why)
    return M_("History is not being saved: {why}. Watching goes on; what happens now is kept in memory and "
              "written when the database is back.", why=why)


def stored_msg(text: str) -> Msg:
    """A sentence as the database keeps it: a message's JSON, or (written before languages) plain English."""
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    return Msg.from_json(data) if isinstance(data, dict) and "text" in data else Msg(text)
