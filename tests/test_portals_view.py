"""views.portals.portal_line: one health line per portal, and the last-backup helpers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from lib.jobs.backups_made import last_backup_time, newest_first
from lib.jobs.timeline import Timeline
from lib.portal.errors import Forbidden, PortalRestoring, PortalUnreachable, ServerError, Unauthorized
from lib.portal.models import BackupFile, Operation, Period, Schedule, StorageType, TaskStatus
from lib.timewords import utc
from lib.views.portals import PortalLine, portal_line
from lib.views.status import Level
from tests.factories import EN, T0, completed, progress, timeline

NOW = datetime.fromtimestamp(T0, UTC)
FLOOR = 600.0


def idle(op: Operation = Operation.RESTORE) -> Timeline:
    return timeline((-5, None), op=op)


def rec(hours_ago: float, rid: str = "r") -> BackupFile:
    return BackupFile(rid, f"{rid}.tar.gz", StorageType.DOCUMENTS, NOW - timedelta(hours=hours_ago), None)


def daily(last_hours_ago: float | None) -> Schedule:
    last = None if last_hours_ago is None else NOW - timedelta(hours=last_hours_ago)
    return Schedule(Period.EVERY_DAY, 2, None, StorageType.DOCUMENTS, 7, last)


def test_all_well() -> None:
    line = portal_line(idle(), idle(Operation.BACKUP), ([rec(18), rec(6, "today")], daily(6)), T0, FLOOR, EN)
    assert line == PortalLine(Level.OK, "idle", "6 hr ago", "")


def test_the_schedules_dispatch_time_is_not_a_backup() -> None:
    """lastBackupTime 6 h ago says a run was dispatched, not that it made a backup: the newest file is 18 h
    old, so today's 02:00 run is missing."""
    line = portal_line(idle(), idle(Operation.BACKUP), ([rec(18)], daily(6)), T0, FLOOR, EN)
    assert line == PortalLine(Level.WARNING, "idle", "18 hr ago", "A scheduled backup is overdue.")


def test_last_backup_from_history_when_newer() -> None:
    line = portal_line(idle(), None, ([rec(30), rec(18)], daily(40)), T0, FLOOR, EN)
    assert line.last_backup == "18 hr ago"


def test_never_backed_up() -> None:
    line = portal_line(idle(), None, ([], None), T0, FLOOR, EN)
    assert line.level is Level.OK and line.last_backup == "never"


def test_running_restore() -> None:
    restore = timeline((-60, progress(10)), (-5, progress(42)))
    line = portal_line(restore, idle(Operation.BACKUP), ([rec(6)], None), T0, FLOOR, EN)
    assert line.level is Level.RUNNING and line.activity == "Restoring · 42% · restoring data"
    assert line.note == ""


def test_running_backup() -> None:
    backup = timeline((-5, progress(90, Operation.BACKUP)), op=Operation.BACKUP)
    line = portal_line(idle(), backup, ([rec(6)], None), T0, FLOOR, EN)
    assert line.level is Level.RUNNING and line.activity == "Backing up · 90% · uploading and finishing"


def test_stalled_job_is_a_warning() -> None:
    restore = timeline((-3000, progress(10)), (-2990, progress(11)), (-2980, progress(12)), (0, progress(12)))
    line = portal_line(restore, None, ([rec(6)], None), T0, FLOOR, EN)
    assert line.level is Level.WARNING and "has not moved" in line.note and line.note.startswith("The restore")
    assert portal_line(restore, None, ([rec(6)], None), T0, 10_000, EN).level is Level.RUNNING


def test_failed_restore() -> None:
    restore = timeline((-60, progress(10)), (-5, completed(40, error="Disk full")))
    line = portal_line(restore, idle(Operation.BACKUP), ([rec(6)], None), T0, FLOOR, EN)
    assert line.level is Level.FAILED and line.activity == "restore failed at 40%" and line.note == "Disk full"


def test_cancelled_backup() -> None:
    backup = timeline((-5, progress(30, Operation.BACKUP, warning="Backup cancelled", status=TaskStatus.CANCELED)),
                      op=Operation.BACKUP)
    line = portal_line(idle(), backup, ([rec(6)], None), T0, FLOOR, EN)
    assert line.level is Level.WARNING and line.activity == "backup cancelled"


def test_a_running_job_outranks_an_old_failure() -> None:
    restore = timeline((-5, completed(40, error="x")))
    backup = timeline((-5, progress(20, Operation.BACKUP)), op=Operation.BACKUP)
    line = portal_line(restore, backup, ([rec(6)], None), T0, FLOOR, EN)
    assert line.level is Level.RUNNING and line.activity.startswith("Backing up · 20%")


def test_unreachable_keeps_the_last_known_activity() -> None:
    restore = timeline((-60, progress(42)), (-5, PortalUnreachable("timeout")))
    line = portal_line(restore, None, ([rec(6)], None), T0, FLOOR, EN)
    assert line.level is Level.UNREACHABLE and line.activity == "Restoring · 42% · restoring data"
    assert line.last_backup == "—" and "did not answer in time" in line.note
    never = portal_line(timeline((-5, ServerError(status=502))), None, None, T0, FLOOR, EN)
    assert never.level is Level.UNREACHABLE and never.activity == "unknown"


@pytest.mark.parametrize("error", [Unauthorized(), Forbidden()])
def test_not_authorized_from_a_timeline(error: Exception) -> None:
    backup = timeline((-5, error), op=Operation.BACKUP)
    line = portal_line(idle(), backup, ([rec(6)], None), T0, FLOOR, EN)
    assert line.level is Level.UNAUTHORIZED and line.activity == "—" and "API key" in line.note


def test_not_authorized_from_the_backup_list() -> None:
    line = portal_line(idle(), idle(Operation.BACKUP), Unauthorized(), T0, FLOOR, EN)
    assert line.level is Level.UNAUTHORIZED and line.last_backup == "unknown" and "API key" in line.note


def test_other_backup_list_errors_say_unknown() -> None:
    line = portal_line(idle(), idle(Operation.BACKUP), ServerError(status=500), T0, FLOOR, EN)
    assert line.level is Level.OK and line.last_backup == "unknown"


def test_backup_list_while_restoring() -> None:
    line = portal_line(idle(), timeline((-5, PortalRestoring()), op=Operation.BACKUP), PortalRestoring(), T0, FLOOR, EN)
    assert line.last_backup == "unavailable while restoring" and line.level is not Level.UNREACHABLE


def test_overdue_schedule_is_a_warning() -> None:
    line = portal_line(idle(), idle(Operation.BACKUP), ([rec(72)], daily(72)), T0, FLOOR, EN)
    assert line.level is Level.WARNING and line.note == "A scheduled backup is overdue."
    assert line.last_backup == "3 days ago"


def test_overdue_does_not_hide_a_running_job() -> None:
    restore = timeline((-5, progress(42)))
    line = portal_line(restore, None, ([rec(72)], daily(72)), T0, FLOOR, EN)
    assert line.level is Level.RUNNING


def test_needs_an_api_key() -> None:
    line = portal_line(idle(), None, None, T0, FLOOR, EN)
    assert line == PortalLine(Level.OK, "idle", "needs an API key", "")


def test_last_backup_time_and_sorting() -> None:
    a, b, c = rec(5, "a"), rec(1, "b"), rec(9, "c")
    assert last_backup_time([]) is None
    assert last_backup_time([a, b, c]) == b.created_on
    assert [r.id for r in newest_first([a, b, c])] == ["b", "a", "c"]
    assert utc(T0) == NOW and utc(T0).tzinfo is UTC


def test_odd_values_on_the_overview_line() -> None:
    from lib.portal.models import parse_progress

    unknown = parse_progress({"isCompleted": False, "progress": 42, "error": "", "backupProgressEnum": 7})
    line = portal_line(timeline((-5, unknown)), None, None, T0, FLOOR, EN)
    assert line.activity == "an operation of a kind this app does not know (7) · 42%"
    early = timeline((-60, progress(20)), (-5, progress(40, done=True, status=TaskStatus.COMPLETED)))
    line = portal_line(early, None, None, T0, FLOOR, EN)
    assert line.level is Level.WARNING and line.activity == "restore reported complete at 40%"
    over = parse_progress({"isCompleted": False, "progress": 140, "error": "", "backupProgressEnum": 1})
    line = portal_line(timeline((-5, over)), None, None, T0, FLOOR, EN)
    assert line.activity == "Restoring · 100% · finishing up" and line.note == "DocSpace reported 140%; shown as 100%."


def test_an_error_while_running_is_a_warning_on_the_overview_line() -> None:
    restore = timeline((-60, progress(20)), (-5, progress(30, error="Could not read one file")))
    line = portal_line(restore, None, None, T0, FLOOR, EN)
    assert line.level is Level.WARNING and line.activity.startswith("Restoring · 30%")
    assert line.note == "DocSpace reports an error while the restore goes on: Could not read one file"


def test_checking_until_the_first_answer() -> None:
    line = portal_line(Timeline(Operation.RESTORE), Timeline(Operation.BACKUP), None, T0, FLOOR, EN)
    assert line == PortalLine(Level.WAITING, "checking…", "checking…", "")
    without_key = portal_line(Timeline(Operation.RESTORE), None, None, T0, FLOOR, EN)
    assert without_key.activity == "checking…" and without_key.last_backup == "needs an API key"
    slow = PortalUnreachable("timeout", waited=5, next_wait=10)
    hanging = portal_line(timeline((-5, slow)), timeline((-5, slow), op=Operation.BACKUP), slow, T0,
                          FLOOR, EN)
    assert hanging.level is Level.WAITING and hanging.activity == "checking…"
    assert hanging.last_backup == "checking…" and "next check waits up to 10 s" in hanging.note
    answered = portal_line(idle(), Timeline(Operation.BACKUP), None, T0, FLOOR, EN)  # the key's answers still out
    assert answered.activity == "idle" and answered.last_backup == "checking…"


def test_an_unreadable_answer_is_not_called_unreachable_on_the_overview() -> None:
    from lib.portal.errors import UnexpectedResponse

    line = portal_line(timeline((-60, progress(42)), (-5, UnexpectedResponse("x"))), None, None, T0, FLOOR, EN)
    assert line.level is Level.WARNING and "cannot read" in line.note


def test_an_error_and_then_no_movement_seems_failed_on_the_overview_too() -> None:
    said = "Disk full"
    restore = timeline((-2000, progress(20)), (-1990, progress(30, error=said)), (0, progress(30, error=said)))
    line = portal_line(restore, None, None, T0, FLOOR, EN)
    assert line.level is Level.FAILED and line.activity == "restore seems to have failed at 30%"
    assert line.note == "Disk full"
