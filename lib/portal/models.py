"""What DocSpace's backup endpoints return, as small frozen values.

The wire format is lenient in odd ways (no ``response`` key when idle, enums as ints, ``error`` = ""
when fine, naive datetimes), so every parser here accepts each shape the contract allows and raises
:class:`PayloadError` for anything else. Callers never see a ``KeyError`` or ``TypeError``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import IntEnum
from typing import Any, NamedTuple, TypeVar

from lib.i18n import N_

T = TypeVar("T")


class PayloadError(ValueError):
    """The portal answered JSON, but not in a shape the contract allows."""


# Spellings the server or its docs use besides the member names ("Failted" and "Thridparty" sic).
_ALIASES: dict[str, dict[str, int]] = {
    "TaskStatus": {"failted": 4, "cancelled": 3},
    "StorageType": {"thridpartydocuments": 1},
}


class _WireEnum(IntEnum):
    """An int enum that also accepts its name and keeps unknown values as UNKNOWN."""

    @classmethod
    def parse(cls, value: Any) -> _WireEnum:
        if isinstance(value, bool):
            raise PayloadError(f"{cls.__name__} must be a number or a name, not {value!r}")
        if isinstance(value, int):
            try:
                return cls(value)
            except ValueError:
                return cls(-1)
        if isinstance(value, str):
            text = value.strip()
            if text.lstrip("-").isdigit():
                return cls.parse(int(text))
            aliases = _ALIASES.get(cls.__name__, {})
            key = text.replace("_", "").replace(" ", "").lower()
            for member in cls:
                if member.name.replace("_", "").lower() == key:
                    return member
            if key in aliases:
                return cls(aliases[key])
            return cls(-1)
        raise PayloadError(f"{cls.__name__} must be a number or a name, not {type(value).__name__}")


class Operation(_WireEnum):
    """``backupProgressEnum``: which kind of job a progress record describes."""

    UNKNOWN = -1
    BACKUP = 0
    RESTORE = 1
    TRANSFER = 2

    @property
    def noun(self) -> str:
        return {0: "backup", 1: "restore", 2: "transfer"}.get(self.value, "operation")

    @property
    def verb(self) -> str:
        """For the hero sentence: "Restoring — 42%" (English; viewers read it translated)."""
        return {0: N_("Backing up"), 1: N_("Restoring"), 2: N_("Transferring")}.get(self.value, N_("Working"))


class TaskStatus(_WireEnum):
    """``status`` (DistributedTaskStatus, v3.7+). Failure is told by ``error``, not by this."""

    UNKNOWN = -1
    CREATED = 0
    RUNNING = 1
    COMPLETED = 2
    CANCELED = 3
    FAILED = 4


class StorageType(_WireEnum):
    """``BackupStorageType``: where a backup file is kept."""

    UNKNOWN = -1
    DOCUMENTS = 0
    THIRDPARTY_DOCUMENTS = 1
    CUSTOM_CLOUD = 2
    LOCAL = 3
    DATASTORE = 4
    THIRDPARTY_CONSUMER = 5

    @property
    def words(self) -> str:
        return {
            0: N_("a room in DocSpace"),
            1: N_("a third-party storage folder"),
            2: N_("custom cloud storage"),
            3: N_("the server's disk"),
            4: N_("temporary storage (24 h)"),
            5: N_("a third-party cloud service"),
        }.get(self.value, N_("an unknown place"))


class Period(_WireEnum):
    """``BackupPeriod`` of a schedule."""

    UNKNOWN = -1
    EVERY_DAY = 0
    EVERY_WEEK = 1
    EVERY_MONTH = 2


@dataclass(frozen=True, slots=True)
class Progress:
    """One ``BackupProgress`` record: the state of a backup, restore or transfer job."""

    is_completed: bool
    progress: int
    error: str
    operation: Operation
    tenant_id: int | None = None
    task_id: str = ""
    status: TaskStatus = TaskStatus.UNKNOWN
    warning: str = ""
    link: str = ""
    #: the percent as the portal sent it, when that was outside 0..100 (``progress`` is clamped)
    reported_progress: int | None = None
    #: ``backupProgressEnum`` as sent, when it is a kind this app does not know (``operation`` is UNKNOWN)
    operation_code: str = ""

    @property
    def failed(self) -> bool:
        """Ended with an error: DocSpace sets ``isCompleted`` when a job fails, and a non-empty ``error`` is
        the only reliable sign that it failed (``status`` stays 2). An ``error`` while ``isCompleted`` is
        still false is the portal's warning about a job that goes on (see :attr:`troubled`)."""
        return bool(self.error) and self.is_completed

    @property
    def troubled(self) -> bool:
        """An error text while the job is not completed: a warning, and the watching goes on."""
        return bool(self.error) and not self.is_completed

    @property
    def cancelled(self) -> bool:
        return self.status is TaskStatus.CANCELED or self.warning.strip().lower() == "backup cancelled"


@dataclass(frozen=True, slots=True)
class BackupFile:
    """One backup file the portal still has."""

    id: str
    file_name: str
    storage_type: StorageType
    created_on: datetime
    expires_on: datetime | None  # None: never expires


@dataclass(frozen=True, slots=True)
class Schedule:
    """The automatic backup schedule. Hours are in the portal's clock; we read them as UTC."""

    period: Period
    hour: int
    day: int | None
    storage_type: StorageType
    backups_stored: int | None
    last_backup_time: datetime | None
    dump: bool = False


class BackupsAnswer(NamedTuple):
    """The backup list and the schedule, read together (getbackuphistory + getbackupschedule)."""

    files: list[BackupFile]
    schedule: Schedule | None


# ---------------------------------------------------------------- parsing helpers

_MIN_DATE = datetime(1, 1, 1)


def _obj(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise PayloadError(f"{what} must be an object, not {type(value).__name__}")
    return value


def _text(data: dict[str, Any], key: str, *, required: bool = False) -> str:
    value = data.get(key)
    if value is None:
        if required:
            raise PayloadError(f"missing {key!r}")
        return ""
    if not isinstance(value, str):
        raise PayloadError(f"{key!r} must be text, not {type(value).__name__}")
    return value


def _int(value: Any, key: str) -> int:
    if isinstance(value, bool):
        raise PayloadError(f"{key!r} must be a number, not a boolean")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and math.isfinite(value) and value == int(value):
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    raise PayloadError(f"{key!r} must be a whole number, not {value!r:.40}")


def _bool(value: Any, key: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise PayloadError(f"{key!r} must be true or false, not {value!r:.40}")


def parse_datetime(value: Any, key: str = "date") -> datetime | None:
    """DocSpace datetimes come without a zone and mean UTC; ``0001-01-01`` means "never"."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise PayloadError(f"{key!r} must be a date text, not {type(value).__name__}")
    text = value.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError as exc:
        raise PayloadError(f"{key!r} is not a date: {value!r:.40}") from exc
    if parsed.replace(tzinfo=None) <= _MIN_DATE:
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


# ---------------------------------------------------------------- parsers


def parse_progress(value: Any) -> Progress:
    """A ``BackupProgress`` object. ``progress`` is clamped to 0..100 as the server does; a value outside
    that is kept in ``reported_progress``, and an unknown ``backupProgressEnum`` in ``operation_code``,
    so the page can say what the portal really sent."""
    data = _obj(value, "progress")
    for key in ("isCompleted", "progress", "backupProgressEnum"):
        if key not in data:
            raise PayloadError(f"progress has no {key!r}")
    tenant = data.get("tenantId")
    raw = _int(data["progress"], "progress")
    operation = Operation.parse(data["backupProgressEnum"])
    return Progress(
        is_completed=_bool(data["isCompleted"], "isCompleted"),
        progress=max(0, min(100, raw)),
        error=_text(data, "error"),
        operation=operation,
        tenant_id=None if tenant is None else _int(tenant, "tenantId"),
        task_id=_text(data, "taskId"),
        status=TaskStatus.UNKNOWN if data.get("status") is None else TaskStatus.parse(data["status"]),
        warning=_text(data, "warning"),
        link=_text(data, "link"),
        reported_progress=None if 0 <= raw <= 100 else raw,
        operation_code=str(data["backupProgressEnum"])[:20] if operation is Operation.UNKNOWN else "",
    )


def parse_backup_file(value: Any) -> BackupFile:
    data = _obj(value, "history record")
    created = parse_datetime(data.get("createdOn"), "createdOn")
    if created is None:
        raise PayloadError("history record has no 'createdOn'")
    storage = data.get("storageType")
    return BackupFile(
        id=_text(data, "id", required=True),
        file_name=_text(data, "fileName"),
        storage_type=StorageType.UNKNOWN if storage is None else StorageType.parse(storage),
        created_on=created,
        expires_on=parse_datetime(data.get("expiresOn"), "expiresOn"),
    )


def parse_list(value: Any, parse: Callable[[Any], T], what: str) -> list[T]:
    """A JSON list of items (none when the ``response`` key is missing), each read by ``parse``."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise PayloadError(f"{what} must be a list, not {type(value).__name__}")
    return [parse(item) for item in value]


def parse_backup_files(value: Any) -> list[BackupFile]:
    return parse_list(value, parse_backup_file, "backup history")


def parse_schedule(value: Any) -> Schedule:
    data = _obj(value, "schedule")
    cron = _obj(data.get("cronParams", {}), "cronParams")
    period = cron.get("period")
    day = cron.get("day")
    stored = data.get("backupsStored")
    storage = data.get("storageType")
    return Schedule(
        period=Period.UNKNOWN if period is None else Period.parse(period),
        hour=_int(cron.get("hour", 0), "hour") % 24,
        day=None if day is None else _int(day, "day"),
        storage_type=StorageType.UNKNOWN if storage is None else StorageType.parse(storage),
        backups_stored=None if stored is None else _int(stored, "backupsStored"),
        last_backup_time=parse_datetime(data.get("lastBackupTime"), "lastBackupTime"),
        dump=bool(data.get("dump", False)),
    )

