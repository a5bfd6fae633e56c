"""Email subscriptions in the history database: who asked to be told what, confirmed or not, and the
confirmation emails sent (for the limits). Each function is one short transaction's work, run with
:meth:`lib.db.store.HistoryStore.at_once`, so every copy of the app sees the same subscriptions.

An address is kept only to send to it; claims, limits and logs use its SHA-256 (:func:`sha`).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, delete, func, select, update

from lib.db.schema import insert_ignore, mail_sent, meta, notifications, subscriptions

WHATS = ("this-operation", "next-outcome", "missed", "digest")
#: these are told once, then done
ONCE = ("this-operation", "next-outcome")


@dataclass(frozen=True)
class Subscription:
    id: str
    address: str
    address_sha: str
    portal: str
    kind: str
    what: str
    operation: str
    language: str
    created: float
    confirmed: float | None
    token: str
    unsubscribed: float | None
    done: float | None


def sha(address: str) -> str:
    return hashlib.sha256(address.strip().lower().encode()).hexdigest()


def new_id() -> str:
    return secrets.token_hex(16)


def secret(conn: Connection) -> str:
    """The key that signs links when ``[email] secret`` is not set: made once per database, shared by
    every copy (never the API key)."""
    conn.execute(insert_ignore(conn, meta, {"key": "mail_secret", "value": secrets.token_hex(32)}))
    return str(conn.execute(select(meta.c.value).where(meta.c.key == "mail_secret")).scalar_one())


def add(conn: Connection, sub: Subscription) -> None:
    conn.execute(subscriptions.insert().values(**sub.__dict__))


def get(conn: Connection, sub_id: str) -> Subscription | None:
    row = conn.execute(select(subscriptions).where(subscriptions.c.id == sub_id)).mappings().first()
    return None if row is None else Subscription(**row)


def sent_recently(conn: Connection, address_sha: str, since: float) -> tuple[int, int]:
    """Confirmation emails sent since then: (to this address, to anyone)."""
    m = mail_sent.c
    total = conn.execute(select(func.count()).select_from(mail_sent).where(m.at >= since)).scalar_one()
    mine = conn.execute(select(func.count()).select_from(mail_sent)
                        .where(m.at >= since, m.address_sha == address_sha)).scalar_one()
    return int(mine), int(total)


def confirmation_sent(conn: Connection, address_sha: str, now: float, *, keep: float = 86_400.0) -> None:
    """Count one more; forget the ones older than a day, and addresses never confirmed within two."""
    conn.execute(delete(mail_sent).where(mail_sent.c.at < now - keep))
    s = subscriptions.c
    conn.execute(delete(subscriptions).where(s.confirmed.is_(None), s.created < now - 2 * keep))
    conn.execute(mail_sent.insert().values(id=new_id(), address_sha=address_sha, at=now))


def confirm(conn: Connection, token: str, now: float) -> list[Subscription]:
    """Use the confirmation link ``token`` once (it confirms what one form asked for); [] when it was used
    or unsubscribed. The token is kept, so that a second opening can say it was confirmed already."""
    s = subscriptions.c
    if not token:
        return []
    waiting = (s.token == token, s.unsubscribed.is_(None), s.confirmed.is_(None))
    found = [Subscription(**r) for r in conn.execute(select(subscriptions).where(*waiting)).mappings()]
    stmt = update(subscriptions).where(*waiting).values(confirmed=now)
    return found if found and conn.execute(stmt).rowcount == len(found) else []


def confirmed_before(conn: Connection, token: str) -> bool:
    """Whether that link confirmed subscriptions that are still on (a mail scanner may have opened it first)."""
    s = subscriptions.c
    return bool(token) and conn.execute(select(s.id).where(
        s.token == token, s.unsubscribed.is_(None), s.confirmed.is_not(None)).limit(1)).first() is not None


def unsubscribe(conn: Connection, sub_id: str, now: float) -> Subscription | None:
    """Stop every subscription of that address for that portal (the digest too); the one the link was made
    for (its portal and language word the page), or None when it is no longer kept."""
    sub = get(conn, sub_id)
    if sub is not None:
        s = subscriptions.c
        conn.execute(update(subscriptions).where(s.address_sha == sub.address_sha, s.portal == sub.portal,
                                                 s.unsubscribed.is_(None)).values(unsubscribed=now, token=""))
    return sub


def recipients(conn: Connection, portal: str, kind: str, whats: tuple[str, ...],
               operation: str = "") -> list[Subscription]:
    """Confirmed, still wanted subscriptions for this portal, kind and event. A "this-operation" one is told
    the first outcome after it was asked for: the job running then ends first (``operation`` is kept for
    the record only: a restore changes the portal under the watcher, which may see it under a new id)."""
    s = subscriptions.c
    rows = conn.execute(select(subscriptions).where(
        s.portal == portal, s.kind == kind, s.what.in_(whats), s.confirmed.is_not(None),
        s.unsubscribed.is_(None), s.done.is_(None)).order_by(s.created)).mappings()
    return [Subscription(**r) for r in rows]


def digest_subscribers(conn: Connection) -> list[Subscription]:
    s = subscriptions.c
    rows = conn.execute(select(subscriptions).where(s.what == "digest", s.confirmed.is_not(None),
                                                    s.unsubscribed.is_(None)).order_by(s.created)).mappings()
    return [Subscription(**r) for r in rows]


def told(conn: Connection, sub_ids: list[str], now: float) -> None:
    """One-time subscriptions that were told: done."""
    s = subscriptions.c
    if sub_ids:
        conn.execute(update(subscriptions).where(s.id.in_(sub_ids), s.what.in_(ONCE), s.done.is_(None))
                     .values(done=now))


def release(conn: Connection, key: str) -> None:
    """A send that failed: the claim is let go, so a later try (this copy's, another's, or the command
    line's) may take it at once."""
    conn.execute(update(notifications).where(notifications.c.key == key, notifications.c.sent.is_(None))
                 .values(holder="", claimed=None))


def tries_of(conn: Connection, key: str) -> tuple[bool, int]:
    """Whether the email under ``key`` was sent, and how many times sending it was tried (0: never)."""
    row = conn.execute(select(notifications.c.sent, notifications.c.attempts).where(notifications.c.key == key)).first()
    return (False, 0) if row is None else (row.sent is not None, row.attempts or 0)


def rows(conn: Connection) -> list[dict[str, Any]]:
    """Every subscription (tests and the settings check count them; no page lists them)."""
    return [dict(r) for r in conn.execute(select(subscriptions)).mappings()]
