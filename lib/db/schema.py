"""The history database's tables, and the migrations that bring any older database up to date.

The app creates and upgrades its own schema: a ``meta`` row holds the version, and each migration
moves it one step. A database is never dropped, only upgraded. Times are seconds since the epoch
(UTC), as everywhere in the app; texts are what the portal said, as received.
"""

from __future__ import annotations

from collections.abc import Callable

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


def _v1(conn: Connection) -> None:
    metadata.create_all(conn, tables=[operations, points, outages, notifications, watch_state])


def _v2(conn: Connection) -> None:
    """Schema 2 (the 30-day strip): backup files kept beyond the portal's own list, and since when."""
    metadata.create_all(conn, tables=[backup_files, portals])


def _v3(conn: Connection) -> None:
    """A placeholder: schema 3 (leases, unique keys) is another branch's; the merge puts it here."""


def _v4(conn: Connection) -> None:
    """Schema 4 (issue #23): the audit trail's backup events, how far it was read, the schedule remembered."""
    metadata.create_all(conn, tables=[audit_events, audit_reads, schedules_seen])


#: MIGRATIONS[n] takes a database from version n to n + 1
MIGRATIONS: list[Callable[[Connection], None]] = [_v1, _v2, _v3, _v4]
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
