"""What one day of the strip is made of: facts (a backup, a failure, a restore, a missed or stopped schedule),
each with the instant it happened and its sentence. Pure; :mod:`lib.views.strip` puts them on their days.

A failed backup is told once, from DocSpace's audit trail or the app's recording, with the portal's own
words when the watcher saw them (:func:`lib.jobs.trail.failed_backups`). The trail never says why.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from lib import text, timewords
from lib.i18n import N_, Viewer
from lib.jobs.backups_made import EARLY, RECORDED, Backup, same_backup, size_words
from lib.jobs.recorded import RecordedOperation
from lib.jobs.schedule import GRACE, next_due, previous_due
from lib.jobs.trail import FailedBackup, ScheduleRemoved
from lib.portal.models import Period, Schedule

#: how much of the portal's own error text a cell quotes
PORTAL_TEXT_LEN = 80
#: a failure this long after a scheduled instant is that run's (a run takes minutes, a big one hours)
RUN_AT_MOST = timedelta(hours=6)
_PERIOD = {Period.EVERY_DAY: N_("a daily {time} backup"), Period.EVERY_WEEK: N_("a weekly {time} backup"),
           Period.EVERY_MONTH: N_("a monthly {time} backup")}


@dataclass(frozen=True, slots=True)
class Fact:
    kind: str
    at: float
    words: str


# ---------------------------------------------------------------- operations the app recorded


def operation_fact(op: RecordedOperation, v: Viewer, now: float, made: list[Backup]) -> Fact | None:
    """A recorded restore or backup in words; None when it is told elsewhere (a backup made, a failed backup)."""
    noun = op.kind
    end = op.ended if op.ended is not None else op.last_seen
    at = v.time(end)
    pct = v.percent(op.last_percent)
    if op.outcome == "running":
        since = v.clock(op.started if op.started is not None else op.first_seen, now)
        if op.started is not None:
            return Fact("running", now, v.k_(noun, "{noun} running since {time}, {percent}", time=since, percent=pct))
        return Fact("running", now, v.k_(noun, "{noun} running, first seen {time}, {percent}", time=since,
                                         percent=pct))
    if op.outcome == "failed":
        return None if noun == "backup" else failed_fact(FailedBackup(timewords.utc(end), None, op.portal_text),
                                                         None, v, noun)
    if op.outcome == "cancelled":
        return Fact("none", end, v.k_(noun, "{noun} cancelled at {time}", time=at))
    if op.outcome == "completed" and noun == "restore":
        if op.started is not None:
            return Fact("restore", end, v._("restore completed at {time} after {duration}", time=at,
                                            duration=v.duration(end - op.started)))
        return Fact("restore", end, v._("restore completed at {time}", time=at))
    if op.outcome == "completed":
        return None  # told with the backups made
    # vanished: the job went away before the app saw how it ended
    if noun == "backup" and _backup_of(op, made):
        return None  # the portal lists the file: it is told with the backups made
    return Fact("restore" if noun == "restore" else "none", end,
                v.k_(noun, "a {noun} was seen until {time}; how it ended is not known", time=at))


def _backup_of(op: RecordedOperation, made: list[Backup]) -> bool:
    """Whether a backup in the list is this (unfinished-looking) operation's file."""
    began = timewords.utc(op.started if op.started is not None else op.first_seen)
    probe = Backup(timewords.utc(op.last_seen), None, RECORDED, op.task_id, began)
    return any(b.source != RECORDED and same_backup(b, probe) for b in made)


# ---------------------------------------------------------------- what the audit trail adds


def failed_fact(failure: FailedBackup, schedule: Schedule | None, v: Viewer, noun: str = "backup") -> Fact:
    """A failed backup: the scheduled run it was (when the trail says so), with the portal's words when the
    watcher saw them, else that DocSpace keeps no reason."""
    at = failure.when.timestamp()
    why = text.clean(failure.reason, PORTAL_TEXT_LEN)
    due = _run_of(schedule, failure.when) if failure.scheduled else None
    if due is not None:
        words = v._("the scheduled {time} backup failed — {text}", time=v.time(due), text=why) if why else \
            v._("the scheduled {time} backup failed — DocSpace keeps no reason in its audit trail", time=v.time(due))
    elif failure.scheduled:
        words = v._("a scheduled backup failed at {time} — {text}", time=v.time(at), text=why) if why else \
            v._("a scheduled backup failed at {time} — DocSpace keeps no reason in its audit trail", time=v.time(at))
    elif why:
        words = v.k_(noun, "{noun} failed at {time} — {text}", time=v.time(at), text=why)
    elif failure.scheduled is False:
        words = v._("backup failed at {time} — DocSpace keeps no reason in its audit trail", time=v.time(at))
    else:
        words = v.k_(noun, "{noun} failed at {time}", time=v.time(at))
    return Fact("failed", at, words)


def _run_of(schedule: Schedule | None, when: datetime) -> float | None:
    """The scheduled instant a run that failed at ``when`` was started for, if the schedule says."""
    if schedule is None:
        return None
    due = previous_due(schedule, when + EARLY)
    return due.timestamp() if due is not None and when - due <= RUN_AT_MOST else None


def unwatched_fact(started: datetime, v: Viewer) -> Fact:
    """A restore the trail says started while the app did not watch."""
    at = started.timestamp()
    return Fact("restore", at, v._("a restore started at {time}; how it ended is not known", time=v.time(at)))


def removed_fact(removed: ScheduleRemoved, v: Viewer) -> Fact:
    """The day the schedule went away (the day before too, when it went across midnight)."""
    after, before = removed.after.timestamp(), removed.before.timestamp()
    across = v.moment(after).date() != v.moment(before).date()
    start, end = v.clock(after, day=across), v.clock(before, day=across)
    if start == end:
        return Fact("stopped", before, v._("automatic backups stopped: the schedule was removed at {time}", time=end))
    return Fact("stopped", before, v._("automatic backups stopped: the schedule was removed between {start} and "
                                       "{end}", start=start, end=end))


def stopped_words(removed: ScheduleRemoved, v: Viewer) -> str:
    """A day after the schedule went away, with nothing else to tell."""
    return v._("no automatic backups since the schedule was removed on {day}", day=v.day(removed.before.astimezone(
        v.tz)))


# ---------------------------------------------------------------- the schedule


def dues(schedule: Schedule | None, start: float, end: float) -> list[float]:
    """Scheduled instants in [start, end)."""
    if schedule is None:
        return []
    out: list[float] = []
    moment = datetime.fromtimestamp(start, UTC) - timedelta(seconds=1)
    while True:
        nxt = next_due(schedule, moment)
        if nxt is None or nxt.timestamp() >= end:
            return out
        out.append(nxt.timestamp())
        moment = nxt


@dataclass(frozen=True, slots=True)
class Judged:
    """What decides a scheduled instant: what was made, what failed, what ran, and from when on it can be told."""

    made: list[Backup]
    failures: list[FailedBackup]
    ops: list[RecordedOperation]
    known: float | None  # something was on record from here on
    scheduled_from: float | None  # the schedule is known to have existed from here on


def due_fact(schedule: Schedule, due: float, now: float, v: Viewer, judged: Judged) -> Fact | None:
    """What a scheduled instant says: nothing (it was kept, failed, or nothing was known), missed, or due."""
    lo, hi = due - EARLY.total_seconds(), due + GRACE.total_seconds()
    if any(lo <= b.created.timestamp() <= hi for b in judged.made):
        return None
    if any(lo <= f.when.timestamp() <= hi for f in judged.failures):
        return None  # told as "failed", not also "missed"
    for op in judged.ops:  # a scheduled backup that is running or ended unseen is told as that
        if op.kind == "backup" and op.outcome in ("running", "vanished"):
            end = now if op.outcome == "running" else (op.ended if op.ended is not None else op.last_seen)
            if op.first_seen <= hi and end >= lo:
                return None
    what = v._(_PERIOD.get(schedule.period, N_("a scheduled {time} backup")), time=v.time(due))
    if due > now:
        return Fact("due", due, v._("{what} is scheduled", what=what))
    early = EARLY.total_seconds()
    if judged.known is None or due < judged.known - early:
        return None  # before anything was known: not a miss the app can see
    if judged.scheduled_from is None or due < judged.scheduled_from - early:
        return Fact("none", due, v._("no backup ran (the schedule may not have existed yet)"))
    if now < hi:
        return Fact("due", due, v._("{what} was scheduled, none yet (late after {time})", what=what,
                                    time=v.time(hi)))
    return Fact("missed", due, v._("missed — {what} was scheduled, none was made", what=what))


# ---------------------------------------------------------------- words


def backups_words(group: list[Backup], v: Viewer) -> str:
    items = [(v.time(b.created.timestamp()), b.size_bytes) for b in group]
    if len(items) == 1:
        at, size = items[0]
        if size is not None:
            return v._("backup at {time}, {size}", time=at, size=size_words(size, v))
        return v._("backup at {time}", time=at)
    sized = any(size is not None for _, size in items)
    parts = [at if size is None else v._("{time}, {size}", time=at, size=size_words(size, v)) for at, size in items]
    return v.n_("{n} backup ({times})", "{n} backups ({times})", len(items),
                times=("; " if sized else ", ").join(parts))


def unknown_words(known: float | None, day_start: float, v: Viewer) -> str:
    if known is None:
        return v._("not known — nothing on record yet")
    moment = datetime.fromtimestamp(known, v.tz)
    if known - day_start < 86_400 and moment.date() == datetime.fromtimestamp(day_start, v.tz).date():
        return v._("not known — nothing on record before {time}", time=v.time(known))
    return v._("not known — nothing on record before {day}", day=v.day(moment.date()))
