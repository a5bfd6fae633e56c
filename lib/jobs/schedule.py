"""The automatic backup schedule in words, when it is next due, and whether a run is overdue.

DocSpace returns ``lastBackupTime`` and the cron parameters but no screen of its own says whether a
scheduled backup was missed. Hours are in the portal's clock; DocSpace cloud runs on UTC, so we read
them as UTC and say so.
"""

from __future__ import annotations

import calendar
from datetime import UTC, datetime, timedelta

from lib.i18n import Viewer
from lib.portal.models import Period, Schedule
from lib.timewords import zone_label

#: how long after the scheduled time a backup may still be running before we call it overdue
GRACE = timedelta(hours=2)


def words(schedule: Schedule, viewer: Viewer, now: datetime | None = None) -> str:
    """``Every day at 02:00 UTC, keeps 7 copies``; in another viewer's zone, that zone's time first and
    the portal's own beside it: ``Every day at 07:45 Asia/Kathmandu time (02:00 UTC on the portal's
    clock), keeps 7 copies`` (the hour as it falls at the next run, so summer time is right)."""
    nxt = next_due(schedule, now or datetime.now(UTC))
    portal = viewer.with_zone(UTC)
    at = portal.time((nxt or (now or datetime.now(UTC)).replace(hour=schedule.hour, minute=0)).timestamp())
    zone = zone_label(viewer.tz)
    local = nxt.astimezone(viewer.tz) if nxt is not None and zone != "UTC" else None
    here = viewer.time(local.timestamp()) if local is not None else ""
    day = schedule.day or 1
    if schedule.period is Period.EVERY_DAY:
        text = viewer._("Every day at {time} {zone} time ({portal_time} UTC on the portal's clock)", time=here,
                        zone=zone, portal_time=at) if local else viewer._("Every day at {time} UTC", time=at)
    elif schedule.period is Period.EVERY_WEEK:
        weekday = portal.weekday(nxt, short=False) if nxt is not None else ""
        text = viewer._("Every {weekday} at {time} UTC", weekday=weekday, time=at)
        if local is not None:
            text = viewer._("Every {weekday} at {time} {zone} time ({portal_weekday} {portal_time} UTC on the "
                            "portal's clock)", weekday=viewer.weekday(local, short=False), time=here, zone=zone,
                            portal_weekday=weekday, portal_time=at)
    elif schedule.period is Period.EVERY_MONTH:
        text = viewer._("Every month on day {day} at {time} UTC", day=day, time=at)
        if local is not None and nxt is not None:
            shift = (local.date() - nxt.date()).days
            if shift == 0:
                text = viewer._("Every month on day {day} at {time} {zone} time ({portal_time} UTC on the portal's "
                                "clock)", day=day, time=here, zone=zone, portal_time=at)
            elif shift < 0:
                text = viewer._("Every month on day {day} at {portal_time} UTC on the portal's clock ({time} the day "
                                "before, {zone} time)", day=day, portal_time=at, time=here, zone=zone)
            else:
                text = viewer._("Every month on day {day} at {portal_time} UTC on the portal's clock ({time} the day "
                                "after, {zone} time)", day=day, portal_time=at, time=here, zone=zone)
    else:
        text = viewer._("On a schedule this app does not know")
    if schedule.backups_stored:
        text = viewer.n_("{schedule}, keeps {n} copy", "{schedule}, keeps {n} copies", schedule.backups_stored,
                         schedule=text)
    return text


def previous_due(schedule: Schedule, now: datetime) -> datetime | None:
    """The latest scheduled time at or before ``now``."""
    nxt = next_due(schedule, now - _period_length(schedule))
    if nxt is None:
        return None
    prev = nxt
    while True:
        candidate = next_due(schedule, prev + timedelta(seconds=1))
        if candidate is None or candidate > now:
            return prev
        prev = candidate


def next_due(schedule: Schedule, now: datetime) -> datetime | None:
    """The first scheduled time strictly after ``now``."""
    now = now.astimezone(UTC)
    base = now.replace(minute=0, second=0, microsecond=0, hour=schedule.hour)
    if schedule.period is Period.EVERY_DAY:
        return base if base > now else base + timedelta(days=1)
    if schedule.period is Period.EVERY_WEEK:
        target = _weekday_index(schedule.day)
        ahead = (target - _sunday_based(base)) % 7
        candidate = base + timedelta(days=ahead)
        return candidate if candidate > now else candidate + timedelta(days=7)
    if schedule.period is Period.EVERY_MONTH:
        year, month = base.year, base.month
        for _ in range(3):
            day = min(max(schedule.day or 1, 1), calendar.monthrange(year, month)[1])
            candidate = base.replace(year=year, month=month, day=day)
            if candidate > now:
                return candidate
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return None


def overdue_since(schedule: Schedule, now_ts: float, last: datetime | None, grace: timedelta = GRACE) -> float | None:
    """When the missed run was due (a timestamp), if the schedule expected a backup that did not happen.

    ``last``: when the newest backup that was actually made was made (lib.jobs.backups_made.last_backup_time),
    never the schedule's lastBackupTime: that is when a run was dispatched, whether or not it succeeded, and
    it starts over at "never" whenever the schedule is saved."""
    now = datetime.fromtimestamp(now_ts, UTC)
    expected = previous_due(schedule, now)
    if expected is None or now - expected < grace:
        if expected is None:
            return None
        # still inside the grace period of the latest run: judge the run before it
        expected = previous_due(schedule, expected - timedelta(seconds=1))
        if expected is None:
            return None
    if last is not None and last >= expected - timedelta(minutes=5):
        return None
    return expected.timestamp()


def _period_length(schedule: Schedule) -> timedelta:
    return {Period.EVERY_WEEK: timedelta(days=8), Period.EVERY_MONTH: timedelta(days=32)}.get(
        schedule.period, timedelta(days=2))


def _weekday_index(day: int | None) -> int:
    """DocSpace's cron day-of-week is Quartz style: 1 = Sunday … 7 = Saturday."""
    return ((day or 1) - 1) % 7


def _sunday_based(moment: datetime) -> int:
    return (moment.weekday() + 1) % 7
