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

from simulator.wire import record

SCENARIOS = ("restore", "backup", "fail", "idle", "cancel", "stall", "overdue")
SCENARIO_HELP = {
    "restore": "a restore: 0 → 10 (portal locked) → 10–75 → 75 (new tenant id, unlocked) → 100, 10 min",
    "backup": "a backup: 0–90 → holds at 90 (uploading) → 100 with a link and a new history record, 5 min",
    "fail": "a restore that ends at 42% with the error 'The backup file is invalid.' (status stays 2)",
    "idle": "no job: progress endpoints answer 200 with no 'response' key",
    "cancel": "a backup cancelled after 2 min: status 3, warning 'Backup cancelled', progress frozen",
    "stall": "a restore that reaches 33% and never moves again (the portal stays locked)",
    "overdue": "no job, and the daily 02:00 scheduled backup last ran 3 days ago",
}
#: seconds a scenario's job takes at speed 1 (``fail`` ends early, at 42 %; ``stall`` never ends)
DURATION = {"restore": 600.0, "backup": 300.0, "fail": 300.0, "cancel": 120.0, "stall": float("inf"),
            "idle": 0.0, "overdue": 0.0}
RESTORE_SECONDS = 600.0
BACKUP_SECONDS = 300.0
FAIL_AT = 42
STALL_AT = 33
FAIL_TEXT = "The backup file is invalid."
CANCEL_WARNING = "Backup cancelled"
ALIAS = "demo"
VERSION = "3.7.2"
#: the scheduled backup finishes this long after 02:00 (its file name keeps the start time)
SCHEDULED_RUN = timedelta(seconds=137)


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


def file_name(started: datetime) -> str:
    """A backup's file name keeps the time it started."""
    return f"{ALIAS}_{started:%Y-%m-%d_%H-%M-%S}.tar.gz"


def seed_id(moment: datetime) -> str:
    """Stable, GUID-shaped ids for the seeded history (the same portal gives the same ids)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"docspace-simulator/{ALIAS}/{moment.isoformat()}"))


class Engine:
    """One portal's jobs, tenant and history. Thread-safe: the HTTP server reads it from many threads."""

    def __init__(self, scenario: str, *, speed: float = 1.0, clock: Callable[[], float] = time.time,
                 error_text: str = FAIL_TEXT, warning_text: str = ""):
        """``error_text``: what a failed restore says (tests use hostile text); ``warning_text``: a
        completed backup's warning."""
        check(scenario, SCENARIOS, "scenario")
        if speed <= 0:
            raise ValueError("speed must be positive")
        self.speed = speed
        self.clock = clock
        self.error_text = error_text
        self.warning_text = warning_text
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
        with self._lock:
            return None if self._backup is None else self._backup_state(self._backup)

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
        """Daily 02:00 backups for the last 5 days, a 6-hour-old DataStore one, and finished new ones."""
        with self._lock:
            records = self._scheduled_records()
            if self.scenario != "overdue":
                made = datetime.fromtimestamp(self._seed, UTC) - timedelta(hours=6)
                records.append(record(seed_id(made), file_name(made - timedelta(seconds=41)), made, 4,
                                      expires=made + timedelta(days=1)))
            records += self._records
            current = self._finished_record(self._backup)
            if current is not None:
                records.append(current)
        return sorted(records, key=lambda r: r["createdOn"], reverse=True)

    def _scheduled_records(self) -> list[dict[str, Any]]:
        now = datetime.fromtimestamp(self._seed, UTC)
        done = now.replace(hour=2, minute=0, second=0, microsecond=0) + SCHEDULED_RUN
        if done > now:
            done -= timedelta(days=1)
        if self.scenario == "overdue":
            done -= timedelta(days=3)
        runs = [done - timedelta(days=day) for day in range(5)]
        return [record(seed_id(d), file_name(d - SCHEDULED_RUN), d, 0) for d in runs]

    def schedule(self) -> dict[str, Any]:
        """Daily at 02:00 into a room; lastBackupTime is the newest *scheduled* record (not a manual one)."""
        with self._lock:
            newest = max(r["createdOn"] for r in self._scheduled_records())
        return {"storageType": 0, "storageParams": {"folderId": "1234"},
                "cronParams": {"period": 0, "hour": 2, "day": 0}, "backupsStored": 7,
                "lastBackupTime": newest, "dump": False}

    def settings(self) -> dict[str, Any]:
        """The anonymous part of ``GET /api/2.0/settings`` (keys in the server's order)."""
        _, status = self.tenant()
        return {"timezone": "UTC", "culture": "en-US", "utcOffset": "00:00:00", "utcHoursOffset": 0,
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
