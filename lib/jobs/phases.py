"""Phases of a DocSpace job, read from its percent the way the server produces it.

Restore: 0 → 10 (preparing) → 10–75 (restoring data) → holds at 75 (finishing) → 100.
Backup: 0–90 (creating) → holds ≤ 90 (uploading and finishing) → 100.
"""

from __future__ import annotations

from enum import StrEnum

from lib.i18n import N_
from lib.portal.models import Operation, Progress, TaskStatus


class Phase(StrEnum):
    """A job's phase; its value is also its English word (viewers read it translated)."""

    IDLE = N_("idle")
    QUEUED = N_("queued")
    PREPARING = N_("preparing")
    RESTORING = N_("restoring data")
    FINISHING = N_("finishing up")
    CREATING = N_("creating the backup")
    UPLOADING = N_("uploading and finishing")
    TRANSFERRING = N_("transferring")
    OTHER = N_("an operation of a kind this app does not know")  # backupProgressEnum beyond 0, 1, 2
    COMPLETED = N_("completed")
    FAILED = N_("failed")
    CANCELLED = N_("cancelled")

    @property
    def running(self) -> bool:
        return self not in (Phase.IDLE, Phase.COMPLETED, Phase.FAILED, Phase.CANCELLED)

    @property
    def plateau(self) -> bool:
        """Phases where the percent holds still by design (no ETA, only "finishing up")."""
        return self in (Phase.FINISHING, Phase.UPLOADING)


#: the phases whose pace we can measure, and the percent where each ends
DATA_PHASE_END = {Phase.RESTORING: 75, Phase.CREATING: 90, Phase.TRANSFERRING: 100}


def phase_of(progress: Progress | None) -> Phase:
    """The phase a progress record is in; ``None`` (no ``response`` key) is idle."""
    if progress is None:
        return Phase.IDLE
    if progress.failed:
        return Phase.FAILED
    if progress.cancelled:
        return Phase.CANCELLED
    if progress.is_completed:
        return Phase.COMPLETED
    if progress.status is TaskStatus.CREATED and progress.progress == 0:
        return Phase.QUEUED
    pct = progress.progress
    if progress.operation is Operation.RESTORE:
        return Phase.PREPARING if pct < 10 else Phase.RESTORING if pct < 75 else Phase.FINISHING
    if progress.operation is Operation.BACKUP:
        return Phase.CREATING if pct < 90 else Phase.UPLOADING
    if progress.operation is Operation.TRANSFER:
        return Phase.TRANSFERRING
    return Phase.OTHER

