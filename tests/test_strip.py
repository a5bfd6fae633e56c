"""The 30-day strip: schedule + backups + recorded operations -> one cell a day, in words."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from lib.jobs.backups_made import Backup, merged_backups, size_words
from lib.jobs.recorded import RecordedOperation
from lib.portal.models import BackupFile, Period, Schedule, StorageType
from lib.timewords import zone
from lib.views.strip import KINDS, DayCell, day_cells, strip_summary, strip_text
from tests.factories import EN, HOSTILE, T0, en

# T0 is Friday 2027-01-15 08:00 UTC: "now" in these tests, so the last cell is Jan 15
BERLIN, LOS_ANGELES = zone("Europe/Berlin"), zone("America/Los_Angeles")


def at(day: int, hour: int = 2, minute: int = 0, month: int = 1, year: int = 2027) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def ts(day: int, hour: int = 2, minute: int = 0, month: int = 1) -> float:
    return at(day, hour, minute, month).timestamp()


def daily(hour: int = 2, last: datetime | None = None) -> Schedule:
    return Schedule(Period.EVERY_DAY, hour, None, StorageType.DOCUMENTS, 7, last)


def weekly(day: int, hour: int = 2) -> Schedule:
    return Schedule(Period.EVERY_WEEK, hour, day, StorageType.DOCUMENTS, 4, None)


def listed(*moments: datetime, size: int | None = None) -> list[Backup]:
    return [Backup(m, size, "portal list", f"rec-{m:%d%H%M}") for m in moments]


def op(kind: str, outcome: str, first_seen: float, ended: float | None, *, started: float | None = None,
       task: str = "", text: str = "", percent: int = 100) -> RecordedOperation:
    return RecordedOperation(id=f"{kind}-{first_seen}", portal="production", kind=kind, scope="any", task_id=task,
                           first_seen=first_seen, first_percent=0 if started is not None else 40, started=started,
                           ended=ended, outcome=outcome, last_percent=percent, portal_text=text,
                           last_seen=ended if ended is not None else first_seen)


def cells(*, backups: list[Backup] = (), operations: list[RecordedOperation] = (),  # type: ignore[assignment]
          schedule: Schedule | None = None, watched_since: float | None = None, now: float = T0, tz=UTC,
          days: int = 30) -> list[DayCell]:
    return day_cells(now, en(tz), days, backups=list(backups), operations=list(operations), schedule=schedule,
                     watched_since=watched_since)


def by_date(strip: list[DayCell]) -> dict[date, DayCell]:
    return {c.date: c for c in strip}


def jan(day: int) -> date:
    return date(2027, 1, day)


# ---------------------------------------------------------------- shape


def test_thirty_cells_oldest_first_the_last_is_today_in_the_viewers_zone() -> None:
    strip = cells(watched_since=T0 - 40 * 86_400)
    assert len(strip) == 30
    assert [c.date for c in strip] == [jan(15) - timedelta(days=k) for k in range(29, -1, -1)]
    assert strip[-1].today and not any(c.today for c in strip[:-1])
    assert strip[-1].words == "Today (Jan 15): nothing scheduled, nothing ran yet"
    assert strip[0].words == "Dec 17: nothing scheduled, nothing ran"
    # 23:30 UTC on Jan 15 is already Jan 16 in Berlin
    late = cells(now=ts(15, 23, 30), tz=BERLIN, watched_since=T0 - 40 * 86_400)
    assert late[-1].date == jan(16)


def test_every_kind_reads_without_colour() -> None:
    icons = [k.icon for k in KINDS.values()]
    symbols = [k.symbol for k in KINDS.values()]
    assert len(set(icons)) == len(icons) and len(set(symbols)) == len(symbols)
    assert {"backup", "restore", "failed", "missed", "none", "unknown"} <= set(KINDS)
    assert KINDS["missed"].icon == "event_busy" and KINDS["backup"].symbol == "✓"


# ---------------------------------------------------------------- a daily schedule


def test_a_daily_schedule_with_one_day_missed() -> None:
    made = listed(*[at(d, 2, 1) for d in range(1, 15) if d != 12])
    strip = by_date(cells(backups=made, schedule=daily()))
    assert strip[jan(12)].kind == "missed"
    assert strip[jan(12)].words == "Jan 12: missed — a daily 02:00 backup was scheduled, none was made"
    assert strip[jan(12)].icon == "event_busy" and strip[jan(12)].symbol == "!" and strip[jan(12)].missed == 1
    assert strip[jan(11)].kind == "backup" and strip[jan(11)].words == "Jan 11: backup at 02:01"
    assert strip[jan(11)].color == "green" and strip[jan(11)].material == ":material/check_circle:"
    # today 02:00 was six hours ago, past the 2 h grace, and nothing came
    assert strip[jan(15)].kind == "missed"


def test_the_scheduled_hour_and_the_backup_times_are_in_the_viewers_zone() -> None:
    made = listed(*[at(d, 2, 1) for d in range(1, 15) if d != 12])
    strip = by_date(cells(backups=made, schedule=daily(), tz=BERLIN))
    assert strip[jan(12)].words == "Jan 12: missed — a daily 03:00 backup was scheduled, none was made"
    assert strip[jan(11)].words == "Jan 11: backup at 03:01"


def test_in_a_zone_behind_utc_the_run_falls_on_the_day_before() -> None:
    # 02:00 UTC is 18:00 the day before in Los Angeles (UTC-8 in January)
    made = listed(*[at(d, 2, 1) for d in range(1, 16) if d != 12])
    strip = by_date(cells(backups=made, schedule=daily(), tz=LOS_ANGELES))
    assert strip[jan(11)].words == "Jan 11: missed — a daily 18:00 backup was scheduled, none was made"
    assert strip[jan(12)].kind == "backup" and strip[jan(12)].words == "Jan 12: backup at 18:01"
    # now is 00:00 on Jan 15 in Los Angeles: today's 18:00 run is still to come
    assert strip[jan(15)].kind == "due"
    assert strip[jan(15)].words == "Today (Jan 15): a daily 18:00 backup is scheduled"


def test_summer_time_moves_the_local_hour() -> None:
    made = listed(at(30, 2, 0, month=6, year=2027))
    now = datetime(2027, 7, 1, 12, tzinfo=UTC).timestamp()
    strip = cells(backups=made, schedule=daily(), tz=BERLIN, now=now, days=2)
    assert strip[0].words == "Jun 30: backup at 04:00"
    assert strip[1].words == "Today (Jul 1): missed — a daily 04:00 backup was scheduled, none was made"


def test_a_day_with_two_backups() -> None:
    made = listed(at(14, 2, 0), at(14, 14, 12))
    strip = by_date(cells(backups=made, schedule=daily()))
    assert strip[jan(14)].words == "Jan 14: 2 backups (02:00, 14:12)"
    assert strip[jan(14)].backups == 2 and strip[jan(14)].kind == "backup"


def test_the_size_is_said_only_when_known() -> None:
    strip = by_date(cells(backups=listed(at(14, 2, 0), size=1_234_567_890)))
    assert strip[jan(14)].words == "Jan 14: backup at 02:00, 1.2 GB"
    two = by_date(cells(backups=[*listed(at(14, 2, 0), size=1_234_567_890), *listed(at(14, 14, 12))]))
    assert two[jan(14)].words == "Jan 14: 2 backups (02:00, 1.2 GB; 14:12)"
    assert size_words(300_000_000, EN) == "300 MB" and size_words(12_400_000_000, EN) == "12 GB"
    assert size_words(512, EN) == "512 byte"


def test_the_portal_list_carries_no_size() -> None:
    record = BackupFile("9b0c", "portal_2027-01-14.tar.gz", StorageType.DOCUMENTS, at(14), None)
    assert Backup.listed(record) == Backup(at(14), None, "portal list", "9b0c")


# ---------------------------------------------------------------- a weekly schedule


def test_a_weekly_schedule_judges_only_its_weekday() -> None:
    sunday = weekly(1)  # Quartz style: 1 is Sunday; Jan 3 and Jan 10 2027 are Sundays
    strip = by_date(cells(backups=listed(at(3, 2, 5), at(13, 9, 30)), schedule=sunday,
                          watched_since=ts(1, 0)))
    assert strip[jan(3)].words == "Jan 3: backup at 02:05"
    assert strip[jan(10)].kind == "missed"
    assert strip[jan(10)].words == "Jan 10: missed — a weekly 02:00 backup was scheduled, none was made"
    assert strip[jan(11)].words == "Jan 11: nothing scheduled, nothing ran"
    assert strip[jan(13)].words == "Jan 13: backup at 09:30"
    assert [c.kind for c in strip.values()].count("missed") == 1


# ---------------------------------------------------------------- before anything was known


def test_days_before_the_first_record_are_unknown_not_missed() -> None:
    made = listed(*[at(d, 2, 0) for d in range(10, 15)])  # the list keeps only the last 5
    strip = by_date(cells(backups=made, schedule=daily()))
    assert strip[jan(9)].kind == "unknown" and strip[jan(9)].icon == "help" and strip[jan(9)].symbol == "?"
    assert strip[jan(9)].words == "Jan 9: not known — nothing on record before Jan 10"
    assert strip[date(2026, 12, 17)].kind == "unknown"
    assert not any(c.kind == "missed" for c in strip.values() if c.date < jan(10))


def test_watching_makes_days_known_and_a_partial_day_stays_unknown() -> None:
    made = listed(*[at(d, 2, 0) for d in range(10, 15)])
    strip = by_date(cells(backups=made, schedule=daily(), watched_since=ts(5, 14, 10)))
    assert [strip[jan(d)].kind for d in (6, 7, 8, 9)] == ["missed"] * 4
    # Jan 5: watching began at 14:10, after that day's 02:00 run: the app cannot tell
    assert strip[jan(5)].kind == "unknown"
    assert strip[jan(5)].words == "Jan 5: not known — nothing on record before 14:10"
    assert strip[jan(4)].words == "Jan 4: not known — nothing on record before Jan 5"


def test_a_watched_restore_does_not_make_backup_days_known() -> None:
    restore = op("restore", "completed", ts(2, 10), ts(2, 10, 40), started=ts(2, 10))
    strip = by_date(cells(backups=listed(at(14, 2, 0)), operations=[restore], schedule=daily()))
    assert strip[jan(2)].kind == "restore"
    assert [strip[jan(d)].kind for d in range(3, 14)] == ["unknown"] * 11
    failed_backup = op("backup", "failed", ts(5, 2), ts(5, 2, 3))
    strip = by_date(cells(backups=listed(at(14, 2, 0)), operations=[failed_backup], schedule=daily()))
    assert strip[jan(4)].kind == "unknown" and strip[jan(6)].kind == "missed"


def test_nothing_on_record_at_all() -> None:
    strip = cells(schedule=daily())
    assert all(c.kind == "unknown" for c in strip)
    assert strip[0].words == "Dec 17: not known — nothing on record yet"
    assert strip_summary(strip, EN) == "Nothing on record for these days yet."


# ---------------------------------------------------------------- today


def test_today_a_run_in_its_grace_is_due_not_missed() -> None:
    made = listed(at(14, 2, 0))
    now = ts(15, 3, 0)  # 02:00 was an hour ago: still inside the 2 h grace
    strip = cells(backups=made, schedule=daily(), now=now, days=3)
    assert strip[-1].kind == "due" and strip[-1].icon == "schedule"
    assert strip[-1].words == "Today (Jan 15): a daily 02:00 backup was scheduled, none yet (late after 04:00)"
    later = cells(backups=made, schedule=daily(), now=ts(15, 4, 1), days=3)
    assert later[-1].kind == "missed"
    before = cells(backups=made, schedule=daily(), now=ts(15, 1, 0), days=3)
    assert before[-1].words == "Today (Jan 15): a daily 02:00 backup is scheduled"


def test_a_backup_running_now() -> None:
    running = op("backup", "running", ts(15, 2, 0), None, started=ts(15, 2, 0), percent=42)
    strip = cells(backups=listed(at(14, 2, 0)), operations=[running], schedule=daily(), now=ts(15, 2, 30), days=3)
    assert strip[-1].kind == "running" and strip[-1].symbol == "…"
    assert strip[-1].words == "Today (Jan 15): backup running since 02:00, 42%"
    # still running past the grace: a running job is not a missed one
    long = cells(backups=listed(at(14, 2, 0)), operations=[running], schedule=daily(), now=ts(15, 6, 0), days=3)
    assert long[-1].kind == "running"


# ---------------------------------------------------------------- restores and failures


def test_a_restore_day() -> None:
    restore = op("restore", "completed", ts(13, 22, 58), ts(13, 23, 40), started=ts(13, 22, 58), task="r1")
    strip = by_date(cells(backups=listed(at(13, 2, 0)), operations=[restore], schedule=daily()))
    cell = strip[jan(13)]
    assert cell.kind == "restore" and cell.icon == "settings_backup_restore" and cell.symbol == "↺"
    assert cell.words == "Jan 13: restore completed at 23:40 after 42 min; backup at 02:00"
    assert cell.restores == 1 and cell.backups == 1
    joined = op("restore", "completed", ts(12, 23, 0), ts(12, 23, 40))  # first seen at 40 %: no duration
    assert by_date(cells(operations=[joined]))[jan(12)].words == "Jan 12: restore completed at 23:40"


def test_a_failed_scheduled_backup_is_failed_not_also_missed() -> None:
    failed = op("backup", "failed", ts(12, 2, 0), ts(12, 2, 3), started=ts(12, 2, 0), task="b12",
                text="Unable to connect to the storage: timeout after 100 s while writing the archive part 3 of 7")
    made = listed(*[at(d, 2, 0) for d in range(1, 15) if d != 12])
    strip = by_date(cells(backups=made, operations=[failed], schedule=daily()))
    cell = strip[jan(12)]
    assert cell.kind == "failed" and cell.icon == "cancel" and cell.symbol == "✕" and cell.color == "red"
    assert cell.words.startswith("Jan 12: backup failed at 02:03 — Unable to connect to the storage")
    assert cell.words.endswith("…") and len(cell.words) < 130 and cell.missed == 0 and cell.failures == 1


def test_the_portals_words_are_made_plain() -> None:
    failed = op("restore", "failed", ts(12, 2, 0), ts(12, 2, 3), text=HOSTILE)
    cell = by_date(cells(operations=[failed]))[jan(12)]
    assert "\u202e" not in cell.words and "\x07" not in cell.words and "\u200b" not in cell.words
    assert "<script>" not in cell.words_md and "\\<script\\>" in cell.words_md


def test_failed_outranks_a_later_backup_and_the_words_list_both() -> None:
    failed = op("backup", "failed", ts(12, 2, 0), ts(12, 2, 3), text="disk full")
    strip = by_date(cells(backups=listed(at(12, 9, 15)), operations=[failed], schedule=daily()))
    assert strip[jan(12)].kind == "failed"
    assert strip[jan(12)].words == "Jan 12: backup failed at 02:03 — disk full; backup at 09:15"


def test_a_late_backup_does_not_undo_missed() -> None:
    made = listed(*[at(d, 2, 0) for d in range(1, 12)], at(12, 9, 15))
    strip = by_date(cells(backups=made, schedule=daily()))
    assert strip[jan(12)].kind == "missed" and strip[jan(12)].backups == 1
    assert strip[jan(12)].words == ("Jan 12: missed — a daily 02:00 backup was scheduled, none was made; "
                                    "backup at 09:15")


def test_a_cancelled_scheduled_backup_is_missed() -> None:
    cancelled = op("backup", "cancelled", ts(12, 2, 0), ts(12, 2, 10), started=ts(12, 2, 0))
    made = listed(*[at(d, 2, 0) for d in range(1, 12)])
    strip = by_date(cells(backups=made, operations=[cancelled], schedule=daily()))
    assert strip[jan(12)].words == ("Jan 12: missed — a daily 02:00 backup was scheduled, none was made; "
                                    "backup cancelled at 02:10")


def test_a_job_that_went_away_unseen() -> None:
    gone = op("restore", "vanished", ts(12, 10, 0), ts(12, 10, 40))
    assert by_date(cells(operations=[gone]))[jan(12)].words == (
        "Jan 12: a restore was seen until 10:40; how it ended is not known")


# ---------------------------------------------------------------- one backup seen in two places


def test_a_backup_listed_and_recorded_counts_once() -> None:
    recorded = op("backup", "completed", ts(14, 2, 0), ts(14, 2, 12), started=ts(14, 2, 0), task="9B0C-11")
    by_id = by_date(cells(backups=[Backup(at(14, 2, 1), None, "portal list", "9b0c11")], operations=[recorded]))
    assert by_id[jan(14)].backups == 1 and by_id[jan(14)].words == "Jan 14: backup at 02:01"
    # no ids: within minutes, or the file stamped at the start of the run the app watched
    no_id = op("backup", "completed", ts(14, 2, 0), ts(14, 2, 40), started=ts(14, 2, 0))
    assert by_date(cells(backups=[Backup(at(14, 2, 38))], operations=[no_id]))[jan(14)].backups == 1
    assert by_date(cells(backups=[Backup(at(14, 2, 0))], operations=[no_id]))[jan(14)].backups == 1
    # two different ids are two backups, however close
    other = by_date(cells(backups=[Backup(at(14, 2, 12), None, "portal list", "aaaa")], operations=[recorded]))
    assert other[jan(14)].backups == 2
    # the same source is never merged: two files are two backups
    assert by_date(cells(backups=listed(at(14, 2, 0), at(14, 2, 3))))[jan(14)].backups == 2


def test_a_recorded_backup_counts_when_the_list_has_rotated_it_away() -> None:
    recorded = [op("backup", "completed", ts(d, 2, 0), ts(d, 2, 12), started=ts(d, 2, 0)) for d in range(2, 12)]
    made = listed(*[at(d, 2, 1) for d in range(12, 15)])
    strip = by_date(cells(backups=made, operations=recorded, schedule=daily(), watched_since=ts(1, 12)))
    assert strip[jan(5)].words == "Jan 5: backup at 02:12"
    assert strip[jan(12)].words == "Jan 12: backup at 02:01"
    assert [strip[jan(d)].kind for d in range(2, 15)] == ["backup"] * 13


def test_the_schedules_last_backup_time_is_not_a_backup() -> None:
    """lastBackupTime is when the scheduler dispatched a run, whatever came of it (docs/_notes-audit.md)."""
    made = merged_backups(listed(at(14, 2, 1)), [])
    assert len(made) == 1 and made[0].source == "portal list"
    alone = by_date(cells(schedule=daily(last=at(13, 2, 4))))
    assert alone[jan(13)].kind == "unknown" and alone[jan(13)].backups == 0


# ---------------------------------------------------------------- the summary


def test_the_summary_line() -> None:
    made = listed(*[at(d, 2, 0) for d in range(1, 15) if d != 12], at(12, 9, 15))
    made += listed(*[at(d, 2, 0, month=12, year=2026) for d in range(17, 32)])
    restore = op("restore", "completed", ts(13, 22, 58), ts(13, 23, 40), started=ts(13, 22, 58))
    failed = op("backup", "failed", ts(7, 2, 0), ts(7, 2, 3))
    strip = cells(backups=[b for b in made if b.created != at(7)], operations=[restore, failed], schedule=daily())
    assert strip_summary(strip, EN) == "Backed up on 28 of the last 30 days · 2 missed · 1 failed · 1 restore"
    assert strip_text(strip)[-4:] == "!↺✓!"  # Jan 12 missed (a late backup), 13 restore, 14, 15 missed
    partial = cells(backups=listed(*[at(d, 2, 0) for d in range(10, 16)]), schedule=daily())
    assert strip_summary(partial, EN) == "Backed up on 6 of the last 6 days · nothing on record before Jan 10"
    quiet = cells(watched_since=T0 - 40 * 86_400)
    assert strip_summary(quiet, EN) == "No backup in the last 30 days"
    assert strip_summary(cells(backups=listed(at(15, 1, 0)), days=1), EN) == "Backed up today"


@pytest.mark.parametrize("days", [1, 7, 30])
def test_any_length(days: int) -> None:
    strip = cells(backups=listed(at(14)), schedule=daily(), days=days)
    assert len(strip) == days and strip[-1].today
