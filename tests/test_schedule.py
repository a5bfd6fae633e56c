"""The backup schedule: words, next/previous due across month ends and weeks, overdue with grace."""

from __future__ import annotations

import calendar
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lib.jobs.schedule import GRACE, next_due, overdue_since, previous_due, words
from lib.portal.models import Period, Schedule, StorageType
from tests.factories import EN, en


def sched(period: Period, hour: int = 2, day: int | None = None, *, stored: int | None = 7,
          last: datetime | None = None) -> Schedule:
    return Schedule(period, hour, day, StorageType.DOCUMENTS, stored, last)


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# ---------------------------------------------------------------- words


def test_words_for_each_period() -> None:
    assert words(sched(Period.EVERY_DAY), EN) == "Every day at 02:00 UTC, keeps 7 copies"
    assert words(sched(Period.EVERY_WEEK, 23, 2, stored=1), EN) == "Every Monday at 23:00 UTC, keeps 1 copy"
    assert words(sched(Period.EVERY_MONTH, 0, 31, stored=None), EN) == "Every month on day 31 at 00:00 UTC"
    assert words(sched(Period.EVERY_MONTH, 23, 31), EN) == "Every month on day 31 at 23:00 UTC, keeps 7 copies"
    assert words(sched(Period.EVERY_MONTH, 5, None, stored=0), EN) == "Every month on day 1 at 05:00 UTC"
    assert words(sched(Period.UNKNOWN, stored=None), EN) == "On a schedule this app does not know"


@pytest.mark.parametrize(("day", "name"), [(1, "Sunday"), (2, "Monday"), (4, "Wednesday"), (7, "Saturday"),
                                           (None, "Sunday")])
def test_weekdays_are_quartz_style_1_is_sunday(day: int | None, name: str) -> None:
    assert words(sched(Period.EVERY_WEEK, 2, day, stored=None), EN) == f"Every {name} at 02:00 UTC"


# ---------------------------------------------------------------- next / previous


def test_daily_next_and_previous() -> None:
    s = sched(Period.EVERY_DAY, 2)
    assert next_due(s, at(2026, 11, 28, 1, 59)) == at(2026, 11, 28, 2)
    assert next_due(s, at(2026, 11, 28, 2)) == at(2026, 11, 29, 2)  # strictly after
    assert next_due(s, at(2026, 12, 31, 10)) == at(2027, 1, 1, 2)  # over the year end
    assert previous_due(s, at(2026, 11, 28, 2)) == at(2026, 11, 28, 2)  # at or before
    assert previous_due(s, at(2026, 11, 28, 1, 59)) == at(2026, 11, 27, 2)
    assert previous_due(s, at(2027, 1, 1, 0)) == at(2026, 12, 31, 2)


def test_weekly_next_and_previous() -> None:
    sunday = sched(Period.EVERY_WEEK, 2, 1)
    # 2026-11-28 is a Saturday, 2026-11-29 a Sunday
    assert next_due(sunday, at(2026, 11, 28, 12)) == at(2026, 11, 29, 2)
    assert next_due(sunday, at(2026, 11, 29, 2)) == at(2026, 12, 6, 2)
    assert previous_due(sunday, at(2026, 11, 28, 12)) == at(2026, 11, 22, 2)
    assert previous_due(sunday, at(2026, 11, 29, 2, 0, 1)) == at(2026, 11, 29, 2)
    saturday = sched(Period.EVERY_WEEK, 23, 7)
    assert next_due(saturday, at(2026, 12, 27, 0)) == at(2027, 1, 2, 23)  # over the year end


def test_next_and_previous_from_a_saturday_morning() -> None:
    now = at(2026, 11, 28, 10)  # a Saturday
    daily = sched(Period.EVERY_DAY, 2)
    assert next_due(daily, now) == at(2026, 11, 29, 2) and previous_due(daily, now) == at(2026, 11, 28, 2)
    monday = sched(Period.EVERY_WEEK, 2, 2)
    assert next_due(monday, now) == at(2026, 11, 30, 2) and previous_due(monday, now) == at(2026, 11, 23, 2)
    monthly = sched(Period.EVERY_MONTH, 23, 31)  # November has 30 days: the 30th stands in
    assert next_due(monthly, now) == at(2026, 11, 30, 23)
    assert next_due(monthly, at(2026, 12, 31, 23, 30)) == at(2027, 1, 31, 23)  # just past this month's: next


@pytest.mark.parametrize(("now", "nxt", "prev"), [
    (at(2026, 1, 31, 3), at(2026, 2, 28, 2), at(2026, 1, 31, 2)),  # February has no 31st
    (at(2026, 2, 10), at(2026, 2, 28, 2), at(2026, 1, 31, 2)),
    (at(2024, 2, 10), at(2024, 2, 29, 2), at(2024, 1, 31, 2)),  # leap year
    (at(2026, 3, 15), at(2026, 3, 31, 2), at(2026, 2, 28, 2)),
    (at(2026, 4, 30, 5), at(2026, 5, 31, 2), at(2026, 4, 30, 2)),  # April's last day stands in for 31
    (at(2026, 12, 31, 5), at(2027, 1, 31, 2), at(2026, 12, 31, 2)),  # year end
])
def test_monthly_on_day_31_across_month_ends(now: datetime, nxt: datetime, prev: datetime) -> None:
    s = sched(Period.EVERY_MONTH, 2, 31)
    assert next_due(s, now) == nxt
    assert previous_due(s, now) == prev


def test_monthly_day_missing_or_zero_means_the_first() -> None:
    for day in (None, 0, -3):
        s = sched(Period.EVERY_MONTH, 4, day)
        assert next_due(s, at(2026, 11, 28)) == at(2026, 12, 1, 4)
        assert previous_due(s, at(2026, 11, 28)) == at(2026, 11, 1, 4)


def test_an_unknown_period_has_no_times() -> None:
    s = sched(Period.UNKNOWN)
    assert next_due(s, at(2026, 11, 28)) is None and previous_due(s, at(2026, 11, 28)) is None
    assert overdue_since(s, at(2026, 11, 28).timestamp(), None) is None


def test_a_now_in_another_zone_is_read_as_the_same_instant() -> None:
    s = sched(Period.EVERY_DAY, 2)
    tokyo_morning = datetime(2026, 11, 28, 10, 30, tzinfo=timezone(timedelta(hours=9)))  # 01:30 UTC
    assert next_due(s, tokyo_morning) == at(2026, 11, 28, 2)


_SCHEDULES = st.one_of(
    st.builds(sched, st.just(Period.EVERY_DAY), st.integers(0, 23)),
    st.builds(sched, st.just(Period.EVERY_WEEK), st.integers(0, 23), st.integers(1, 7)),
    st.builds(sched, st.just(Period.EVERY_MONTH), st.integers(0, 23), st.integers(1, 31)),
)


@pytest.mark.slow
@settings(max_examples=200, deadline=None)
@given(_SCHEDULES, st.datetimes(datetime(2020, 1, 1), datetime(2035, 12, 31), timezones=st.just(UTC)))
def test_previous_is_at_or_before_now_and_next_is_the_one_after(s: Schedule, now: datetime) -> None:
    prev, nxt = previous_due(s, now), next_due(s, now)
    assert prev is not None and nxt is not None
    assert prev <= now < nxt
    assert next_due(s, prev) == nxt  # nothing scheduled in between
    for moment in (prev, nxt):
        assert (moment.hour, moment.minute, moment.second, moment.microsecond) == (s.hour, 0, 0, 0)
        if s.period is Period.EVERY_WEEK:
            assert (moment.weekday() + 1) % 7 == (s.day or 1) - 1  # Quartz 1 = Sunday
        if s.period is Period.EVERY_MONTH:
            assert moment.day == min(s.day or 1, calendar.monthrange(moment.year, moment.month)[1])


# ---------------------------------------------------------------- overdue


def test_overdue_when_the_last_backup_is_three_days_old() -> None:
    now = at(2026, 11, 28, 10)
    s = sched(Period.EVERY_DAY, 2)
    assert overdue_since(s, now.timestamp(), at(2026, 11, 25, 2, 5)) == at(2026, 11, 28, 2).timestamp()


def test_not_overdue_when_it_ran_today() -> None:
    now = at(2026, 11, 28, 10)
    assert overdue_since(sched(Period.EVERY_DAY, 2), now.timestamp(), at(2026, 11, 28, 2, 10)) is None
    # a few minutes early still counts
    assert overdue_since(sched(Period.EVERY_DAY, 2), now.timestamp(), at(2026, 11, 28, 1, 56)) is None


def test_never_backed_up_is_overdue_since_the_last_due_time() -> None:
    assert overdue_since(sched(Period.EVERY_DAY, 2), at(2026, 11, 28, 10).timestamp(), None) == \
        at(2026, 11, 28, 2).timestamp()


def test_the_schedules_own_last_backup_time_is_not_a_backup() -> None:
    """lastBackupTime is when the scheduler dispatched a run (it may have failed) and starts over at "never"
    when the schedule is saved: overdue is judged by the backups actually made."""
    dispatched_today = sched(Period.EVERY_DAY, 2, last=at(2026, 11, 28, 2, 0, 3))
    now = at(2026, 11, 28, 10).timestamp()
    assert overdue_since(dispatched_today, now, at(2026, 11, 25, 2, 2)) == at(2026, 11, 28, 2).timestamp()
    saved_again = sched(Period.EVERY_DAY, 2, last=None)
    assert overdue_since(saved_again, now, at(2026, 11, 28, 2, 2)) is None


def test_inside_the_grace_period_the_previous_run_is_judged() -> None:
    now = at(2026, 11, 28, 3)  # one hour after today's run was due
    assert timedelta(hours=2) == GRACE
    daily = sched(Period.EVERY_DAY, 2)
    yesterday, stale = at(2026, 11, 27, 2, 3), at(2026, 11, 25, 2)
    assert overdue_since(daily, now.timestamp(), yesterday) is None  # today's may still be running
    assert overdue_since(daily, now.timestamp(), stale) == at(2026, 11, 27, 2).timestamp()
    # once the grace is over, today's run is the one judged
    assert overdue_since(daily, at(2026, 11, 28, 4, 1).timestamp(), yesterday) == at(2026, 11, 28, 2).timestamp()
    assert overdue_since(daily, now.timestamp(), yesterday, grace=timedelta(minutes=30)) == \
        at(2026, 11, 28, 2).timestamp()


def test_weekly_and_monthly_overdue() -> None:
    sunday, last_sunday = sched(Period.EVERY_WEEK, 2, 1), at(2026, 11, 15, 2, 30)
    assert overdue_since(sunday, at(2026, 11, 28).timestamp(), last_sunday) == at(2026, 11, 22, 2).timestamp()
    assert overdue_since(sunday, at(2026, 11, 21).timestamp(), last_sunday) is None
    monthly, last_month = sched(Period.EVERY_MONTH, 2, 31), at(2026, 1, 31, 2, 20)
    assert overdue_since(monthly, at(2026, 2, 27).timestamp(), last_month) is None
    assert overdue_since(monthly, at(2026, 3, 1).timestamp(), last_month) == at(2026, 2, 28, 2).timestamp()


# ---------------------------------------------------------------- in the viewer's zone


KATHMANDU = ZoneInfo("Asia/Kathmandu")  # UTC+05:45
NEW_YORK = ZoneInfo("America/New_York")


def test_words_in_the_viewers_zone_with_the_portals_beside() -> None:
    now = at(2027, 1, 15, 8)
    assert (words(sched(Period.EVERY_DAY), en(KATHMANDU), now) ==
            "Every day at 07:45 Asia/Kathmandu time (02:00 UTC on the portal's clock), keeps 7 copies")
    # Sunday 02:00 UTC is Saturday evening in New York
    assert (words(sched(Period.EVERY_WEEK, 2, 1, stored=None), en(NEW_YORK), now) ==
            "Every Saturday at 21:00 America/New_York time (Sunday 02:00 UTC on the portal's clock)")
    assert (words(sched(Period.EVERY_MONTH, 2, 1, stored=None), en(NEW_YORK), now) ==
            "Every month on day 1 at 02:00 UTC on the portal's clock (21:00 the day before, America/New_York time)")
    assert words(sched(Period.EVERY_DAY), EN, now) == "Every day at 02:00 UTC, keeps 7 copies"
