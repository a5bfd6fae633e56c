"""The history database's tables, and the migrations that bring any older database up to date.

The app creates and upgrades its own schema: a ``meta`` row holds the version, and each migration
moves it one step. A database is never dropped, only upgraded. Times are seconds since the epoch
(UTC), as everywhere in the app; texts are what the portal said, as received.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Connection,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    delete,
    func,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

metadata = MetaData()

meta = Table(
    "meta", metadata,
    Column("key", String(40), primary_key=True),
    Column("value", Text, nullable=False),
)

#: one row per restore or backup the app saw, from first sight to its outcome
operations = Table(
    "operations", metadata,
    Column("id", String(32), primary_key=True),  # chosen by the app, so writes can wait for a database
    Column("portal", String(40), nullable=False),
    Column("kind", String(12), nullable=False),  # restore, backup, transfer
    Column("scope", String(8), nullable=False),  # any, portal, server (the restore's Dump choice)
    Column("task_id", String(64), nullable=False, default=""),
    Column("first_seen", Float, nullable=False),
    Column("first_percent", Integer, nullable=False),
    Column("started", Float),  # when it started, if we saw it at 0 %
    Column("ended", Float),
    Column("outcome", String(12), nullable=False),  # running, completed, failed, cancelled, vanished
    Column("last_percent", Integer, nullable=False),
    Column("portal_text", Text, nullable=False, default=""),  # the portal's error or warning, as received
    Column("last_seen", Float, nullable=False),  # the last answer about it
    Index("ix_operations_recent", "portal", "kind", "scope", "first_seen"),
)

#: the change points of an operation (a failed check is a point too)
points = Table(
    "points", metadata,
    Column("operation_id", String(32), primary_key=True),  # operations.id (no constraint: writes may wait)
    Column("at", Float, primary_key=True),
    Column("percent", Integer),
    Column("phase", String(24), nullable=False),
    Column("tenant_id", Integer),
    Column("error", Text, nullable=False, default=""),
    Column("task_id", String(64), nullable=False, default=""),
    Column("problem_category", String(16)),
    Column("problem_label", String(24)),
    Column("problem_message", Text),
    Column("problem_status", Integer),
)

#: spans of failed checks per portal and endpoint, whether or not a job ran
outages = Table(
    "outages", metadata,
    Column("id", String(32), primary_key=True),
    Column("portal", String(40), nullable=False),
    Column("endpoint", String(24), nullable=False),
    Column("started", Float, nullable=False),
    Column("ended", Float),
    Column("category", String(16), nullable=False),
    Column("label", String(24), nullable=False),
    Column("message", Text, nullable=False),
    Index("ix_outages_recent", "portal", "started"),
)

#: every notification decided, so none is sent twice, across restarts and copies too: a copy sends
#: only a message whose row it claimed (``holder``) while it held the watch
notifications = Table(
    "notifications", metadata,
    Column("key", String(200), primary_key=True),
    Column("text", Text, nullable=False),
    Column("created", Float, nullable=False),
    Column("sent", Float),
    Column("attempts", Integer, nullable=False, default=0),
    Column("last_error", Text, nullable=False, default=""),
    Column("holder", String(32), nullable=False, default="", server_default=""),  # who claimed it ("" nobody)
    Column("claimed", Float),
)

#: what the app last knew per portal and endpoint, for an app that only reads (watcher = "external")
watch_state = Table(
    "watch_state", metadata,
    Column("key", String(80), primary_key=True),  # portal:endpoint:scope
    Column("updated", Float, nullable=False),
    Column("state", Text, nullable=False),  # JSON, written on change and at most once a minute otherwise
)


#: every backup file the portal listed, kept after the portal deletes it (it keeps only a few copies)
backup_files = Table(
    "backup_files", metadata,
    Column("portal", String(40), primary_key=True),
    Column("id", String(64), primary_key=True),
    Column("created_on", Float, nullable=False),
    Column("file_name", Text, nullable=False),
    Column("storage_type", Integer, nullable=False),
    Column("expires_on", Float),
    Column("first_seen", Float, nullable=False),
    Index("ix_backup_files_recent", "portal", "created_on"),
)

#: when the app first read each portal's backups: a day before that is "not known", never "missed"
portals = Table(
    "portals", metadata,
    Column("name", String(40), primary_key=True),
    Column("backups_known_since", Float, nullable=False),
)


#: the backup events of each portal's audit trail the app has read (DocSpace keeps 180 days; a restore
#: gives them new ids, so the same event may come twice under two ids: it is counted once by action and time)
audit_events = Table(
    "audit_events", metadata,
    Column("portal", String(40), primary_key=True),
    Column("id", BigInteger, primary_key=True),  # DocSpace's id
    Column("at", Float, nullable=False),
    Column("action_id", Integer, nullable=False),
    Column("action", Text, nullable=False, default=""),  # DocSpace's words, as received
    Column("target", Text, nullable=False, default="[]"),  # JSON list
    Column("user_name", Text, nullable=False, default=""),  # a person's name: shown only to signed-in viewers
    Column("offset_minutes", Integer),  # the portal's zone when it wrote the date
    Column("first_seen", Float, nullable=False),
    Index("ix_audit_events_recent", "portal", "at"),
)

#: how far each portal's audit trail has been read
audit_reads = Table(
    "audit_reads", metadata,
    Column("portal", String(40), primary_key=True),
    Column("complete_from", Float),  # every watched event from here to read_until is in audit_events
    Column("read_until", Float),
    Column("filtered", Boolean, nullable=False),  # false: no audit feature, a short trail
    Column("at", Float, nullable=False),  # the last read, or try
    Column("problem", String(24), nullable=False, default=""),  # the last try's failure, as a label
)

#: whether a portal had an automatic backup schedule, and when it went away
schedules_seen = Table(
    "schedules_seen", metadata,
    Column("portal", String(40), primary_key=True),
    Column("seen_at", Float),  # the last answer with a schedule (written on change, and hourly)
    Column("gone_at", Float),  # the first answer without it after that; null while it is there
)


#: who watches: one row per history database; the copy named in it polls, records and notifies
leases = Table(
    "leases", metadata,
    Column("name", String(40), primary_key=True),
    Column("holder", String(32), nullable=False),  # a random id per copy; "" when handed over
    Column("role", String(16), nullable=False),  # "app" or "headless"
    Column("host", String(255), nullable=False),
    Column("pid", Integer, nullable=False),
    Column("since", Float, nullable=False),  # when this holder took it (the holder's clock)
    Column("renewed", Float, nullable=False),  # its last renewal (the holder's clock)
    Column("beat", Integer, nullable=False),  # goes up with every renewal: the others see it live
    Column("health", Text, nullable=False),  # JSON: each portal's last answer, for the other copies' /healthz
)

#: people who asked to be told by email (issue #22): what, about which portal, in which language. An
#: address is shown to nobody; ``token`` is the id of the confirmation link that may still be used
subscriptions = Table(
    "subscriptions", metadata,
    Column("id", String(32), primary_key=True),
    Column("address", String(254), nullable=False),
    Column("address_sha", String(64), nullable=False),  # the address's SHA-256 (claims and limits name no one)
    Column("portal", String(40), nullable=False),
    Column("kind", String(12), nullable=False),  # restore, backup, or "" (the digest)
    Column("what", String(16), nullable=False),  # this-operation, next-outcome, missed, digest
    Column("operation", String(64), nullable=False, default=""),  # this-operation: the run it was asked for
    Column("language", String(16), nullable=False),  # the page's language when they subscribed
    Column("created", Float, nullable=False),
    Column("confirmed", Float),
    Column("token", String(32), nullable=False, default=""),  # the unused confirmation link's id ("" none)
    Column("unsubscribed", Float),
    Column("done", Float),  # a one-time subscription that was told
    Index("ix_subscriptions_portal", "portal", "kind"),
    Index("ix_subscriptions_address", "address_sha"),
)

#: every confirmation email sent, for the limits (per address and per app per hour)
mail_sent = Table(
    "mail_sent", metadata,
    Column("id", String(32), primary_key=True),
    Column("address_sha", String(64), nullable=False),
    Column("at", Float, nullable=False),
    Index("ix_mail_sent_at", "at"),
)

#: one operation per portal, kind, scope and task: a second copy (or a race) cannot add a second row
UNIQUE_TASK = ("CREATE UNIQUE INDEX IF NOT EXISTS uq_operations_task "
               "ON operations (portal, kind, scope, task_id) WHERE task_id <> ''")


def insert_ignore(conn: Connection, table: Any, values: dict[str, Any]) -> Any:
    """INSERT that leaves an existing row alone, so a write replayed after an outage is harmless."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    return dialect.insert(table).values(**values).on_conflict_do_nothing()


@functools.cache
def ignoring(dialect: str, table: Table) -> Any:
    """The same INSERT, built once per table, its row given as parameters: the history's busiest writes
    cost a lookup, not a statement built and compiled each time."""
    return (postgresql if dialect == "postgresql" else sqlite).insert(table).on_conflict_do_nothing()


@functools.cache
def upserting(dialect: str, table: Table, key: str, newer: str) -> Any:
    """INSERT, or UPDATE the row with the same ``key`` unless it holds a ``newer`` value than this one."""
    made = (postgresql if dialect == "postgresql" else sqlite).insert(table)
    columns = {c.name: made.excluded[c.name] for c in table.columns if c.name != key}
    return made.on_conflict_do_update(index_elements=[table.c[key]], set_=columns,
                                      where=table.c[newer] <= made.excluded[newer])


def _v1(conn: Connection) -> None:
    metadata.create_all(conn, tables=[operations, points, outages, notifications, watch_state])


def _v2(conn: Connection) -> None:
    """Schema 2 (the 30-day strip): backup files kept beyond the portal's own list, and since when."""
    metadata.create_all(conn, tables=[backup_files, portals])


def _v3(conn: Connection) -> None:
    """Schema 3 (one watcher per database): the lease, notification claims, and one operation per task
    (duplicates that two watchers wrote before are merged first, their points kept)."""
    have = {c["name"] for c in inspect(conn).get_columns("notifications")}
    if "holder" not in have:
        conn.execute(text("ALTER TABLE notifications ADD COLUMN holder VARCHAR(32) NOT NULL DEFAULT ''"))
    if "claimed" not in have:
        conn.execute(text("ALTER TABLE notifications ADD COLUMN claimed FLOAT"))
    leases.create(conn, checkfirst=True)
    _merge_duplicates(conn)
    conn.execute(text(UNIQUE_TASK))


def _merge_duplicates(conn: Connection) -> None:
    """Each task recorded more than once becomes one operation: the earliest row, with every point."""
    key = (operations.c.portal, operations.c.kind, operations.c.scope, operations.c.task_id)
    twice = conn.execute(select(*key).where(operations.c.task_id != "").group_by(*key)
                         .having(func.count() > 1)).all()
    for portal, kind, scope, task in twice:
        rows = [dict(r._mapping) for r in conn.execute(
            select(operations).where(operations.c.portal == portal, operations.c.kind == kind,
                                     operations.c.scope == scope, operations.c.task_id == task)
            .order_by(operations.c.first_seen, operations.c.id))]
        keep, others = rows[0]["id"], [r["id"] for r in rows[1:]]
        for other in others:
            for point in conn.execute(select(points).where(points.c.operation_id == other)):
                conn.execute(insert_ignore(conn, points, dict(point._mapping) | {"operation_id": keep}))
            conn.execute(delete(points).where(points.c.operation_id == other))
        conn.execute(delete(operations).where(operations.c.id.in_(others)))
        conn.execute(update(operations).where(operations.c.id == keep).values(**merged(rows)))


#: which of two records of one task tells how it ended: a real outcome over "vanished" over "running"
_RANK = {"running": 0, "vanished": 1, "cancelled": 2, "failed": 2, "completed": 2}


def merged(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """One task's records as one: first seen by the first, last seen and ended as the last told."""
    last = max(rows, key=lambda r: r["last_seen"])
    ending = max(rows, key=lambda r: (_RANK.get(r["outcome"], 1), r["ended"] or 0))
    started = [r["started"] for r in rows if r["started"] is not None]
    return {"first_seen": min(r["first_seen"] for r in rows), "started": min(started) if started else None,
            "first_percent": min(rows, key=lambda r: r["first_seen"])["first_percent"],
            "outcome": ending["outcome"], "ended": ending["ended"], "last_seen": last["last_seen"],
            "last_percent": ending["last_percent"] if ending["outcome"] != "running" else last["last_percent"],
            "portal_text": ending["portal_text"] or last["portal_text"]}


def _v4(conn: Connection) -> None:
    """Schema 4 (issue #23): the audit trail's backup events, how far it was read, the schedule remembered."""
    metadata.create_all(conn, tables=[audit_events, audit_reads, schedules_seen])


def _v5(conn: Connection) -> None:
    """Schema 5 (issue #22): email subscriptions and the confirmation emails sent (for the limits)."""
    metadata.create_all(conn, tables=[subscriptions, mail_sent])


#: MIGRATIONS[n] takes a database from version n to n + 1
MIGRATIONS: list[Callable[[Connection], None]] = [_v1, _v2, _v3, _v4, _v5]
VERSION = len(MIGRATIONS)


def version_of(conn: Connection) -> int:
    if not inspect(conn).has_table("meta"):
        return 0
    value = conn.execute(select(meta.c.value).where(meta.c.key == "schema_version")).scalar()
    return int(value or 0)


class NewerSchema(RuntimeError):
    """The database was written by a newer version of this app: never touched, never "written later"."""

    def __init__(self, found: int):
        super().__init__(f"the history database is from a newer version of this app (schema {found})")
        self.found = found


def upgrade(conn: Connection) -> int:
    """Bring the database to the current version; returns the version it had."""
    found = version_of(conn)
    if found > VERSION:
        raise NewerSchema(found)
    meta.create(conn, checkfirst=True)
    for step in range(found, VERSION):
        MIGRATIONS[step](conn)
        conn.execute(meta.delete().where(meta.c.key == "schema_version"))
        conn.execute(meta.insert().values(key="schema_version", value=str(step + 1)))
    return found
