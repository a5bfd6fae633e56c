"""The job engine: scenarios, and the restore/backup state as a pure function of the clock.

No HTTP here. Reading a job's state never changes it, so two reads at the same clock reading give the
same payload, and a test steps through a scenario by moving a ``ManualClock`` (reference §3.2, §6).
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from simulator import past, trail
from simulator.past import ALIAS, Event, Past, file_name
from simulator.wire import record

SCENARIOS = ("restore", "backup", "fail", "idle", "cancel", "stall", "overdue", "scheduled-fail", "removed")
SCENARIO_HELP = {
    "restore": "a restore: 0 → 10 (portal locked) → 10–75 → 75 (new tenant id, unlocked) → 100, 10 min",
    "backup": "a backup: 0–90 → holds at 90 (uploading) → 100 with a link and a new history record, 5 min",
    "fail": "a restore that ends at 42% with the error 'The backup file is invalid.' (status stays 2)",
    "idle": "no job: progress endpoints answer 200 with no 'response' key",
    "cancel": "a backup cancelled after 2 min: status 3, warning 'Backup cancelled', progress frozen",
    "stall": "a restore that reaches 33% and never moves again (the portal stays locked)",
    "overdue": "no job, and the daily 02:00 scheduled backup last ran 3 days ago",
    "scheduled-fail": "no job; last night's 02:00 scheduled backup failed: its error stays on getbackupprogress "
                      "for 24 h, the audit trail says only 'Scheduled backup failed'",
    "removed": "no job; at its next 02:00 run DocSpace finds the quota spent and deletes the schedule "
               "(no audit event, no task): getbackupschedule then answers no 'response'",
}
#: seconds a scenario's job takes at speed 1 (``fail`` ends early, at 42 %; ``stall`` never ends)
DURATION = {"restore": 600.0, "backup": 300.0, "fail": 300.0, "cancel": 120.0, "stall": float("inf"),
            "idle": 0.0, "overdue": 0.0, "scheduled-fail": 0.0, "removed": 0.0}
RESTORE_SECONDS = 600.0
BACKUP_SECONDS = 300.0
FAIL_AT = 42
STALL_AT = 33
FAIL_TEXT = "The backup file is invalid."
CANCEL_WARNING = "Backup cancelled"
VERSION = "3.7.2"


def check(name: str, allowed: tuple[str, ...], what: str) -> None:
    """A ValueError that lists the choices, for names that come from tests, the CLI or /_sim/."""
    if name not in allowed:
        raise ValueError(f"unknown {what} {name!r}; choose from {', '.join(allowed)}")


class ManualClock:
    """A clock that moves only when told, so tests step through a scenario without sleeping."""

    def __init__(self, start: float = 1_000_000.0):
        self._now = start
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += seconds


@dataclass(frozen=True)
class Options:
    """The portal beyond its job: ``days`` of daily scheduled backups before the scenario starts, of which
    the list keeps the newest ``keep_files`` (None: all); an audit trail limited to its last ``trail_days``
    (None: the whole past); ``audit``: the plan includes the audit trail (else the trail answers its 20
    newest events whatever is asked); ``paid``: else 402 on the endpoints without [AllowNotPayment];
    ``utc_offset``: the portal's zone in minutes (dates in the trail, the schedule's hour)."""

    days: int = 5
    keep_files: int | None = None
    trail_days: float | None = None
    audit: bool = True
    paid: bool = True
    utc_offset: int = 0


@dataclass
class Job:
    """One backup or restore task. Its state is a pure function of the clock, so reads are repeatable."""

    kind: str  # "restore", "fail", "stall", "backup" or "cancel"
    started: float  # clock() when it was queued
    task_id: str
    tenant: int  # the tenant id when it started (a restore moves the portal to tenant + 1)
    storage_type: int = 0
    cancel_at: float | None = None  # scenario seconds at which a backup is cancelled

    @property
    def is_backup(self) -> bool:
        return self.kind in ("backup", "cancel")

    def events(self, speed: float) -> list[Event]:
        """What the job writes to the audit trail; each entry counts once the clock reaches it."""
        if not self.is_backup:
            return [Event(self.started, past.RESTORE_STARTED, target=(str(self.tenant),))]
        out = [Event(self.started, past.BACKUP_STARTED)]
        if self.cancel_at is not None:
            return [*out, Event(self.started + self.cancel_at / speed, past.BACKUP_CANCELLED,
                                target=(str(self.tenant),))]
        return [*out, Event(self.started + BACKUP_SECONDS / speed + 1, past.BACKUP_COMPLETED)]

    def restored(self, speed: float) -> tuple[float, float] | None:
        """(start, end) of a restore that completes (the audit trail then comes back from its backup)."""
        if self.kind != "restore":
            return None
        return self.started, self.started + RESTORE_SECONDS / speed


class Engine:
    """One portal's jobs, tenant and history. Thread-safe: the HTTP server reads it from many threads."""

    def __init__(self, scenario: str, *, speed: float = 1.0, clock: Callable[[], float] = time.time,
                 error_text: str = FAIL_TEXT, warning_text: str = "", options: Options | None = None):
        """``error_text``: what a failed restore says (tests use hostile text); ``warning_text``: a
        completed backup's warning; ``options``: the portal's past, plan and zone."""
        check(scenario, SCENARIOS, "scenario")
        if speed <= 0:
            raise ValueError("speed must be positive")
        self.speed = speed
        self.clock = clock
        self.error_text = error_text
        self.warning_text = warning_text
        self.options = options or Options()
        self._lock = threading.RLock()
        self.set_scenario(scenario)

    def set_scenario(self, name: str) -> None:
        """Restart: a fresh portal (tenant 1, seeded history) whose job starts now."""
        check(name, SCENARIOS, "scenario")
        with self._lock:
            now = self.clock()
            self.scenario = name
            self._seed = now
            self._tenant = 1
            self._records: list[dict[str, Any]] = []
            self._ended: list[Job] = []  # jobs a newer one replaced (their audit events stay)
            self._deleted: list[Event] = []  # the schedule deleted by an admin
            self.past = Past(name, now, days=self.options.days, keep_files=self.options.keep_files,
                             utc_offset=self.options.utc_offset)
            cancel_at = DURATION["cancel"] if name == "cancel" else None
            job = Job(name, now, str(uuid.uuid4()), tenant=1, cancel_at=cancel_at)
            self._task_id = job.task_id
            self._backup: Job | None = job if job.is_backup else None
            self._restore: Job | None = job if name in ("restore", "fail", "stall") else None

    @property
    def task_id(self) -> str:
        """The task id of the job started last (a scenario's job, or one started by a POST)."""
        with self._lock:
            return self._task_id

    # ------------------------------------------------------------ job state

    def _t(self, job: Job) -> float:
        """Scenario seconds since the job started."""
        return (self.clock() - job.started) * self.speed

    def _restore_state(self, job: Job) -> tuple[dict[str, Any], bool]:
        """(BackupProgress, tenant locked). ``fail`` replays the restore twice as fast (300 s)."""
        t = self._t(job) * (RESTORE_SECONDS / DURATION["fail"] if job.kind == "fail" else 1.0)
        old, new = job.tenant, job.tenant + 1
        if t < 30:
            pct = 0
        elif t < 60:
            pct = 10
        elif t < 420:
            pct = 10 + int(65 * (t - 60) / 360)
        elif t < RESTORE_SECONDS:
            pct = 75
        else:
            pct = 100
        done, tenant, error = t >= RESTORE_SECONDS, new if t >= 420 else old, ""
        if job.kind == "fail" and pct >= FAIL_AT:
            pct, tenant, error, done = FAIL_AT, old, self.error_text, True
        if job.kind == "stall":
            pct, tenant, done = min(pct, STALL_AT), old, False
        status = 2 if done else (0 if t < 5 else 1)  # a failure is status 2 too: nothing escapes the job
        locked = not done and t >= 30 and tenant == old
        return ({"isCompleted": done, "progress": pct, "error": error, "tenantId": tenant,
                 "backupProgressEnum": 1, "status": status, "taskId": job.task_id}, locked)

    def _backup_state(self, job: Job) -> dict[str, Any]:
        """BackupProgress: 0.9 × dump progress, a plateau at 90 while uploading, then 100 and a link."""
        t = self._t(job)
        cancelled = job.cancel_at is not None and t >= job.cancel_at
        shown = job.cancel_at if cancelled and job.cancel_at is not None else t
        out: dict[str, Any] = {"isCompleted": False, "progress": min(90, int(90 * shown / 240)), "error": ""}
        status, link = (0 if t < 5 else 1), ""
        if cancelled:
            out["isCompleted"], out["warning"], status = True, CANCEL_WARNING, 3
        elif t >= BACKUP_SECONDS:
            out["isCompleted"], out["progress"], status = True, 100, 2
            if self.warning_text:
                out["warning"] = self.warning_text
            link = f"/storage/backup/{self._backup_record(job)['fileName']}"
        out.update(link=link, tenantId=job.tenant, backupProgressEnum=0, status=status, taskId=job.task_id)
        return out

    def _backup_record(self, job: Job) -> dict[str, Any]:
        """The history record a finished backup leaves: its ``id`` is the task id."""
        started = datetime.fromtimestamp(job.started, UTC)
        finished = datetime.fromtimestamp(job.started + BACKUP_SECONDS / self.speed, UTC)
        expires = finished + timedelta(days=1) if job.storage_type == 4 else None  # DataStore: 24 h
        return record(job.task_id, file_name(started), finished, job.storage_type, expires)

    def _finished_record(self, job: Job | None) -> dict[str, Any] | None:
        if job is None or not job.is_backup:
            return None
        state = self._backup_state(job)
        return self._backup_record(job) if state["status"] == 2 else None

    # ------------------------------------------------------------ what the endpoints read

    def restore_progress(self) -> dict[str, Any] | None:
        with self._lock:
            return None if self._restore is None else self._restore_state(self._restore)[0]

    def backup_progress(self) -> dict[str, Any] | None:
        """The backup task: the latest job, else a failed scheduled run's (kept 24 h), else none."""
        with self._lock:
            if self._backup is None:
                return self.past.failed_task(self.clock(), self.tenant()[0])
            return self._backup_state(self._backup)

    def tenant(self) -> tuple[int, int]:
        """(tenant id, tenant status): 4 (Restoring) from the 10 % step until the new tenant is in."""
        with self._lock:
            if self._restore is None:
                return self._tenant, 0
            state, locked = self._restore_state(self._restore)
            return state["tenantId"], 4 if locked else 0

    def tenant_status(self) -> int:
        return self.tenant()[1]

    def history(self) -> list[dict[str, Any]]:
        """The seeded daily 02:00 backups the list keeps, a 6-hour-old DataStore one, and finished new ones."""
        with self._lock:
            records = self.past.records() + self._records
            current = self._finished_record(self._backup)
            if current is not None:
                records.append(current)
        return sorted(records, key=lambda r: r["createdOn"], reverse=True)

    def schedule(self) -> dict[str, Any] | None:
        """Daily at 02:00 into a room (lastBackupTime: when the scheduler last dispatched a run); None once
        it was removed."""
        with self._lock:
            return self.past.schedule(self.clock())

    def remove_schedule(self, *, by_admin: bool = False) -> bool:
        """The schedule goes now: DocSpace's scheduler writes nothing, an admin's DELETE writes
        "Scheduled backup deleted". False when there was none."""
        with self._lock:
            now = self.clock()
            if self.past.schedule(now) is None:
                return False
            self.past.remove_schedule(now)
            if by_admin:
                self._deleted.append(Event(now, past.SCHEDULE_DELETED, target=(str(self.tenant()[0]),)))
            return True

    def audit(self) -> list[tuple[int, dict[str, Any]]]:
        """The audit trail now, newest first, as (MessageAction, AuditEventDto)."""
        with self._lock:
            now = self.clock()
            jobs = [j for j in (*self._ended, self._backup, self._restore) if j is not None]
            events = self.past.events() + self._deleted + [e for j in jobs for e in j.events(self.speed)]
            restores = [r for r in (j.restored(self.speed) for j in jobs) if r is not None]
            keep_from = now - self.options.trail_days * 86_400 if self.options.trail_days is not None else None
            items = [(e.action, trail.dto(i, e, self.tenant()[0], self.options.utc_offset))
                     for i, e in trail.numbered(events, restores, now) if keep_from is None or e.at >= keep_from]
        return items[::-1]

    def backups_count(self) -> int:
        """getbackupscount: backups made this calendar month (UTC)."""
        month = datetime.fromtimestamp(self.clock(), UTC).strftime("%Y-%m")
        return sum(1 for r in self.history() if r["createdOn"].startswith(month))

    def settings(self) -> dict[str, Any]:
        """The anonymous part of ``GET /api/2.0/settings`` (keys in the server's order)."""
        _, status = self.tenant()
        offset = self.options.utc_offset
        hours, minutes = divmod(abs(offset), 60)
        zone = "UTC" if offset == 0 else (f"Etc/GMT{-offset // 60:+d}" if minutes == 0 else "UTC")
        return {"timezone": zone, "culture": "en-US",
                "utcOffset": f"{'-' if offset < 0 else ''}{hours:02d}:{minutes:02d}:00",
                "utcHoursOffset": offset / 60 if minutes else offset // 60,
                "docSpace": True, "standalone": False, "baseDomain": "localhost", "version": VERSION,
                "tenantStatus": status, "tenantAlias": ALIAS, "cookieSettingsEnabled": False,
                "deepLink": {"androidPackageName": "", "url": "", "iosPackageId": ""}}

    # ------------------------------------------------------------ jobs started over HTTP

    def start_backup(self, storage_type: int) -> dict[str, Any]:
        """Starting while a backup runs returns the running one (200), as the server's queue does."""
        with self._lock:
            if self._backup is not None:
                state = self._backup_state(self._backup)
                if not state["isCompleted"]:
                    return state
                finished = self._finished_record(self._backup)
                if finished is not None:
                    self._records.append(finished)
                self._ended.append(self._backup)
            tenant_id, _ = self.tenant()
            self._backup = Job("backup", self.clock(), str(uuid.uuid4()), tenant_id, storage_type)
            self._task_id = self._backup.task_id
            return self._backup_state(self._backup)

    def start_restore(self) -> dict[str, Any]:
        """Starting while a restore runs returns the running one; after one, the new tenant is the base."""
        with self._lock:
            if self._restore is not None:
                state, _ = self._restore_state(self._restore)
                if not state["isCompleted"]:
                    return state
                self._tenant = state["tenantId"]
                self._ended.append(self._restore)
            self._restore = Job("restore", self.clock(), str(uuid.uuid4()), self._tenant)
            self._task_id = self._restore.task_id
            return self._restore_state(self._restore)[0]

    def cancel_backup(self) -> bool:
        """Cancel a running backup now; False when there is nothing to cancel."""
        with self._lock:
            job = self._backup
            if job is None or self._backup_state(job)["isCompleted"]:
                return False
            job.cancel_at = self._t(job)
            return True
