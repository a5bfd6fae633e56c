"""What the watcher does with each answer about one portal's backups: keep the files the list shows, read the
audit trail, remember the schedule, and tell when a scheduled backup is overdue or the schedule went away.

The trail is read when the portal is first watched (the last :data:`FIRST_READ`), then with the backup list
(at most every :data:`TRAIL_EVERY`, at once when the schedule disappears), each time from a little before
the last read ended, since DocSpace may write an event late. DocSpace deletes the schedule itself when a
scheduled run fails for quota or payment reasons, says so in no audit event, and automatic backups just
stop: so the app remembers, in the database, that a portal had a schedule, and tells once when it is gone.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from lib import timewords
from lib.db.store import HistoryStore
from lib.jobs.backups_made import last_backup_time
from lib.jobs.schedule import overdue_since
from lib.jobs.trail import ScheduleMemory, TrailRead, schedule_removed
from lib.portal.audit import AuditTrail
from lib.portal.errors import DocSpaceError
from lib.portal.models import BackupFile, BackupsAnswer, Schedule
from lib.settings.config import PortalConfig
from lib.watching import messages
from lib.watching.messages import Note
from lib.watching.poller import Poll

#: the audit trail is read at most this often (seconds), and back this far the first time
TRAIL_EVERY = 600.0
FIRST_READ = 30 * 86_400.0
#: each read starts this long before the last one ended (an event may be written after its time)
OVERLAP = 3600.0
#: "the portal still has its schedule" is written at most this often (the answer itself every 10 minutes)
SEEN_EVERY = 3600.0
#: the backups made this long ago still decide whether a scheduled one is overdue
LOOK_BACK = 35 * 86_400.0

ReadTrail = Callable[[datetime, datetime], AuditTrail]
Notify = Callable[[tuple[str, ...], Note], object]
log = logging.getLogger(__name__)


class BackupsWatch:
    def __init__(self, portal: PortalConfig, read_trail: ReadTrail, store: HistoryStore, notify: Notify, *,
                 remind_after: float | None = None):
        self.portal = portal
        self._read_trail = read_trail
        self._store = store
        self._notify = notify
        self._remind_after = remind_after
        #: backup files already kept in the database; None until the first answer is saved (which also
        #: marks when the app first knew this portal's backups)
        self.files: set[str] | None = None
        self.overdue: tuple[float, float, int] | None = None  # (the missed run's time, when first told, reminders)
        self._loaded = False
        self._read: TrailRead | None = None
        self._memory: ScheduleMemory | None = None
        self._seen_written = float("-inf")
        self._reminded = 0
        self._back_at: float | None = None  # when a schedule that had gone was seen again

    def rewrite(self) -> None:
        """The history file was made again: at the next answer, write the files, the schedule seen and the
        trail (read again from 30 days back) into it."""
        self.files, self._seen_written, self._read = None, float("-inf"), None

    def answered(self, poll: Poll[BackupsAnswer]) -> None:
        """One answer of getbackuphistory + getbackupschedule (a failed one changes nothing here)."""
        if not poll.ok:
            return
        history, schedule = poll.result  # type: ignore[misc]
        if not self._loaded:  # once, on the watcher's thread: what earlier runs of the app knew
            read, memory = self._store.trail_read(self.portal.name), self._store.schedule_memory(self.portal.name)
            self._loaded = self._store.unreadable is None and self._store.problem is None  # else again later
            # not read: what this run learnt meanwhile is kept (else the trail would be read at every check)
            self._read, self._memory = (read, memory) if self._loaded else (self._read or read, self._memory or memory)
        self._keep(history, poll.at)
        vanished = schedule is None and self._memory is not None and self._memory.seen_at is not None \
            and self._memory.gone_at is None
        self._trail(poll.at, hurry=vanished)
        self._schedule(schedule, poll.at)
        self._overdue(schedule, history, poll.at)

    # ------------------------------------------------------------ the files and the trail

    def _keep(self, history: list[BackupFile], at: float) -> None:
        kept = self.files or set()
        new = [r for r in history if r.id not in kept]
        if new or self.files is None:
            self._store.save_backup_files(self.portal.name, new, at)
            self.files = kept | {r.id for r in new}

    def _trail(self, now: float, *, hurry: bool = False) -> None:
        """Read what the trail wrote since the last read (the last 30 days the first time), when it is time."""
        read = self._read
        if read is not None and not hurry and now - read.at < TRAIL_EVERY:
            return
        since = now - FIRST_READ
        if read is not None and read.read_until is not None:
            since = max(since, read.read_until - OVERLAP)
        try:
            trail = self._read_trail(timewords.utc(since), timewords.utc(now))
        except DocSpaceError as exc:
            if read is None or read.problem != exc.label:
                log.warning("%s: the audit trail could not be read: %s", self.portal.name, exc.sentence)
            self._read = TrailRead(read.complete_from if read else None, read.read_until if read else None,
                                   read.filtered if read else True, now, exc.label)
            self._store.save_audit(self.portal.name, [], self._read)
            return
        complete_from = trail.complete_from.timestamp()
        if read is not None and read.complete_from is not None and read.read_until is not None \
                and complete_from <= read.read_until:
            complete_from = min(complete_from, read.complete_from)  # no gap: what was read before still counts
        if read is None or read.filtered != trail.filtered:
            log.info("%s: audit trail read (%s)", self.portal.name,
                     "complete" if trail.filtered else "short: the plan has no audit trail, only its newest events")
        self._read = TrailRead(complete_from, now, trail.filtered, now)
        self._store.save_audit(self.portal.name, trail.events, self._read)

    # ------------------------------------------------------------ the schedule

    def _schedule(self, schedule: Schedule | None, now: float) -> None:
        """Remember the schedule; tell once when it disappears (reminders with ``remind_hours``), and once
        that a portal never seen with one has no automatic backups."""
        name, label, memory = self.portal.name, self.portal.label, self._memory
        if schedule is not None:
            gone = memory.gone_at if memory is not None else None
            if gone is not None or now - self._seen_written >= SEEN_EVERY:
                self._store.schedule_seen(name, now)
                self._seen_written = now
            self._memory, self._reminded = ScheduleMemory(now, None), 0
            if gone is not None:
                self._back_at = now
                if self._remind_after:
                    self._notify((name, "schedule", str(int(gone)), "back"), messages.schedule_back(name, label))
            return
        if memory is None or memory.seen_at is None:
            self._notify((name, "schedule", "none"), messages.no_schedule(name, label))
            return
        if memory.gone_at is None:
            if memory.seen_at > self._seen_written:  # the pages say the same window as the message
                self._store.schedule_seen(name, memory.seen_at)
            self._store.schedule_gone(name, now)
            self._memory = memory = ScheduleMemory(memory.seen_at, now)
            events = self._store.audit_events(name, memory.seen_at - OVERLAP)
            restored = self._store.operations(portal=name, kind="restore", since=memory.seen_at - FIRST_READ)
            removed = schedule_removed(memory, events, self._read)
            assert removed is not None
            by_restore = any(op.outcome == "completed" and op.ended is not None and memory.seen_at <= op.ended <= now
                             for op in restored)
            self._notify((name, "schedule", str(int(now)), "removed"),
                         messages.schedule_removed(name, label, removed.after, removed.before, removed.by_admin,
                                                   by_restore))
            return
        n = int((now - memory.gone_at) // self._remind_after) if self._remind_after else 0
        if n > self._reminded:
            self._reminded = n
            self._notify((name, "schedule", str(int(memory.gone_at)), f"removed-reminder-{n}"),
                         messages.schedule_removed_reminder(name, label, now - memory.gone_at))

    def _overdue(self, schedule: Schedule | None, history: list[BackupFile], now: float) -> None:
        """Told once per missed run; with ``remind_hours``, again while it lasts, then "back on schedule".
        Judged by the backups actually made (the list, the recordings, the trail), never lastBackupTime."""
        if schedule is None:
            self.overdue = None  # no schedule, no run to miss: its going is told above
            return
        name, label = self.portal.name, self.portal.label
        since = now - LOOK_BACK
        last = last_backup_time(history, self._store.operations(portal=name, kind="backup", outcome="completed",
                                                                since=since),
                                self._store.audit_events(name, since))
        late = overdue_since(schedule, now, last)
        if late is not None and self._back_at is not None and late < self._back_at:
            late = None  # due while there was no schedule (DocSpace runs a new schedule's missed run at once)
        if late is not None:
            key = (name, "schedule", str(int(late)))
            if self.overdue is None or self.overdue[0] != late:
                self.overdue = (late, now, 0)
                self._notify((*key, "overdue"), messages.overdue(name, label, now - late))
            elif self._remind_after and int((now - self.overdue[1]) // self._remind_after) > self.overdue[2]:
                n = int((now - self.overdue[1]) // self._remind_after)
                self.overdue = (late, self.overdue[1], n)
                self._notify((*key, f"overdue-reminder-{n}"), messages.overdue_reminder(name, label, now - late))
        elif self.overdue is not None:
            key = (name, "schedule", str(int(self.overdue[0])))
            self.overdue = None
            if self._remind_after:
                self._notify((*key, "back-on-schedule"), messages.back_on_schedule(name, label))
