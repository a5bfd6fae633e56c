"""The pure knowledge the audit trail adds (lib/jobs/trail.py, lib/jobs/backups_made.py): backups counted once
across the list, the recordings and the trail; failed backups with their day and reason; restores nobody
watched; the schedule that went away; and never the schedule's lastBackupTime as a backup."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from lib.jobs.backups_made import AUDIT, PORTAL_LIST, RECORDED, Backup, known_since, last_backup_time, merged_backups
from lib.jobs.recorded import RecordedOperation
from lib.jobs.trail import (
    FailedBackup,
    ScheduleMemory,
    ScheduleRemoved,
    TrailRead,
    by_day,
    failed_backups,
    first_scheduled,
    schedule_removed,
    unique,
    unwatched_restores,
)
from lib.portal.audit import AuditAction, AuditEvent
from lib.portal.models import BackupFile, StorageType

A = AuditAction


def at(day: int, hour: int = 2, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2027, 1, day, hour, minute, second, tzinfo=UTC)


def event(action: int, when: datetime, i: int = 0) -> AuditEvent:
    return AuditEvent(i or int(when.timestamp()) + action, when, action, "")


def listed(*moments: datetime) -> list[Backup]:
    return [Backup.listed(BackupFile(f"file-{m:%d%H%M}", "f.tar.gz", StorageType.DOCUMENTS, m, None)) for m in moments]


def op(kind: str, outcome: str, first: datetime, ended: datetime | None, text: str = "",
       task: str = "") -> RecordedOperation:
    end = ended.timestamp() if ended else None
    return RecordedOperation(f"op-{first:%d%H%M}", "prod", kind, "any", task, first.timestamp(), 0, first.timestamp(),
                             end, outcome, 100, text, end or first.timestamp())


def test_backups_from_the_trail_only() -> None:
    made = merged_backups([], [], [event(A.SCHEDULED_BACKUP_COMPLETED, at(d, 2, 2, 18)) for d in range(3, 15)]
                          + [event(A.BACKUP_COMPLETED, at(9, 14)), event(A.BACKUP_FAILED, at(10, 14))])
    assert len(made) == 13 and {b.source for b in made} == {AUDIT}
    assert [b.scheduled for b in made].count(False) == 1 and made[-1].created == at(14, 2, 2, 18)


def test_each_backup_once_from_the_list_the_recordings_and_the_trail() -> None:
    files = listed(at(13, 2, 2, 17), at(14, 2, 2, 17))  # the list keeps 2 files
    trail = [event(A.SCHEDULED_BACKUP_COMPLETED, at(d, 2, 2, 18)) for d in range(3, 15)]
    recorded = [op("backup", "completed", at(12, 2, 0, 5), at(12, 2, 3))]  # the app saw the 12th's run
    made = merged_backups(files, recorded, trail)
    assert len(made) == 12  # one a day, each once
    by_source = {b.created.day: b.source for b in made}
    assert by_source[14] == by_source[13] == PORTAL_LIST and by_source[12] == RECORDED and by_source[3] == AUDIT
    assert all(b.scheduled for b in made if b.created.day in (13, 14))  # the trail says the schedule made them


def test_two_backups_minutes_apart_stay_two_and_a_restored_trail_counts_once() -> None:
    files = listed(at(14, 2, 2, 17), at(14, 2, 8))  # a scheduled one, and a manual one 6 minutes later
    trail = [event(A.SCHEDULED_BACKUP_COMPLETED, at(14, 2, 2, 18), 1), event(A.BACKUP_COMPLETED, at(14, 2, 8, 1), 2)]
    restored = [event(A.SCHEDULED_BACKUP_COMPLETED, at(14, 2, 2, 18), 901)]  # the same event, a new id
    made = merged_backups(files, [], trail + restored)
    assert len(made) == 2 and [b.scheduled for b in made] == [True, False]
    assert len(unique(trail + restored)) == 2


def test_the_last_backup_is_one_that_was_made() -> None:
    files = [BackupFile("f", "f.tar.gz", StorageType.DOCUMENTS, at(12), None)]
    assert last_backup_time(files) == at(12)
    assert last_backup_time(files, [op("backup", "completed", at(13), at(13, 2, 3))]) == at(13, 2, 3)
    assert last_backup_time(files, [], [event(A.SCHEDULED_BACKUP_COMPLETED, at(14, 2, 2))]) == at(14, 2, 2)
    assert last_backup_time(files, [], [event(A.SCHEDULED_BACKUP_FAILED, at(14, 2, 2))]) == at(12)  # failed: no
    assert last_backup_time([]) is None


def test_the_trail_makes_days_known_from_where_it_is_complete() -> None:
    assert known_since([], [], None) is None
    assert known_since([], [], at(14).timestamp(), trail_from=at(1).timestamp()) == at(1).timestamp()


def test_failed_backups_with_the_reason_when_the_watcher_saw_it() -> None:
    reason = "Something went wrong while creating the backup."
    trail = [event(A.SCHEDULED_BACKUP_FAILED, at(13, 2, 0, 40)), event(A.SCHEDULED_BACKUP_FAILED, at(14, 2, 0, 40)),
             event(A.BACKUP_FAILED, at(14, 16)), event(A.SCHEDULED_BACKUP_COMPLETED, at(12, 2, 2))]
    ops = [op("backup", "failed", at(14, 2), at(14, 2, 1), reason),  # seen on getbackupprogress
           op("backup", "failed", at(11, 9), at(11, 9, 30), "Disk full"),  # the trail was not read that far
           op("restore", "failed", at(13, 5), at(13, 6), "The backup file is invalid.")]  # not a backup
    failed = failed_backups([*trail, trail[0]], ops)  # an event read twice counts once
    assert failed == [FailedBackup(at(11, 9, 30), None, "Disk full"), FailedBackup(at(13, 2, 0, 40), True),
                      FailedBackup(at(14, 2, 0, 40), True, reason), FailedBackup(at(14, 16), False)]
    days = by_day(failed, timezone(timedelta(hours=-5)))  # in New York the 14th's 02:00 UTC is the 13th
    assert [len(days[date(2027, 1, d)]) for d in (11, 12, 13, 14)] == [1, 1, 1, 1]


def test_restores_nobody_watched() -> None:
    trail = [event(A.RESTORE_STARTED, at(10, 14, 5)), event(A.RESTORE_STARTED, at(12, 9)),
             event(A.RESTORE_STARTED, at(13, 22))]
    watched = [op("restore", "completed", at(12, 9, 1), at(12, 9, 40)),  # first seen a minute after it started
               op("backup", "completed", at(13, 22), at(13, 22, 5))]  # a backup says nothing of a restore
    assert unwatched_restores(trail, watched) == [at(10, 14, 5), at(13, 22)]
    assert first_scheduled([*trail, event(A.SCHEDULED_BACKUP_COMPLETED, at(11))]) == at(11)
    assert first_scheduled(trail) is None


@pytest.mark.parametrize(("events", "read", "by_admin"), [
    ([event(A.SCHEDULED_BACKUP_DELETED, at(14, 9, 4))], None, True),
    ([], TrailRead(at(1).timestamp(), at(14, 9, 30).timestamp(), True, at(14, 9, 30).timestamp()), False),
    ([], TrailRead(at(14, 9, 5).timestamp(), at(14, 9, 30).timestamp(), False, at(14, 9, 30).timestamp()), None),
    ([], None, None),
])
def test_the_schedule_that_went_away(events: list[AuditEvent], read: TrailRead | None, by_admin: bool | None) -> None:
    memory = ScheduleMemory(at(14, 9).timestamp(), at(14, 9, 10).timestamp())
    assert schedule_removed(memory, events, read) == ScheduleRemoved(at(14, 9), at(14, 9, 10), by_admin)


def test_a_schedule_that_is_there_or_never_was_is_not_removed() -> None:
    assert schedule_removed(None, [], None) is None
    assert schedule_removed(ScheduleMemory(at(14).timestamp(), None), [], None) is None
    assert schedule_removed(ScheduleMemory(None, None), [], None) is None
    never = TrailRead(None, None, True, at(14).timestamp(), "not in the plan")
    assert not never.covers(at(13).timestamp(), at(14).timestamp())


def test_a_failure_or_restore_first_seen_already_ended_is_the_trails_newest_in_the_day_before() -> None:
    """The app started at 09:00 and found the failed tasks DocSpace keeps 24 h: they are the trail's failure at
    02:00 and its restore at 06:00, not new ones (an older one stays its own)."""
    seen = at(14, 9).timestamp()
    trail = [event(A.SCHEDULED_BACKUP_FAILED, at(13, 2, 0, 40)), event(A.SCHEDULED_BACKUP_FAILED, at(14, 2, 0, 40)),
             event(A.RESTORE_STARTED, at(12, 6)), event(A.RESTORE_STARTED, at(14, 6))]
    found = [RecordedOperation("b", "prod", "backup", "any", "", seen, 30, None, seen, "failed", 30, "No room", seen),
             RecordedOperation("r", "prod", "restore", "any", "", seen, 42, None, seen, "failed", 42, "Bad file", seen)]
    failed = failed_backups(trail, found)
    assert failed == [FailedBackup(at(13, 2, 0, 40), True), FailedBackup(at(14, 2, 0, 40), True, "No room")]
    assert [f.recorded for f in failed] == ["", "b"]
    assert unwatched_restores(trail, found) == [at(12, 6)]
    late = [RecordedOperation("b", "prod", "backup", "any", "", seen + 86_400, 30, None, seen + 86_400, "failed", 30,
                              "No room", seen + 86_400)]
    assert len(failed_backups(trail[:2], late)) == 3  # seen more than a day later: not the trail's
