"""What the audit trail adds to the recorded history: failed backups with the day they failed, restores
nobody watched, how far back the trail can be trusted, and the schedule that went away.

Pure: the events the app has read (:class:`~lib.portal.audit.AuditEvent`), how far it read them
(:class:`TrailRead`), the operations it recorded and what it remembers of the schedule go in; facts come
out. An event is one event by (action, time), whatever its id: a restore puts the trail back under new
ids (docs/_notes-audit.md).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo

from lib import timewords
from lib.jobs.recorded import RecordedOperation
from lib.portal.audit import FAILED, SCHEDULED, AuditAction, AuditEvent

#: a failure the watcher saw on getbackupprogress and the trail's "failed" are the same run within this
SAME_FAILURE = timedelta(minutes=10)
#: DocSpace keeps a finished backup task readable this long (the queue's TimeUntilUnregister): a failure the
#: watcher first saw already ended happened up to this long before it saw it
TASK_KEPT = timedelta(days=1)
#: a restore the app recorded is the trail's "Restore started" when first seen within this after it
#: (the app may have been down when it started) or a little before (the two clocks)
WATCHED_AFTER, WATCHED_BEFORE = timedelta(hours=12), timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class TrailRead:
    """How far the app has read one portal's audit trail (times in seconds since the epoch)."""

    complete_from: float | None  # every watched event from here to ``read_until`` is recorded (None: never read)
    read_until: float | None
    filtered: bool  # False: the portal has no audit feature, so its trail is short (its 20 newest events)
    at: float  # when it was last read, or tried
    problem: str = ""  # the label of the last try's failure ("" when it went fine)

    def covers(self, start: float, end: float) -> bool:
        """Whether every watched event between ``start`` and ``end`` was read."""
        return (self.complete_from is not None and self.read_until is not None
                and self.complete_from <= start and end <= self.read_until)


@dataclass(frozen=True, slots=True)
class ScheduleMemory:
    """What the app remembers of a portal's automatic backup schedule."""

    seen_at: float | None  # the last answer that had a schedule (None: never seen with one)
    gone_at: float | None  # the first answer without one after that (None: it is there)


@dataclass(frozen=True, slots=True)
class FailedBackup:
    """A backup that failed: when, whether the schedule ran it (None: not known), and why, when known."""

    when: datetime  # UTC
    scheduled: bool | None
    reason: str = ""  # the portal's own words, when the watcher saw the task's error
    #: the recorded operation that is the same run ("" when only the trail knows it)
    recorded: str = field(default="", compare=False)


@dataclass(frozen=True, slots=True)
class ScheduleRemoved:
    """The schedule went away between two answers; ``by_admin``: the trail shows an admin deleted it
    (False: it shows nobody did, so DocSpace did; None: the trail does not cover that time)."""

    after: datetime  # the last answer with it (UTC)
    before: datetime  # the first answer without it (UTC)
    by_admin: bool | None


def unique(events: Iterable[AuditEvent]) -> list[AuditEvent]:
    """Each event once (the same action at the same instant is one event, whatever its id), oldest first."""
    seen: dict[tuple[int, float], AuditEvent] = {}
    for e in sorted(events, key=lambda e: (e.when, e.id)):
        seen.setdefault(e.key, e)
    return list(seen.values())


def failed_backups(events: Iterable[AuditEvent], operations: Iterable[RecordedOperation]) -> list[FailedBackup]:
    """Every failed backup, each once, oldest first: the trail's (with the reason when the watcher saw the same
    run fail) and the ones only the watcher saw (the trail had not been read, or was short)."""
    ops = [op for op in operations if op.kind == "backup" and op.outcome == "failed"]
    failures = [e for e in unique(events) if e.action_id in FAILED]
    twins = _twins(failures, ops)
    out = [FailedBackup(e.when, e.action_id in SCHEDULED, twins[i].portal_text if i in twins else "",
                        twins[i].id if i in twins else "") for i, e in enumerate(failures)]
    used = {op.id for op in twins.values()}
    out += [FailedBackup(_end(op), None, op.portal_text, op.id) for op in ops if op.id not in used]
    return sorted(out, key=lambda f: f.when)


def _twins(failures: list[AuditEvent], ops: list[RecordedOperation]) -> dict[int, RecordedOperation]:
    """Which trail failure (by index) each recorded failure is: the nearest within :data:`SAME_FAILURE`; for one
    first seen already ended, the newest in the day before (DocSpace shows a tenant's newest task only)."""
    twins: dict[int, RecordedOperation] = {}
    for op in sorted(ops, key=_end):
        end = _end(op)
        free = [i for i in range(len(failures)) if i not in twins]
        near = [i for i in free if abs(end - failures[i].when) <= SAME_FAILURE]
        if not near and op.ended is not None and op.ended == op.first_seen:
            near = [i for i in free if end - TASK_KEPT <= failures[i].when <= end][-1:]
        if near:
            twins[min(near, key=lambda i: abs(end - failures[i].when))] = op
    return twins


def by_day(failed: Iterable[FailedBackup], tz: tzinfo) -> dict[date, list[FailedBackup]]:
    """The failures grouped by the day they happened in the viewer's zone."""
    days: dict[date, list[FailedBackup]] = {}
    for f in failed:
        days.setdefault(f.when.astimezone(tz).date(), []).append(f)
    return days


def unwatched_restores(events: Iterable[AuditEvent], operations: Iterable[RecordedOperation]) -> list[datetime]:
    """When restores started that the app did not record (nobody watched): how they ended is not known. One the
    app first saw already ended is the newest that started in the day before (a task is kept that long)."""
    starts = [e.when for e in unique(events) if e.action_id == AuditAction.RESTORE_STARTED]
    watched: set[datetime] = set()
    for op in operations:
        if op.kind != "restore":
            continue
        seen = timewords.utc(op.first_seen)
        near = [s for s in starts if s - WATCHED_BEFORE <= seen <= s + WATCHED_AFTER]
        if not near and op.ended is not None and op.ended == op.first_seen:
            near = [s for s in starts if seen - TASK_KEPT <= s <= seen][-1:]
        watched.update(near)
    return [s for s in starts if s not in watched]


def first_scheduled(events: Iterable[AuditEvent]) -> datetime | None:
    """The first scheduled run the trail shows (before it, the trail knows of no schedule)."""
    return next((e.when for e in unique(events) if e.action_id in SCHEDULED), None)


def schedule_removed(memory: ScheduleMemory | None, events: Iterable[AuditEvent],
                     read: TrailRead | None) -> ScheduleRemoved | None:
    """The schedule that went away, if it did, between which answers, and whether an admin deleted it."""
    if memory is None or memory.seen_at is None or memory.gone_at is None:
        return None
    after, before = timewords.utc(memory.seen_at), timewords.utc(memory.gone_at)
    deleted = any(e.action_id == AuditAction.SCHEDULED_BACKUP_DELETED and after - WATCHED_BEFORE <= e.when <= before
                  for e in events)
    covered = read is not None and read.covers(memory.seen_at, memory.gone_at)
    return ScheduleRemoved(after, before, True if deleted else (False if covered else None))


def _end(op: RecordedOperation) -> datetime:
    return timewords.utc(op.ended if op.ended is not None else op.last_seen)
