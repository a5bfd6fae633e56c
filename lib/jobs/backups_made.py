"""Which backups were made, each once: from the portal's list, the app's own recordings and the audit trail.

The portal lists only the files it still keeps; the app records every backup it saw complete; the audit
trail remembers every backup completed (180 days), though not which file. The same backup seen in two
of them counts once: the same id (DocSpace gives the file its task's id), or, when an id is missing,
made within :data:`SAME_BACKUP` of each other, or the listed file stamped inside the run the app
recorded. The schedule's ``lastBackupTime`` is never a backup: it is when the scheduler dispatched a run,
whatever came of it, and it starts over whenever the schedule is saved.
"""

from __future__ import annotations

import functools
import re
from bisect import bisect_left, bisect_right, insort
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from babel.units import format_unit

from lib import timewords
from lib.i18n import Viewer
from lib.jobs.recorded import RecordedOperation
from lib.jobs.trail import unique
from lib.portal.audit import COMPLETED, SCHEDULED, AuditEvent
from lib.portal.models import BackupFile

#: a backup may be stamped a little before its scheduled minute and still be that run
EARLY = timedelta(minutes=5)
#: the same backup seen in two sources (the portal's list and the app's recording) is this close in time
SAME_BACKUP = timedelta(minutes=10)
#: twins are made within this of each other (a recorded run may take hours; a day apart is never one backup)
TWIN_WITHIN = timedelta(days=1)

PORTAL_LIST, RECORDED, AUDIT = "portal list", "recorded", "audit trail"
_ORDER = {PORTAL_LIST: 0, RECORDED: 1, AUDIT: 2}


@dataclass(frozen=True, slots=True)
class Backup:
    """One backup that was made. ``began`` is when it started, when known (a recorded one)."""

    created: datetime  # UTC
    size_bytes: int | None = None
    source: str = PORTAL_LIST  # "portal list", "recorded" or "audit trail"
    id: str = ""  # the history record's id, or the task id (DocSpace makes them equal)
    began: datetime | None = None
    scheduled: bool | None = None  # the schedule made it (known from the audit trail only)

    @classmethod
    def listed(cls, record: BackupFile) -> Backup:
        """From ``getbackuphistory``: DocSpace's record carries no size, so it is not known."""
        return cls(record.created_on, None, PORTAL_LIST, record.id)

    @classmethod
    def recorded(cls, op: RecordedOperation) -> Backup | None:
        """A backup operation this app saw complete; None for anything else."""
        if op.kind != "backup" or op.outcome != "completed" or op.ended is None:
            return None
        began = op.started if op.started is not None else op.first_seen
        return cls(timewords.utc(op.ended), None, RECORDED, op.task_id, timewords.utc(began))

    @classmethod
    def audited(cls, event: AuditEvent) -> Backup | None:
        """A "backup completed" in the audit trail (manual or scheduled); None for any other event."""
        if event.action_id not in COMPLETED:
            return None
        return cls(event.when, None, AUDIT, scheduled=event.action_id in SCHEDULED)


def merged_backups(listed: list[Backup], operations: Iterable[RecordedOperation],
                   audited: Iterable[AuditEvent] = ()) -> list[Backup]:
    """Every backup made, each once: the portal's list first, then the app's recordings, then the audit trail.

    Two entries are the same backup when they come from different sources and have the same id, or
    (when an id is missing on either side) were made within :data:`SAME_BACKUP` of each other or the
    listed one falls inside the recorded run. Entries from one source are never merged (each listed record
    is its own file, each recorded operation its own run, each event its own backup), and an entry takes at
    most one twin from each other source, so two backups minutes apart stay two.
    """
    candidates = list(listed)
    candidates += [b for b in (Backup.recorded(op) for op in operations) if b is not None]
    candidates += [b for b in (Backup.audited(e) for e in unique(audited)) if b is not None]
    candidates.sort(key=lambda b: (_ORDER.get(b.source, 3), b.created))
    kept: list[Backup] = []
    took: list[set[str]] = []  # the sources each kept entry already has its twin from
    by_time: list[tuple[datetime, int]] = []  # the kept entries by when they were made, to look only nearby
    for b in candidates:
        near = sorted(i for _, i in by_time[bisect_left(by_time, (b.created - TWIN_WITHIN, -1)):
                                            bisect_right(by_time, (b.created + TWIN_WITHIN, len(kept)))])
        twin = next((i for i in near if b.source not in took[i] and same_backup(kept[i], b)), None)
        if twin is None:
            insort(by_time, (b.created, len(kept)))
            kept.append(b)
            took.append({b.source})
            continue
        took[twin].add(b.source)
        if kept[twin].size_bytes is None and b.size_bytes is not None:
            kept[twin] = replace(kept[twin], size_bytes=b.size_bytes)
        if kept[twin].scheduled is None and b.scheduled is not None:
            kept[twin] = replace(kept[twin], scheduled=b.scheduled)
    return sorted(kept, key=lambda b: b.created)


def known_since(made: list[Backup], operations: list[RecordedOperation], watched_since: float | None,
                trail_from: float | None = None) -> float | None:
    """From when on the app can tell a missing backup: the first backup on record (any source), the first
    backup operation recorded, when watching the portal's backups began, or from when the audit trail it
    read is complete, whichever is earliest."""
    times = [b.created.timestamp() for b in made]
    times += [b.began.timestamp() for b in made if b.began is not None]
    times += [op.first_seen for op in operations if op.kind == "backup"]  # a watched restore says nothing of backups
    times += [t for t in (watched_since, trail_from) if t is not None]
    return min(times) if times else None


def same_backup(a: Backup, b: Backup) -> bool:
    ida, idb = norm_id(a.id), norm_id(b.id)
    if ida and idb:
        return ida == idb  # DocSpace gives the file the task's id: two different ids are two backups
    if abs(a.created - b.created) <= SAME_BACKUP:
        return True
    # a listed file stamped at the start of a run the app recorded
    return any(x.began is not None and x.began - EARLY <= y.created <= x.created + EARLY
               for x, y in ((a, b), (b, a)))


@functools.lru_cache(maxsize=4096)
def norm_id(value: str) -> str:
    """An id as DocSpace's GUIDs compare (braces, dashes and case aside); kept, as merging asks it often."""
    return re.sub(r"[{}\-\s]", "", value).lower()


def size_words(size: int, viewer: Viewer) -> str:
    """``1.2 GB``, ``300 MB``, ``12 GB`` (decimal units, as file managers show them, in the viewer's locale)."""
    value = float(size)
    for unit in ("byte", "kilobyte", "megabyte", "gigabyte", "terabyte"):
        if value < 1000 or unit == "terabyte":
            shown = int(value) if unit == "byte" else round(value, 1) if value < 10 else round(value)
            return format_unit(shown, f"digital-{unit}", length="short", locale=viewer.locale)
        value /= 1000
    raise AssertionError("unreachable")


def last_backup_time(history: list[BackupFile], operations: Iterable[RecordedOperation] = (),
                     audited: Iterable[AuditEvent] = ()) -> datetime | None:
    """When the newest backup that was actually made was made: the portal's list, the app's recordings and
    the audit trail. Never the schedule's lastBackupTime (a dispatch, not a backup)."""
    made = merged_backups([Backup.listed(r) for r in history], operations, audited)
    return made[-1].created if made else None


def newest_first(history: list[BackupFile]) -> list[BackupFile]:
    return sorted(history, key=lambda r: r.created_on, reverse=True)
