"""The audit trail: ``GET /api/2.0/security/audit/events/filter`` (and ``…/events/last``) as DocSpace v3.7.2
answers them (``docs/_notes-audit.md``; web/ASC.Web.Api/Api/SecurityController.cs, AuditEventsRepository.cs,
ApiModels/ResponseDto/AuditEventDto.cs, ASC.Api.Core/Core/ApiDateTime.cs).

- ``from``/``to`` are ApiDateTime texts: seconds (or 3 or 7 decimals) and an explicit zone (``Z`` or
  ``±hh:mm``); anything else fails model binding, a 400 (the parser looks the zone up on a tenant it does
  not have). ``count`` 1..100 (default 100), ``startIndex``, ``action`` a MessageAction number or name.
- With the audit feature: the events of that action between from and to, newest first, paged.
- Without it (``audit=False``): the 20 newest events of the last 180 days, **whatever the filters**.
- ``date`` is written in the portal's zone with its offset (``Z`` when it is UTC), 7 decimals; ids are
  the table's autoincrement, and a completed restore puts the restored trail back under new ids (the
  events written after its backup, its own "Restore started" too, are gone).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta, timezone
from typing import Any

from simulator import past
from simulator.past import Event
from simulator.wire import Reply, problem

#: the fallback without the audit feature, and ``events/last``: this many newest events
LAST = 20
MAX_COUNT = 100
OWNER = "Demo Admin"
OWNER_ID = str(uuid.uuid5(uuid.NAMESPACE_URL, "demo/admin"))
#: MessageAction -> (its name, the action text, ActionType: 2 Update, 3 Delete)
ACTIONS: dict[int, tuple[str, str, int]] = {
    past.FILE_UPDATED: ("FileUpdated", "File updated", 2),
    past.BACKUP_STARTED: ("BackupStarted", "Backup started", 2),
    past.BACKUP_COMPLETED: ("BackupCompleted", "Backup completed", 2),
    past.BACKUP_FAILED: ("BackupFailed", "Backup failed", 2),
    past.SCHEDULED_STARTED: ("ScheduledBackupStarted", "Scheduled backup started", 2),
    past.SCHEDULED_COMPLETED: ("ScheduledBackupCompleted", "Scheduled backup completed", 2),
    past.SCHEDULED_FAILED: ("ScheduledBackupFailed", "Scheduled backup failed", 2),
    past.SCHEDULE_DELETED: ("ScheduledBackupDeleted", "Scheduled backup deleted", 3),
    past.BACKUP_CANCELLED: ("BackupCancelled", "Backup cancelled", 2),
    past.RESTORE_STARTED: ("RestoreStarted", "Restore started", 2),
}
_NAMES = {name.lower(): action for action, (name, _, _) in ACTIONS.items()}
_DATE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3}|\.\d{7})?(Z|[+-]\d\d:\d\d)$")


def numbered(events: Iterable[Event], restores: Iterable[tuple[float, float]], now: float) -> list[tuple[int, Event]]:
    """(id, event) for the events written by ``now``, as the autoincrement numbers them. ``restores``: the
    (start, end) of each completed restore: the trail it brings back is the one before its start, re-inserted
    under new ids."""
    marks = sorted((end, start) for start, end in restores if end <= now)
    live: list[tuple[int, Event]] = []
    next_id = 1
    for event in sorted((e for e in events if e.at <= now), key=lambda e: e.at):
        while marks and marks[0][0] <= event.at:
            _, start = marks.pop(0)
            kept = [e for _, e in live if e.at < start]
            live = list(enumerate(kept, start=next_id))
            next_id += len(kept)
        live.append((next_id, event))
        next_id += 1
    for _, start in marks:
        kept = [e for _, e in live if e.at < start]
        live = list(enumerate(kept, start=next_id))
        next_id += len(kept)
    return live


def dto(event_id: int, event: Event, tenant: int, utc_offset: int) -> dict[str, Any]:
    """An AuditEventDto as the server writes it (null properties left out, enums as numbers)."""
    _, text, action_type = ACTIONS[event.action]
    files = event.action == past.FILE_UPDATED
    out: dict[str, Any] = {"id": event_id, "date": api_date(event.at, utc_offset), "user": OWNER,
                           "userId": OWNER_ID, "action": text, "actionId": event.action}
    if event.manual:  # a person's request: its address and browser (the backup service has none)
        out.update(ip="127.0.0.1", browser="Chrome 120.0", platform="Windows 10",
                   page="https://demo.example/portal-settings/backup/data-backup")
    out.update(actionType=action_type, product=2 if files else 7, location=1 if files else 29)
    target = event.target or ((str(tenant),) if event.action in (past.RESTORE_STARTED, past.BACKUP_CANCELLED,
                                                                  past.SCHEDULE_DELETED) else ())
    if target:
        out["target"] = list(target)
    out.update(entries=[1] if files else [], context="Documents" if files else "Settings")
    return out


def api_date(at: float, utc_offset: int) -> str:
    """ApiDateTime: the portal's local time, 7 decimals, and its offset (``Z`` for UTC)."""
    local = datetime.fromtimestamp(at, timezone(timedelta(minutes=utc_offset)))
    hours, minutes = divmod(abs(utc_offset), 60)
    zone = "Z" if utc_offset == 0 else f"{'-' if utc_offset < 0 else '+'}{hours:02d}:{minutes:02d}"
    return f"{local:%Y-%m-%dT%H:%M:%S}.{local.microsecond:06d}0{zone}"


def parse_date(text: str) -> float | None:
    """An ApiDateTime query value as the server's model binder takes it; None when it would be a 400."""
    if not _DATE.match(text):
        return None
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def query(items: list[tuple[int, dict[str, Any]]], params: dict[str, str], *, now: float,
          audit: bool) -> list[dict[str, Any]] | Reply:
    """The answer to ``events/filter``: ``items`` are (action, dto), newest first; a Reply for a bad query."""
    bounds: dict[str, float | None] = {}
    for key in ("from", "to"):
        raw = params.get(key)
        bounds[key] = None if raw is None else parse_date(raw)
        if raw is not None and bounds[key] is None:
            return problem(key, "The input was not valid.")
    count, start = _number(params, "count", MAX_COUNT), _number(params, "startindex", 0)
    action = _action(params.get("action"))
    for key, value in (("count", count), ("startIndex", start), ("action", action)):
        if isinstance(value, str):
            return problem(key, value)
    assert isinstance(count, int) and isinstance(start, int)
    if not 1 <= count <= MAX_COUNT:
        return problem("Count", f"The field Count must be between 1 and {MAX_COUNT}.")
    lifetime = now - past.TRAIL_LIFETIME * 86_400
    if not audit:  # the portal's plan has no audit trail: its newest events, whatever was asked
        return [dto for _, dto in items if _at(dto) >= lifetime][:LAST]
    lo, hi = bounds["from"], bounds["to"]
    found = [dto for kind, dto in items if (action is None or kind == action)
             and (lo is None or _at(dto) >= lo) and (hi is None or _at(dto) <= hi)]
    return found[start:start + count]


def last(items: list[tuple[int, dict[str, Any]]], now: float) -> list[dict[str, Any]]:
    """``events/last``: the 20 newest events of the audit lifetime, with or without the feature."""
    lifetime = now - past.TRAIL_LIFETIME * 86_400
    return [dto for _, dto in items if _at(dto) >= lifetime][:LAST]


def _at(item: dict[str, Any]) -> float:
    return datetime.fromisoformat(item["date"]).timestamp()


def _number(params: dict[str, str], key: str, default: int) -> int | str:
    raw = params.get(key)
    if raw is None:
        return default
    return int(raw) if raw.strip().lstrip("-").isdigit() else f"The value '{raw}' is not valid."


def _action(raw: str | None) -> int | str | None:
    """MessageAction by number or name; 0 and -1 (None) mean no filter, as the controller reads them."""
    if raw is None:
        return None
    text = raw.strip()
    value = int(text) if text.lstrip("-").isdigit() else _NAMES.get(text.lower())
    if value is None:
        return f"The value '{raw}' is not valid."
    return None if value in (0, -1) else value
