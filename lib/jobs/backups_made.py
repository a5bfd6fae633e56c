"""Which backups were made, each once: from the portal's list, the app's own recordings and the schedule.

The portal lists only the files it still keeps; the app records every backup it saw complete; the
schedule says when the last scheduled one ran. The same backup seen in two of them counts once: the
same id (DocSpace gives the file its task's id), or, when an id is missing, made within
:data:`SAME_BACKUP` of each other, or the listed file stamped inside the run the app recorded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from babel.units import format_unit

from lib import timewords
from lib.i18n import Viewer
from lib.jobs.recorded import RecordedOperation
from lib.portal.models import BackupFile, Schedule

#: a backup may be stamped a little before its scheduled minute and still be that run
EARLY = timedelta(minutes=5)
#: the same backup seen in two sources (the portal's list and the app's recording) is this close in time
SAME_BACKUP = timedelta(minutes=10)

PORTAL_LIST, RECORDED, SCHEDULE = "portal list", "recorded", "schedule"


@dataclass(frozen=True, slots=True)
class Backup:
    """One backup that was made. ``began`` is when it started, when known (a recorded one)."""

    created: datetime  # UTC
    size_bytes: int | None = None
    source: str = PORTAL_LIST  # "portal list", "recorded" or "schedule"
    id: str = ""  # the history record's id, or the task id (DocSpace makes them equal)
    began: datetime | None = None

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


def merged_backups(listed: list[Backup], operations: list[RecordedOperation],
                   schedule: Schedule | None) -> list[Backup]:
    """Every backup made, each once: the portal's list first, then the app's recordings, then lastBackupTime.

    Two entries are the same backup when they come from different sources and have the same id, or
    (when an id is missing on either side) were made within :data:`SAME_BACKUP` of each other or the
    listed one falls inside the recorded run. Entries from one source are never merged: each listed
    record is its own file, each recorded operation its own run.
    """
    candidates = list(listed)
    candidates += [b for b in (Backup.recorded(op) for op in operations) if b is not None]
    if schedule is not None and schedule.last_backup_time is not None:
        candidates.append(Backup(_utc_dt(schedule.last_backup_time), None, SCHEDULE))
    order = {PORTAL_LIST: 0, RECORDED: 1, SCHEDULE: 2}
    candidates.sort(key=lambda b: (order.get(b.source, 3), b.created))
    kept: list[Backup] = []
    for b in candidates:
        twin = next((i for i, k in enumerate(kept) if k.source != b.source and same_backup(k, b)), None)
        if twin is None:
            kept.append(b)
        elif kept[twin].size_bytes is None and b.size_bytes is not None:
            kept[twin] = replace(kept[twin], size_bytes=b.size_bytes)
    return sorted(kept, key=lambda b: b.created)


def known_since(made: list[Backup], operations: list[RecordedOperation], watched_since: float | None) -> float | None:
    """From when on the app can tell a missing backup: the first backup on record (any source), the first
    backup operation recorded, or when watching the portal's backups began, whichever is earliest."""
    times = [b.created.timestamp() for b in made]
    times += [b.began.timestamp() for b in made if b.began is not None]
    times += [op.first_seen for op in operations if op.kind == "backup"]  # a watched restore says nothing of backups
    if watched_since is not None:
        times.append(watched_since)
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


def norm_id(value: str) -> str:
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


def _utc_dt(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def last_backup_time(history: list[BackupFile], schedule: Schedule | None) -> datetime | None:
    """The newest of the schedule's lastBackupTime and the newest history record."""
    times = [r.created_on for r in history]
    if schedule is not None and schedule.last_backup_time is not None:
        times.append(schedule.last_backup_time)
    return max(times) if times else None


def newest_first(history: list[BackupFile]) -> list[BackupFile]:
    return sorted(history, key=lambda r: r.created_on, reverse=True)
