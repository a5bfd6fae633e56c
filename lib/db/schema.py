"""The history database's tables, and the migrations that bring any older database up to date.

The app creates and upgrades its own schema: a ``meta`` row holds the version, and each migration
moves it one step. A database is never dropped, only upgraded. Times are seconds since the epoch
(UTC), as everywhere in the app; texts are what the portal said, as received.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import (
    Column,
    Connection,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    inspect,
    select,
)

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

#: every notification decided, so none is sent twice, across restarts too
notifications = Table(
    "notifications", metadata,
    Column("key", String(200), primary_key=True),
    Column("text", Text, nullable=False),
    Column("created", Float, nullable=False),
    Column("sent", Float),
    Column("attempts", Integer, nullable=False, default=0),
    Column("last_error", Text, nullable=False, default=""),
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


def _v1(conn: Connection) -> None:
    metadata.create_all(conn, tables=[operations, points, outages, notifications, watch_state])


def _v2(conn: Connection) -> None:
    """Schema 2 (the 30-day strip): backup files kept beyond the portal's own list, and since when."""
    metadata.create_all(conn, tables=[backup_files, portals])


#: MIGRATIONS[n] takes a database from version n to n + 1
MIGRATIONS: list[Callable[[Connection], None]] = [_v1, _v2]
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
