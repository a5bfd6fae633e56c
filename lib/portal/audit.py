"""DocSpace's audit trail, as far as backups go: the events, how to ask for them, and how to read the answer.

What DocSpace writes (docs/_notes-audit.md): one event per backup started, completed or failed (manual and
scheduled apart), per restore started and per schedule an admin deleted; never a reason. The endpoint
takes one ``action`` per request, and dates only with an explicit zone. A portal whose plan has no audit
trail answers its 20 newest events of any kind whatever was asked, so the answer is filtered here again
and says how far back it is complete.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import IntEnum
from typing import Any, NamedTuple

from lib.portal.models import PayloadError, _int, _obj, _text, parse_datetime, parse_list

#: events per request (the server's maximum) and pages per action at most (a backup a day: one page)
PAGE = 100
MAX_PAGES = 10
#: what a portal without the audit feature sends instead: its newest events, this many
FALLBACK = 20


class AuditAction(IntEnum):
    """The MessageAction ids of the backup events (common/ASC.Core.Common/Messaging/MessageAction.cs)."""

    BACKUP_STARTED = 5041
    BACKUP_COMPLETED = 5125
    BACKUP_FAILED = 5126
    SCHEDULED_BACKUP_STARTED = 5127
    SCHEDULED_BACKUP_COMPLETED = 5128
    SCHEDULED_BACKUP_FAILED = 5129
    SCHEDULED_BACKUP_DELETED = 5130
    BACKUP_CANCELLED = 5131
    RESTORE_STARTED = 5132
    RESTORE_CANCELLED = 5133


#: a backup was made (manual, scheduled)
COMPLETED = frozenset({AuditAction.BACKUP_COMPLETED, AuditAction.SCHEDULED_BACKUP_COMPLETED})
#: a backup failed (manual, scheduled)
FAILED = frozenset({AuditAction.BACKUP_FAILED, AuditAction.SCHEDULED_BACKUP_FAILED})
#: written by the backup service for the schedule's runs
SCHEDULED = frozenset({AuditAction.SCHEDULED_BACKUP_STARTED, AuditAction.SCHEDULED_BACKUP_COMPLETED,
                       AuditAction.SCHEDULED_BACKUP_FAILED})
#: what the watcher reads: backups made and failed, restores started, the schedule deleted by an admin
WATCHED = (AuditAction.BACKUP_COMPLETED, AuditAction.SCHEDULED_BACKUP_COMPLETED, AuditAction.BACKUP_FAILED,
           AuditAction.SCHEDULED_BACKUP_FAILED, AuditAction.RESTORE_STARTED, AuditAction.SCHEDULED_BACKUP_DELETED)


@dataclass(frozen=True, slots=True)
class AuditEvent:
    """One audit trail entry. ``user`` is a person's name: kept, but shown only to signed-in viewers."""

    id: int
    when: datetime  # UTC
    action_id: int
    action: str  # DocSpace's own words ("Scheduled backup failed")
    target: tuple[str, ...] = ()
    user: str = field(default="", repr=False)
    #: the portal's UTC offset in minutes when it wrote the date (its zone), when the date said
    offset_minutes: int | None = None

    @property
    def scheduled(self) -> bool:
        return self.action_id in SCHEDULED

    @property
    def key(self) -> tuple[int, float]:
        """The same event whatever its id: a restore puts the trail back under new ids."""
        return self.action_id, self.when.timestamp()


class AuditTrail(NamedTuple):
    """What one read of the trail found: the events asked for, complete from ``complete_from`` on."""

    events: list[AuditEvent]
    complete_from: datetime  # every asked event from here to ``until`` is in ``events``
    until: datetime
    filtered: bool  # False: the portal has no audit feature and sent its newest events instead


# ---------------------------------------------------------------- asking


def query(action: int, since: datetime, until: datetime, start: int = 0) -> dict[str, str]:
    """One request's query: whole seconds and an explicit offset, the only dates the server's binder takes."""
    return {"action": str(int(action)), "from": _stamp(since), "to": _stamp(until), "count": str(PAGE),
            "startIndex": str(start)}


def _stamp(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("audit trail dates need a zone")
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def read(get: Callable[[dict[str, str]], list[AuditEvent]], since: datetime, until: datetime,
         actions: Iterable[int]) -> AuditTrail:
    """Every event of ``actions`` between ``since`` and ``until``, one action and page at a time; ``get``
    fetches one query's events. When the portal ignores the filter (no audit feature), one answer is all
    there is: it is filtered here and is complete only from its oldest event on."""
    wanted = {int(a) for a in actions}
    found: dict[int, AuditEvent] = {}
    for action in wanted:
        for page in range(MAX_PAGES):
            events = get(query(action, since, until, page * PAGE))
            if any(e.action_id != action for e in events):
                return _unfiltered(events, wanted, since, until)
            found.update((e.id, e) for e in events if since <= e.when <= until)
            if len(events) < PAGE:
                break
    return AuditTrail(sorted(found.values(), key=lambda e: e.when), since, until, True)


def _unfiltered(events: list[AuditEvent], wanted: set[int], since: datetime, until: datetime) -> AuditTrail:
    """The newest events of every kind: all there were after the oldest of them (or all there were)."""
    complete_from = since
    if len(events) >= FALLBACK:
        complete_from = max(since, min(e.when for e in events))
    kept = [e for e in events if e.action_id in wanted and since <= e.when <= until]
    return AuditTrail(sorted(kept, key=lambda e: e.when), complete_from, until, False)


# ---------------------------------------------------------------- reading the answer


def parse_event(value: Any) -> AuditEvent:
    """An AuditEventDto. ``date`` is an ApiDateTime string with the portal's offset; an object with
    ``utcTime`` (how the SDK models it) is taken too."""
    data = _obj(value, "audit event")
    if "id" not in data or "actionId" not in data:
        raise PayloadError("audit event has no 'id' or 'actionId'")
    raw = data.get("date")
    text = raw.get("utcTime") if isinstance(raw, dict) else raw
    when = parse_datetime(text, "date")
    if when is None:
        raise PayloadError("audit event has no 'date'")
    target = data.get("target") or []
    if not isinstance(target, list):
        raise PayloadError("'target' must be a list")
    return AuditEvent(id=_int(data["id"], "id"), when=when, action_id=_action(data["actionId"]),
                      action=_text(data, "action"), target=tuple(str(t) for t in target),
                      user=_text(data, "user"), offset_minutes=_offset(text))


def parse_events(value: Any) -> list[AuditEvent]:
    return parse_list(value, parse_event, "the audit trail")


def _action(value: Any) -> int:
    """A MessageAction as a number (how the server writes it) or, leniently, a known name."""
    if isinstance(value, str) and not value.strip().lstrip("-").isdigit():
        key = value.strip().replace("_", "").lower()
        for member in AuditAction:
            if member.name.replace("_", "").lower() == key:
                return int(member)
        return -1
    return _int(value, "actionId")


def _offset(text: Any) -> int | None:
    try:
        moment = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return None
    offset = moment.utcoffset()
    return None if offset is None else int(offset.total_seconds() // 60)
