"""The portal's past, seeded when a scenario starts: its daily scheduled backups, the files its list still
keeps, what those runs wrote to the audit trail, and its schedule (which DocSpace itself may remove).

A pure function of the seed time, the options and the clock, like the jobs (reference §3.2, §6; the audit
trail as ``docs/_notes-audit.md`` reads it from the server at v3.7.2):

- the scheduler dispatches a run a few seconds after the hour and sets ``lastBackupTime`` to that moment,
  whether or not the backup then succeeds; the run writes "Scheduled backup started" and then
  "...completed" or "...failed" (no reason) to the audit trail;
- the list keeps only the newest ``keep_files`` scheduled files (the cleaner deletes the rest);
- ``scheduled-fail``: the newest run failed; its task stays readable on getbackupprogress for 24 h;
- ``removed``: at its next run the scheduler finds the quota spent, deletes the schedule and writes no audit
  event and no task.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from simulator.wire import NEVER, record, stamp

ALIAS = "demo"
SCHEDULE_HOUR = 2
#: the scheduled backup finishes this long after its hour (its file name keeps the start time)
SCHEDULED_RUN = timedelta(seconds=137)
#: the seeded manual backup took this long
MANUAL_RUN = timedelta(seconds=41)
#: the scheduler dispatches a run (and sets lastBackupTime) this long after the hour
DISPATCH = timedelta(seconds=3)
#: a failed scheduled run stops at this percent
SCHEDULED_FAIL_AT = 30
#: what a failed scheduled backup says on getbackupprogress (BackupResource.BackupException)
SCHEDULED_ERROR = "Something went wrong while creating the backup. Please try creating it again or contact support."
#: a finished task stays readable this long (TimeUntilUnregisterInSeconds)
KEPT_FOR = 86_400.0
#: how long DocSpace keeps its audit trail by default (TenantAuditSettings.MaxLifeTime, days)
TRAIL_LIFETIME = 180
#: the unrelated events that fill a real trail: a file updated this often (a portal in use)
FILLER_EVERY = timedelta(hours=3)
# MessageAction ids (common/ASC.Core.Common/Messaging/MessageAction.cs)
FILE_UPDATED, BACKUP_STARTED, BACKUP_COMPLETED, BACKUP_FAILED = 5002, 5041, 5125, 5126
SCHEDULED_STARTED, SCHEDULED_COMPLETED, SCHEDULED_FAILED, SCHEDULE_DELETED = 5127, 5128, 5129, 5130
BACKUP_CANCELLED, RESTORE_STARTED = 5131, 5132


def file_name(started: datetime) -> str:
    """A backup's file name keeps the time it started."""
    return f"{ALIAS}_{started:%Y-%m-%d_%H-%M-%S}.tar.gz"


def seed_id(moment: datetime) -> str:
    """Stable, GUID-shaped ids for the seeded history (the same portal gives the same ids)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"docspace-simulator/{ALIAS}/{moment.isoformat()}"))


@dataclass(frozen=True)
class Event:
    """One audit trail entry before it gets its id: when, which MessageAction, and whether a person's
    request wrote it (manual: ip, browser, page) or the backup service did (scheduled)."""

    at: float
    action: int
    manual: bool = True
    target: tuple[str, ...] = ()


@dataclass(frozen=True)
class Run:
    """One scheduled run: due at ``due`` (UTC), dispatched a few seconds later, done or failed."""

    due: datetime
    failed: bool = False

    @property
    def done(self) -> datetime:
        return self.due + SCHEDULED_RUN

    @property
    def task_id(self) -> str:
        return seed_id(self.done)  # the file's id, as DocSpace gives the file its task's id

    def events(self) -> list[Event]:
        end = SCHEDULED_FAILED if self.failed else SCHEDULED_COMPLETED
        return [Event((self.due + DISPATCH).timestamp() + 1, SCHEDULED_STARTED, manual=False),
                Event(self.done.timestamp() + 1, end, manual=False)]


class Past:
    """What the portal did before the scenario's job: a function of the seed time, the options and the clock."""

    def __init__(self, scenario: str, seed: float, *, days: int = 5, keep_files: int | None = None,
                 utc_offset: int = 0):
        """``days`` of daily runs; the list keeps the newest ``keep_files`` of them (None: all);
        ``utc_offset``: the portal's zone in minutes (the schedule's hour is on the portal's clock)."""
        if days < 0 or (keep_files is not None and keep_files < 1):
            raise ValueError("days must be 0 or more and keep_files 1 or more")
        self.scenario = scenario
        self.seed = seed
        self.keep_files = keep_files
        self.zone = timezone(timedelta(minutes=utc_offset))
        newest = self._due_before(datetime.fromtimestamp(seed, UTC))
        if scenario == "overdue":
            newest -= timedelta(days=3)
        self.runs = [Run(newest - timedelta(days=d), failed=d == 0 and scenario == "scheduled-fail")
                     for d in range(days)]
        #: the ``removed`` scenario: the next run finds the quota spent and the schedule goes
        self._removal_due = None if scenario != "removed" else (newest + timedelta(days=1) + DISPATCH).timestamp()
        self._removed: float | None = None  # removed by a call (DocSpace's scheduler, or an admin)
        self._set_again = False  # an admin saved the schedule again: lastBackupTime resets

    def _due_before(self, moment: datetime) -> datetime:
        """The newest scheduled instant whose run had finished by ``moment``."""
        local = moment.astimezone(self.zone)
        due = local.replace(hour=SCHEDULE_HOUR, minute=0, second=0, microsecond=0)
        if due + SCHEDULED_RUN > local:
            due -= timedelta(days=1)
        return due.astimezone(UTC)

    # ------------------------------------------------------------ what the endpoints read

    def records(self) -> list[dict[str, Any]]:
        """The scheduled files the list still keeps (failed runs left none), and a 6-hour-old manual backup
        into temporary storage (not in ``overdue``)."""
        made = [r for r in self.runs if not r.failed]
        kept = made if self.keep_files is None else made[:self.keep_files]
        out = [record(r.task_id, file_name(r.due), r.done, 0) for r in kept]
        if self.manual is not None:
            out.append(record(seed_id(self.manual), file_name(self.manual - MANUAL_RUN), self.manual, 4,
                              expires=self.manual + timedelta(days=1)))
        return out

    @property
    def manual(self) -> datetime | None:
        """When the seeded manual backup (DataStore) was made, if there is one."""
        return None if self.scenario == "overdue" else datetime.fromtimestamp(self.seed, UTC) - timedelta(hours=6)

    def removed_at(self, now: float) -> float | None:
        """When the schedule went away, if it has by ``now``."""
        due = self._removal_due if self._removal_due is not None and now >= self._removal_due else None
        return min((t for t in (due, self._removed) if t is not None), default=None)

    def schedule(self, now: float) -> dict[str, Any] | None:
        """Daily at 02:00 into a room, or None once DocSpace (or an admin) removed it."""
        if self.removed_at(now) is not None:
            return None
        dispatched = [r.due + DISPATCH for r in self.runs]
        last = NEVER if self._set_again or not dispatched else stamp(max(dispatched))
        stored = self.keep_files if self.keep_files is not None else 7
        return {"storageType": 0, "storageParams": {"folderId": "1234"},
                "cronParams": {"period": 0, "hour": SCHEDULE_HOUR, "day": 0}, "backupsStored": stored,
                "lastBackupTime": last, "dump": False}

    def remove_schedule(self, now: float) -> None:
        """The schedule is deleted now (by DocSpace's scheduler, or by an admin's call)."""
        if self.removed_at(now) is None:
            self._removed = now

    def set_schedule(self) -> None:
        """An admin saves the schedule again: it is back, with lastBackupTime reset to "never"."""
        self._removal_due, self._removed, self._set_again = None, None, True

    def failed_task(self, now: float, tenant: int) -> dict[str, Any] | None:
        """The failed scheduled run's task on getbackupprogress, for 24 h after it ended."""
        failed = next((r for r in self.runs if r.failed), None)
        if failed is None or not failed.done.timestamp() <= now < failed.done.timestamp() + KEPT_FOR:
            return None
        return {"isCompleted": True, "progress": SCHEDULED_FAIL_AT, "error": SCHEDULED_ERROR, "link": "",
                "tenantId": tenant, "backupProgressEnum": 0, "status": 2, "taskId": failed.task_id}

    def events(self) -> list[Event]:
        """What the runs (and the portal's everyday use) wrote to the audit trail."""
        out = [e for r in self.runs for e in r.events()]
        if self.manual is not None:
            out += [Event((self.manual - MANUAL_RUN).timestamp(), BACKUP_STARTED),
                    Event(self.manual.timestamp() + 1, BACKUP_COMPLETED)]
        start = min((r.due for r in self.runs), default=datetime.fromtimestamp(self.seed, UTC) - timedelta(days=1))
        moment = start.replace(minute=30, second=0)
        while moment.timestamp() < self.seed:
            out.append(Event(moment.timestamp(), FILE_UPDATED, target=("1234",)))
            moment += FILLER_EVERY
        return out
