"""What the pages say with DocSpace's audit trail: the strip and /history from the trail only, the list only and
both (each backup once), the failed scheduled day, the short trail, the schedule that disappears, a plan without
backups (402), a restore nobody watched, and the last backup from backups that were made."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from lib.db.store import HistoryStore
from lib.jobs.backups_made import Backup
from lib.jobs.recorded import RecordedOperation
from lib.jobs.trail import ScheduleMemory, TrailRead
from lib.portal.audit import AuditAction, AuditEvent
from lib.portal.errors import PaymentRequired, Recalled
from lib.portal.models import BackupFile, Period, Schedule, StorageType
from lib.timewords import zone
from lib.views.backups import backups_view
from lib.views.history import operations_table, portal_strip, rows_of, trail_rows
from lib.views.known import Known, portal_known, trail_details
from lib.views.portals import portal_line
from lib.views.status import Level
from lib.views.strip import DayCell, day_cells, strip_summary
from lib.watching.poller import Poll
from tests.factories import EN, T0, en, timeline

A = AuditAction
DAILY = Schedule(Period.EVERY_DAY, 2, None, StorageType.DOCUMENTS, 7, None)
REASON = "Something went wrong while creating the backup. Please try creating it again or contact support."
# T0 is Friday 2027-01-15 08:00 UTC: "now", so the last cell is Jan 15


def at(day: int, hour: int = 2, minute: int = 0, second: int = 0, month: int = 1) -> datetime:
    return datetime(2027 if month == 1 else 2026, month, day, hour, minute, second, tzinfo=UTC)


def ts(day: int, hour: int = 2, minute: int = 0, second: int = 0, month: int = 1) -> float:
    return at(day, hour, minute, second, month).timestamp()


def event(action: int, when: datetime, user: str = "Jane Admin") -> AuditEvent:
    return AuditEvent(int(when.timestamp()) % 100_000 + action, when, action, "", user=user)


def scheduled_runs(first: int, last: int) -> list[AuditEvent]:
    return [event(A.SCHEDULED_BACKUP_COMPLETED, at(d, 2, 2, 18)) for d in range(first, last + 1)]


def file(when: datetime) -> BackupFile:
    return BackupFile(f"file-{when:%d}", f"demo_{when:%d}.tar.gz", StorageType.DOCUMENTS, when, None)


def op(kind: str, outcome: str, first: float, ended: float | None, *, started: float | None = None,
       text: str = "") -> RecordedOperation:
    return RecordedOperation(f"{kind}-{first}", "prod", kind, "any", "", first, 0 if started else 30, started, ended,
                             outcome, 30, text, ended if ended is not None else first)


def strip(*, files: list[datetime] = (), events: list[AuditEvent] = (), ops: list[RecordedOperation] = (),  # type: ignore[assignment]
          trail_from: float | None = None, schedule: Schedule | None = DAILY, tz=UTC, **kw) -> dict[date, DayCell]:
    cells = day_cells(T0, en(tz), 30, backups=[Backup.listed(file(f)) for f in files], operations=list(ops),
                      schedule=schedule, watched_since=kw.pop("watched_since", None), events=list(events),
                      trail_from=trail_from, **kw)
    return {c.date: c for c in cells}


def jan(day: int) -> date:
    return date(2027, 1, day)


# ---------------------------------------------------------------- the strip from each source


def test_the_strip_from_the_audit_trail_only() -> None:
    """An app installed today: the list is empty, the trail read back 30 days has 13 scheduled backups."""
    cells = strip(events=scheduled_runs(3, 15), trail_from=T0 - 30 * 86_400)
    assert [cells[jan(d)].kind for d in range(3, 16)] == ["backup"] * 13
    assert cells[jan(14)].words == "Jan 14: backup at 02:02" and cells[jan(14)].backups == 1
    # the trail reaches back further than the schedule: those days are known, but not missed
    assert cells[jan(2)].kind == "none" and cells[date(2026, 12, 17)].kind == "none"
    assert cells[jan(2)].words == "Jan 2: no backup ran (the schedule may not have existed yet)"
    assert not any(c.kind in ("missed", "unknown") for c in cells.values())
    assert strip_summary(list(cells.values()), EN) == "Backed up on 13 of the last 30 days"


def test_the_strip_from_the_list_only() -> None:
    cells = strip(files=[at(14, 2, 2, 17), at(15, 2, 2, 17)])
    assert cells[jan(14)].kind == cells[jan(15)].kind == "backup"
    assert cells[jan(13)].kind == "unknown"
    assert cells[jan(13)].words == "Jan 13: not known — nothing on record before Jan 14"


def test_the_strip_from_both_counts_each_backup_once() -> None:
    recorded = op("backup", "completed", ts(12, 2, 0, 5), ts(12, 2, 3), started=ts(12, 2, 0, 5))
    cells = strip(files=[at(14, 2, 2, 17), at(15, 2, 2, 17)], events=scheduled_runs(3, 15), ops=[recorded],
                  trail_from=T0 - 30 * 86_400)
    assert [cells[jan(d)].backups for d in range(3, 16)] == [1] * 13
    assert strip_summary(list(cells.values()), EN) == "Backed up on 13 of the last 30 days"


def test_a_trail_not_read_yet_changes_nothing() -> None:
    assert strip(files=[at(15, 2, 2)])[jan(14)].kind == "unknown"


# ---------------------------------------------------------------- failed scheduled backups


def test_the_failed_scheduled_day_says_the_trail_keeps_no_reason() -> None:
    events = [*scheduled_runs(3, 11), event(A.SCHEDULED_BACKUP_FAILED, at(12, 2, 0, 40)), *scheduled_runs(13, 15)]
    cells = strip(events=events, trail_from=T0 - 30 * 86_400)
    day = cells[jan(12)]
    assert (day.kind, day.failures, day.missed, day.backups) == ("failed", 1, 0, 0)
    assert day.words == "Jan 12: the scheduled 02:00 backup failed — DocSpace keeps no reason in its audit trail"
    assert strip_summary(list(cells.values()), EN) == "Backed up on 12 of the last 30 days · 1 failed"
    berlin = strip(events=events, trail_from=T0 - 30 * 86_400, tz=zone("Europe/Berlin"))
    assert berlin[jan(12)].words.startswith("Jan 12: the scheduled 03:00 backup failed")


def test_the_failed_scheduled_day_with_the_reason_the_watcher_saw() -> None:
    """The app started at 08:00 and found the failed task on getbackupprogress (kept 24 h): it is the trail's
    02:00 failure, told once, with the portal's words, on the day it failed."""
    seen = op("backup", "failed", ts(12, 8), ts(12, 8), text=REASON)
    cells = strip(events=[event(A.SCHEDULED_BACKUP_FAILED, at(12, 2, 0, 40))], ops=[seen], trail_from=ts(1))
    assert cells[jan(12)].words == ("Jan 12: the scheduled 02:00 backup failed — Something went wrong while creating "
                                    "the backup. Please try creating it again or…")
    assert sum(c.failures for c in cells.values()) == 1


def test_a_manual_backup_that_failed_and_one_only_the_watcher_saw() -> None:
    manual = event(A.BACKUP_FAILED, at(10, 14))
    watched = op("backup", "failed", ts(11, 9), ts(11, 9, 30), started=ts(11, 9), text="Disk full")
    cells = strip(events=[manual], ops=[watched], trail_from=ts(1), schedule=None)
    assert cells[jan(10)].words == "Jan 10: backup failed at 14:00 — DocSpace keeps no reason in its audit trail"
    assert cells[jan(11)].words == "Jan 11: backup failed at 09:30 — Disk full"


# ---------------------------------------------------------------- a restore nobody watched


def test_a_restore_started_while_nobody_watched() -> None:
    cells = strip(events=[event(A.RESTORE_STARTED, at(13, 14, 5))], trail_from=ts(1), schedule=None)
    assert cells[jan(13)].kind == "restore"
    assert cells[jan(13)].words == "Jan 13: a restore started at 14:05; how it ended is not known"


def test_history_lists_what_only_the_trail_knows(tmp_path) -> None:
    store = HistoryStore(f"sqlite:///{tmp_path}/h.db")
    store.open()
    read = TrailRead(ts(1), T0, True, T0)
    store.save_audit("prod", [event(A.RESTORE_STARTED, at(13, 14, 5)), event(A.SCHEDULED_BACKUP_FAILED,
                                                                             at(12, 2, 0, 40), "Owner Name"),
                              event(A.SCHEDULED_BACKUP_COMPLETED, at(11, 2, 2))], read)
    seen = op("restore", "failed", ts(14, 9), ts(14, 9, 30), started=ts(14, 9), text="The backup file is invalid.")
    store.begin_operation(seen)
    trail = trail_rows(store, "prod", T0)
    assert [(r.kind, r.outcome, r.scheduled) for r in trail] == [("restore", "vanished", False),
                                                                 ("backup", "failed", True)]
    rows = rows_of([seen], trail)
    table = operations_table(rows, {"prod": "Production"}, EN)
    assert table["Operation"] == ["restore", "restore", "scheduled backup"]
    assert table["Started (UTC)"] == ["Jan 14, 09:00", "Jan 13, 14:05", "Jan 12, 02:00"]
    assert table["Outcome"][1:] == ["started; how it ended is not known (nobody watched)",
                                    "failed — DocSpace keeps no reason in its audit trail"]
    assert table["Ended (UTC)"][1:] == table["Took"][1:] == table["The portal said"][1:] == ["", ""]
    assert "By" not in table  # a person's name: never shown unless sign-in is on
    assert operations_table(rows, {}, EN, names=True)["By"] == ["", "Jane Admin", "Owner Name"]
    assert [r.kind for r in rows_of([seen], trail, kind="backup")] == ["backup"]
    assert [r.outcome for r in rows_of([], trail, outcome="vanished")] == ["vanished"]
    store.close()


# ---------------------------------------------------------------- the short trail, Details


def test_a_short_trail_is_said_in_details_and_leaves_earlier_days_unknown() -> None:
    short = TrailRead(ts(13, 14, 30), T0, False, T0)
    details = trail_details(short, T0, EN)
    assert details[1] == ("DocSpace's audit trail is short on this portal: its plan has no audit trail feature, so "
                          "DocSpace answers only its 20 newest events of any kind. The trail tells about backups only "
                          "since Jan 13, 14:30; before that, from the portal's list and what this app recorded.")
    cells = strip(events=[event(A.SCHEDULED_BACKUP_COMPLETED, at(14, 2, 2))], trail_from=short.complete_from)
    assert cells[jan(12)].kind == "unknown" and cells[jan(14)].kind == "backup"
    full = trail_details(TrailRead(ts(1), T0, True, T0), T0, EN)
    assert full[1] == "DocSpace's audit trail tells every backup made or failed since Jan 1 (read 08:00)."
    unread = trail_details(TrailRead(None, None, True, T0 - 600, "not in the plan"), T0, EN)
    assert unread[1].startswith("DocSpace's audit trail could not be read (not in the plan, last tried 07:50)")
    assert trail_details(None, T0, EN)[1].startswith("DocSpace's audit trail has not been read yet")


# ---------------------------------------------------------------- the schedule that disappears


GONE = ScheduleMemory(ts(14, 9), ts(14, 9, 10))
COVERED = TrailRead(ts(1), T0, True, T0)
SENTENCE = ("Automatic backups on Production stopped: the schedule was removed on Jan 14 between 09:00 and 09:10. "
            "DocSpace removes it when a backup fails for quota or payment reasons; an admin must set it up again.")


def known(**kw) -> Known:
    return Known(**({"events": tuple(scheduled_runs(3, 14)), "read": COVERED, "memory": GONE} | kw))


def test_the_schedule_that_disappears_is_an_alarm_on_the_backups_page() -> None:
    view = backups_view(Poll(T0, ([], None), 0), None, 60, T0, EN, known(), "Production")
    assert view.stopped == SENTENCE
    assert dict((t.label, t.value) for t in view.tiles) == {"Last backup": "29 hr, 57 min ago",
                                                           "Next scheduled": "none: backups stopped"}
    never = backups_view(Poll(T0, ([], None), 0), None, 60, T0, EN, known(memory=None), "Production")
    assert never.stopped == "" and ("Next scheduled", "no schedule") in [(t.label, t.value) for t in never.tiles]
    back = backups_view(Poll(T0, ([], DAILY), 0), None, 60, T0, EN, known(), "Production")
    assert back.stopped == ""  # the answer has a schedule again: no alarm, whatever the memory says


@pytest.mark.parametrize(("kw", "words"), [
    ({"events": (event(A.SCHEDULED_BACKUP_DELETED, at(14, 9, 5)),)},
     "Automatic backups on Production stopped: an admin deleted the schedule on Jan 14 between 09:00 and 09:10 "
     "(DocSpace's audit trail records it). Set it up again if that was not meant."),
    ({"read": None}, "Automatic backups on Production stopped: the schedule was removed on Jan 14 between 09:00 and "
                     "09:10. DocSpace removes it when a backup fails for quota or payment reasons (or an admin deleted "
                     "it); an admin must set it up again."),
    ({"operations": (op("restore", "completed", ts(14, 8, 50), ts(14, 9, 5), started=ts(14, 8, 50)),)},
     "Automatic backups on Production stopped: the portal has had no backup schedule since the restore that ended "
     "Jan 14, 09:05; an admin must set it up again."),
    ({"memory": ScheduleMemory(ts(13, 23, 55), ts(14, 0, 5))},
     "Automatic backups on Production stopped: the schedule was removed between Jan 13, 23:55 and Jan 14, 00:05. "
     "DocSpace removes it when a backup fails for quota or payment reasons; an admin must set it up again."),
])
def test_who_removed_it_as_far_as_is_known(kw: dict, words: str) -> None:
    assert backups_view(Poll(T0, ([], None), 0), None, 60, T0, EN, known(**kw), "Production").stopped == words


def test_the_overview_and_the_strip_say_it_too() -> None:
    line = portal_line(timeline((-5, None)), None, ([], None), T0, 600, EN, known(), "Production")
    assert (line.level, line.note, line.last_backup) == (Level.STOPPED, SENTENCE, "29 hr, 57 min ago")
    assert Level.STOPPED.color == "red" and "event_busy" in Level.STOPPED.icon
    k = known()
    cells = strip(events=list(k.events), trail_from=COVERED.complete_from, schedule=None,
                  removed=k.stopped(None, T0).removed)
    assert cells[jan(14)].kind == "stopped" and cells[jan(14)].symbol == "⊘"
    assert cells[jan(14)].words == ("Jan 14: automatic backups stopped: the schedule was removed between 09:00 and "
                                    "09:10; backup at 02:02")
    assert cells[jan(15)].kind == "stopped"
    assert cells[jan(15)].words == "Today (Jan 15): no automatic backups since the schedule was removed on Jan 14"
    assert cells[jan(13)].kind == "backup"


def test_the_watcher_not_having_written_gone_yet_is_still_an_alarm() -> None:
    memory = ScheduleMemory(ts(15, 7, 50), None)  # the last answer with it; this answer has none
    stopped = known(memory=memory).stopped(None, T0)
    assert stopped is not None and stopped.removed.before == at(15, 8)


# ---------------------------------------------------------------- 402 and the last backup


@pytest.mark.parametrize("error", [PaymentRequired(status=402),
                                   Recalled(PaymentRequired.category, "not in the plan", PaymentRequired().message,
                                            402)])
def test_a_plan_without_backups_is_said_calmly_with_its_own_badge(error) -> None:
    view = backups_view(Poll(T0, error, 1), None, 60, T0, EN, known())
    assert view.state == "plan"
    assert view.problem == ("This portal's plan does not include backups. Ask the portal's owner to check its "
                            "DocSpace plan; restores are still watched.")
    line = portal_line(timeline((-5, None)), None, error, T0, 600, EN, known(), "Production")
    assert (line.level, line.last_backup) == (Level.NOT_IN_PLAN, "not in the plan")
    assert "402" not in line.note and line.level.value == "not in the plan"


def test_the_last_backup_is_one_that_was_made_from_any_source() -> None:
    dispatched = Schedule(Period.EVERY_DAY, 2, None, StorageType.DOCUMENTS, 7, at(15, 2, 0, 3))
    k = Known(events=(event(A.SCHEDULED_BACKUP_COMPLETED, at(14, 2, 2)), event(A.SCHEDULED_BACKUP_FAILED,
                                                                                at(15, 2, 1))))
    view = backups_view(Poll(T0, ([file(at(12))], dispatched), 0), None, 60, T0, EN, k)
    assert view.tiles[0].value == "29 hr, 58 min ago" and view.tiles[0].help == "Jan 14, 2027, 02:02"
    line = portal_line(timeline((-5, None)), None, ([file(at(12))], dispatched), T0, 600, EN, k)
    assert line.last_backup == "29 hr, 58 min ago" and line.level is Level.WARNING  # today's 02:00 failed: overdue


def test_what_the_database_knows_is_read_once_a_minute_for_every_viewer(tmp_path) -> None:
    store = HistoryStore(f"sqlite:///{tmp_path}/h.db")
    store.open()
    first = portal_known(store, "prod", T0)
    assert portal_known(store, "prod", T0 + 30) is first
    store.save_audit("prod", scheduled_runs(14, 14), COVERED)
    store.flush()  # (writes go through the writer thread; this one is waited for)
    again = portal_known(store, "prod", T0 + 30)
    assert again is not first and len(again.events) == 1  # a write is seen at once
    assert portal_known(store, "prod", T0 + 90) is not again
    made = portal_strip(store, "prod", ([], DAILY), T0, EN)
    assert portal_strip(store, "prod", ([], DAILY), T0, EN) is made
    store.close()


def test_a_window_within_one_minute_is_one_time() -> None:
    k = known(memory=ScheduleMemory(ts(14, 9, 10, 5), ts(14, 9, 10, 40)))
    assert "the schedule was removed on Jan 14 at 09:10. DocSpace removes it" in \
        backups_view(Poll(T0, ([], None), 0), None, 60, T0, EN, k, "Production").stopped
    cells = strip(schedule=None, removed=k.stopped(None, T0).removed)
    assert cells[jan(14)].words == "Jan 14: automatic backups stopped: the schedule was removed at 09:10"
