"""Who watches, and who sends a message, decided in the database: one statement each, whose row count
is the answer, so two copies racing each other cannot both win.

The lease is one row per history database. A copy takes it when there is none, when it was handed
over (``holder`` is ""), or when its holder stopped renewing (by compare-and-set on the ``beat`` it
last saw, so of two copies taking over at once one wins). A message is sent only by the copy that
claimed its row while it held the lease.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, exists, select, update

from lib.db.schema import insert_ignore, leases, notifications

NAME = "watcher"


@dataclass(frozen=True)
class Me:
    """One copy of the app or the headless watcher: a random id, and where it runs (for people)."""

    id: str
    role: str  # "app" or "headless"
    host: str
    pid: int


@dataclass(frozen=True)
class LeaseRow:
    holder: str  # "" when the last holder handed it over
    role: str
    host: str
    pid: int
    since: float
    renewed: float
    beat: int
    health: str  # JSON


def read(conn: Connection) -> LeaseRow | None:
    row = conn.execute(select(leases).where(leases.c.name == NAME)).mappings().first()
    return None if row is None else LeaseRow(**{k: v for k, v in row.items() if k != "name"})


def take(conn: Connection, me: Me, seen: LeaseRow | None, now: float, health: str) -> bool:
    """Take the lease as it was seen (none, handed over, or gone quiet); False when another copy was first."""
    values = {"holder": me.id, "role": me.role, "host": me.host, "pid": me.pid, "since": now, "renewed": now,
              "health": health}
    if seen is None:  # (RETURNING: PostgreSQL gives no row count for an INSERT … ON CONFLICT DO NOTHING)
        made = insert_ignore(conn, leases, values | {"name": NAME, "beat": 0}).returning(leases.c.name)
        return conn.execute(made).first() is not None
    stmt = (update(leases).where(leases.c.name == NAME, leases.c.holder == seen.holder, leases.c.beat == seen.beat)
            .values(**values, beat=seen.beat + 1))
    return conn.execute(stmt).rowcount == 1


def renew(conn: Connection, me: Me, now: float, health: str) -> bool:
    """Say this copy still watches; False when the lease is no longer its own."""
    stmt = (update(leases).where(leases.c.name == NAME, leases.c.holder == me.id)
            .values(renewed=now, beat=leases.c.beat + 1, health=health))
    return conn.execute(stmt).rowcount == 1


def release(conn: Connection, me: Me, now: float) -> None:
    """Hand the lease over at once (a clean stop): the next copy to look takes it."""
    conn.execute(update(leases).where(leases.c.name == NAME, leases.c.holder == me.id)
                 .values(holder="", renewed=now, beat=leases.c.beat + 1))


def claim(conn: Connection, me: Me, key: str, text: str, now: float, *, tries: int, grace: float) -> bool:
    """The right to send this message, once: only while holding the lease, only if it was not sent, and
    not while another copy's claim is younger than ``grace`` (it may be sending it right now)."""
    holding = exists().where(leases.c.name == NAME, leases.c.holder == me.id)
    return _claim(conn, me.id, key, text, now, tries, grace, holding)


def claim_alone(conn: Connection, holder: str, key: str, text: str, now: float, *, tries: int, grace: float) -> bool:
    """The same for a copy without a lease (one process, no other copies): ``holder`` names this process."""
    return _claim(conn, holder, key, text, now, tries, grace)


def _claim(conn: Connection, holder: str, key: str, text: str, now: float, tries: int, grace: float,
           *also: Any) -> bool:
    _decided(conn, key, text, now)
    n = notifications.c
    stmt = (update(notifications)
            .where(n.key == key, n.sent.is_(None), n.attempts < tries, *also,
                   (n.holder == "") | (n.holder == holder) | n.claimed.is_(None) | (n.claimed < now - grace))
            .values(holder=holder, claimed=now))
    return conn.execute(stmt).rowcount == 1


def first_to_decide(conn: Connection, key: str, text: str, now: float) -> bool:
    """Decide a message no copy holding the lease can send (nobody watches): True for the one copy whose
    row it is, so of several copies that only read, one tells it."""
    made = insert_ignore(conn, notifications, decided_row(key, text, now))
    return conn.execute(made.returning(notifications.c.key)).first() is not None


def tried(conn: Connection, key: str, text: str, now: float, *, sent: float | None, attempts: int,
          error: str) -> None:
    """How sending it went (the row is made if the queued "decided" has not reached the database yet)."""
    _decided(conn, key, text, now)
    conn.execute(update(notifications).where(notifications.c.key == key)
                 .values(sent=sent, attempts=attempts, last_error=error))


def decided_row(key: str, text: str, now: float) -> dict[str, Any]:
    """A message decided and not yet claimed by anyone: its row in the notifications table."""
    return {"key": key, "text": text, "created": now, "sent": None, "attempts": 0, "last_error": "", "holder": "",
            "claimed": None}


def _decided(conn: Connection, key: str, text: str, now: float) -> None:
    conn.execute(insert_ignore(conn, notifications, decided_row(key, text, now)))
