"""What the history database knows of one portal's backups beside its latest answer, and the pages' words for
it: the backups made (the portal's list, the app's recordings, DocSpace's audit trail), the schedule that went
away, and how far the trail could be read.

Read at most once a minute (and when the history changes) per portal, and shared by every viewer and page of
the process: a hundred viewers cost one set of queries.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Hashable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, TypeVar

from lib.db.store import HistoryStore
from lib.i18n import Viewer
from lib.jobs.backups_made import Backup, last_backup_time
from lib.jobs.recorded import RecordedOperation
from lib.jobs.trail import ScheduleMemory, ScheduleRemoved, TrailRead, schedule_removed
from lib.portal.audit import COMPLETED, AuditEvent
from lib.portal.models import BackupFile, Schedule

#: the backups made this long ago still count for "last backup" and the strip
LOOK_BACK = 35 * 86_400.0
#: operations read per portal (the newest)
OPERATIONS = 1000
DAY = 86_400.0
T = TypeVar("T")
_shared: weakref.WeakKeyDictionary[HistoryStore, dict[Hashable, Any]] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


@dataclass(frozen=True)
class Stopped:
    """Automatic backups stopped: the schedule went away (``removed``), and the restore that ended in that
    window, if one did (a restore brings back the schedule its backup had, here none)."""

    removed: ScheduleRemoved
    restore_ended: float | None = None


@dataclass(frozen=True)
class Known:
    kept: tuple[BackupFile, ...] = ()  # files earlier lists showed (the portal keeps only its last few)
    operations: tuple[RecordedOperation, ...] = ()  # newest first
    events: tuple[AuditEvent, ...] = ()  # the audit trail as kept, oldest first
    read: TrailRead | None = None
    memory: ScheduleMemory | None = None
    watched_since: float | None = None

    def records(self, listed: list[BackupFile]) -> list[BackupFile]:
        """Every backup file on record, each once: the ones kept and the ones the portal lists now."""
        return list(({r.id: r for r in self.kept} | {r.id: r for r in listed}).values())

    def files(self, listed: list[BackupFile]) -> list[Backup]:
        return [Backup.listed(r) for r in self.records(listed)]

    def last_backup(self, listed: list[BackupFile]) -> datetime | None:
        """When the newest backup actually made was made (never the schedule's lastBackupTime). Only the day
        before the newest candidate is merged: an older one cannot be the newest backup, nor its twin."""
        records = self.records(listed)
        ops = [op for op in self.operations if op.kind == "backup" and op.outcome == "completed" and op.ended]
        made = [e for e in self.events if e.action_id in COMPLETED]
        times = [r.created_on.timestamp() for r in records] + [op.ended for op in ops if op.ended is not None]
        times += [e.when.timestamp() for e in made]
        if not times:
            return None
        since = max(times) - DAY
        return last_backup_time([r for r in records if r.created_on.timestamp() >= since],
                                [op for op in ops if op.ended is not None and op.ended >= since],
                                [e for e in made if e.when.timestamp() >= since])

    def recent(self, since: float) -> Known:
        """The same, only what happened from ``since`` on (the strip's window and a month before it)."""
        return replace(self, operations=tuple(op for op in self.operations if op.first_seen >= since),
                       events=tuple(e for e in self.events if e.when.timestamp() >= since))

    def stopped(self, schedule: Schedule | None, answered_at: float) -> Stopped | None:
        """The schedule this portal had and no longer has, when the latest answer (at ``answered_at``) has none.
        The watcher may not have written "gone" yet: then it went between its last sight and this answer."""
        memory = self.memory
        if schedule is not None or memory is None or memory.seen_at is None:
            return None
        gone = memory.gone_at if memory.gone_at is not None else max(answered_at, memory.seen_at)
        removed = schedule_removed(ScheduleMemory(memory.seen_at, gone), self.events, self.read)
        if removed is None:
            return None
        ends = [op.ended for op in self.operations if op.kind == "restore" and op.outcome == "completed"
                and op.ended is not None and memory.seen_at <= op.ended <= gone]
        return Stopped(removed, max(ends) if ends else None)


def portal_known(store: HistoryStore, portal: str, now: float) -> Known:
    """What the database knows of the portal's backups, read at most once a minute or per change."""
    return shared(store, ("known", portal, store.generation, int(now // 60)), lambda: _read(store, portal, now))


def shared(store: HistoryStore, key: Hashable, make: Callable[[], T], keep: int = 64) -> T:
    """One value per key for every viewer of this store's history (the newest ``keep`` are kept)."""
    with _lock:
        values = _shared.setdefault(store, {})
        if key in values:
            return values[key]
    value = make()
    with _lock:
        values[key] = value
        while len(values) > keep:
            values.pop(next(iter(values)))
    return value


def _read(store: HistoryStore, portal: str, now: float) -> Known:
    return Known(tuple(store.kept_backups(portal, now - LOOK_BACK)),
                 tuple(store.operations(portal=portal, limit=OPERATIONS)), tuple(store.audit_events(portal, 0)),
                 store.trail_read(portal), store.schedule_memory(portal), store.backups_known_since(portal))


# ---------------------------------------------------------------- words


def stopped_sentence(stopped: Stopped, label: str, v: Viewer) -> str:
    """Automatic backups stopped, in one plain sentence with what to do."""
    removed = stopped.removed
    if stopped.restore_ended is not None:
        return v._("Automatic backups on {label} stopped: the portal has had no backup schedule since the restore "
                   "that ended {time}; an admin must set it up again.", label=label,
                   time=v.clock(stopped.restore_ended, day=True))
    when = window_words(removed.after.timestamp(), removed.before.timestamp(), v)
    if removed.by_admin:
        return v._("Automatic backups on {label} stopped: an admin deleted the schedule {when} (DocSpace's audit "
                   "trail records it). Set it up again if that was not meant.", label=label, when=when)
    if removed.by_admin is None:
        return v._("Automatic backups on {label} stopped: the schedule was removed {when}. DocSpace removes it when "
                   "a backup fails for quota or payment reasons (or an admin deleted it); an admin must set it up "
                   "again.", label=label, when=when)
    return v._("Automatic backups on {label} stopped: the schedule was removed {when}. DocSpace removes it when a "
               "backup fails for quota or payment reasons; an admin must set it up again.", label=label, when=when)


def window_words(after: float, before: float, v: Viewer) -> str:
    """``on Nov 28 between 09:00 and 09:10`` (``at 09:10`` within a minute); across midnight ``between Nov 27,
    23:50 and Nov 28, 00:00``."""
    if v.moment(after).date() == v.moment(before).date():
        start, end, day = v.time(after), v.time(before), v.day(v.moment(before))
        if start == end:
            return v._("on {day} at {time}", day=day, time=end)
        return v._("on {day} between {start} and {end}", day=day, start=start, end=end)
    return v._("between {start} and {end}", start=v.clock(after, day=True), end=v.clock(before, day=True))


def trail_details(read: TrailRead | None, now: float, v: Viewer) -> list[str]:
    """How far DocSpace's audit trail could be read, for Details: whether it is short, or could not be read."""
    sources = v._("Backups are counted from the portal's list, what this app recorded and DocSpace's audit trail, "
                  "each once; the schedule's own “last backup time” is not used (DocSpace sets it when a run is "
                  "dispatched, whatever comes of it).")
    if read is None:
        return [sources, v._("DocSpace's audit trail has not been read yet; until it is, backups are known only from "
                             "the portal's list and what this app recorded.")]
    out = [sources]
    if read.problem:
        problem = v._(read.problem)
        if read.complete_from is None:
            out.append(v._("DocSpace's audit trail could not be read ({problem}, last tried {time}); backups are "
                           "known only from the portal's list and what this app recorded. It is tried again with "
                           "the list.", problem=problem, time=v.clock(read.at, now)))
            return out
        out.append(v._("DocSpace's audit trail could not be read the last time ({problem}, {time}); what was read "
                       "before still counts. It is tried again with the list.", problem=problem,
                       time=v.clock(read.at, now)))
    if read.complete_from is None:
        return out
    if not read.filtered:
        out.append(v._("DocSpace's audit trail is short on this portal: its plan has no audit trail feature, so "
                       "DocSpace answers only its 20 newest events of any kind. The trail tells about backups only "
                       "since {time}; before that, from the portal's list and what this app recorded.",
                       time=v.clock(read.complete_from, now)))
    else:
        out.append(v._("DocSpace's audit trail tells every backup made or failed since {day} (read {time}).",
                       day=v.day(v.moment(read.complete_from)), time=v.clock(read.at, now)))
    return out
