"""A 30-day strip per portal: one cell a day saying what happened, in words, an icon and a text glyph.

Pure: the backups the portal lists, the operations the app recorded, the schedule and the clock go in;
day cells come out, oldest first, the last one today in the viewer's zone. Colour is never the only
sign: every kind has its own Material icon and its own text glyph.

Which backups happened is :mod:`lib.jobs.backups_made`'s (the portal's list, the app's recordings, each backup
once; never the schedule's ``lastBackupTime``).

When a day is **missed**: the schedule (``lib.jobs.schedule``; hours in the portal's clock, read as UTC)
expected a run at an instant ``due`` that falls on that day in the viewer's zone, and

1. something was known by then: ``due`` is at or after the earliest of the first backup on record (any
   source), the first recorded backup operation, and ``watched_since`` (minus :data:`EARLY`); restores
   say nothing about backups (restore progress needs no key, backups do). Before that the
   app cannot tell a missed backup from one it never heard of: those days are "unknown", never "missed";
2. the grace has passed: ``now >= due + GRACE`` (2 h, as for "overdue");
3. no backup was made from ``due - EARLY`` to ``due + GRACE``, and no backup operation that failed, is
   running, or went away unseen was seen in that window: a failed scheduled backup is told as "failed",
   not also "missed". A cancelled one does not count: no backup was made, so the day is "missed".

A later backup that day does not undo "missed" (the scheduled run did not happen on time); the words
then list both. Today, a run that is due, or due less than the grace ago, is "due", not "missed".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from lib import text, timewords
from lib.i18n import N_, Viewer
from lib.jobs.backups_made import EARLY, RECORDED, Backup, known_since, merged_backups, norm_id, same_backup, size_words
from lib.jobs.recorded import RecordedOperation
from lib.jobs.schedule import GRACE, next_due
from lib.portal.models import Period, Schedule

#: how much of the portal's own error text a cell quotes
PORTAL_TEXT_LEN = 80


@dataclass(frozen=True, slots=True)
class Kind:
    name: str
    icon: str  # a Material icon name (Streamlit ships the font)
    symbol: str  # a text glyph, for places where icons cannot render
    color: str  # a Streamlit badge colour; never the only sign


#: most important first: a day shows the first kind it has a fact of
KINDS: dict[str, Kind] = {k.name: k for k in (
    Kind("failed", "cancel", "✕", "red"),
    Kind("missed", "event_busy", "!", "orange"),
    Kind("running", "autorenew", "…", "blue"),
    Kind("restore", "settings_backup_restore", "↺", "violet"),
    Kind("backup", "check_circle", "✓", "green"),
    Kind("due", "schedule", "○", "gray"),
    Kind("none", "remove", "·", "gray"),
    Kind("unknown", "help", "?", "gray"),
)}
_RANK = {name: i for i, name in enumerate(KINDS)}
_PERIOD = {Period.EVERY_DAY: N_("a daily {time} backup"), Period.EVERY_WEEK: N_("a weekly {time} backup"),
           Period.EVERY_MONTH: N_("a monthly {time} backup")}


@dataclass(frozen=True, slots=True)
class DayCell:
    """One day of the strip. ``words`` is the whole sentence for the tooltip or a tap."""

    date: date
    kind: str  # failed, missed, running, restore, backup, due, none, unknown
    words: str
    today: bool = False
    backups: int = 0
    restores: int = 0
    failures: int = 0
    missed: int = 0

    @property
    def icon(self) -> str:
        return KINDS[self.kind].icon

    @property
    def material(self) -> str:
        """``:material/check_circle:``, for ``st.badge`` or Markdown."""
        return f":material/{self.icon}:"

    @property
    def symbol(self) -> str:
        return KINDS[self.kind].symbol

    @property
    def color(self) -> str:
        return KINDS[self.kind].color

    @property
    def words_md(self) -> str:
        """The words escaped for Markdown (a tooltip renders Markdown; they quote the portal's text)."""
        return text.md_escape(self.words)


@dataclass(frozen=True, slots=True)
class _Fact:
    kind: str
    at: float
    words: str


def day_cells(now: float, viewer: Viewer, days: int = 30, *, backups: list[Backup],
              operations: list[RecordedOperation], schedule: Schedule | None,
              watched_since: float | None) -> list[DayCell]:
    """One cell per day for the last ``days`` days in the viewer's zone, oldest first; the last is today.

    ``backups``: the portal's list (``Backup.listed``); recorded backups are taken from ``operations``
    (completed backup operations) and merged with the list.
    ``watched_since``: since when this app has been watching the portal's backup progress (with a key),
    without a gap, if it has; it makes the days since then judgeable even where the list has rotated away.
    """
    v, tz = viewer, viewer.tz
    today = datetime.fromtimestamp(now, tz).date()
    dates = [today - timedelta(days=k) for k in range(days - 1, -1, -1)]
    if not dates:
        return []
    starts = [_day_start(d, tz) for d in dates]
    window_start, window_end = starts[0], _day_start(today + timedelta(days=1), tz)
    ops = _unique_operations([op for op in operations if op.kind in ("backup", "restore")])
    made = merged_backups(backups, ops)
    known = known_since(made, ops, watched_since)

    facts: dict[date, list[_Fact]] = {d: [] for d in dates}
    counts: dict[date, dict[str, int]] = {d: {"backups": 0, "restores": 0, "failures": 0, "missed": 0} for d in dates}

    def day_of(at: float) -> date | None:
        if not window_start <= at < window_end:
            return None
        return datetime.fromtimestamp(at, tz).date()

    # backups made, grouped by day
    by_day: dict[date, list[Backup]] = {}
    for b in made:
        d = day_of(b.created.timestamp())
        if d is not None:
            by_day.setdefault(d, []).append(b)
    for d, group in by_day.items():
        group.sort(key=lambda b: b.created)
        facts[d].append(_Fact("backup", group[0].created.timestamp(), _backups_words(group, v)))
        counts[d]["backups"] = len(group)

    # operations: restores, failures, cancellations, jobs seen unfinished, jobs running now
    for op in ops:
        fact = _operation_fact(op, v, now, made)
        if fact is None:
            continue
        d = today if fact.kind == "running" else day_of(fact.at)
        if d is None:
            continue
        facts[d].append(fact)
        if fact.kind == "failed":
            counts[d]["failures"] += 1
        if op.kind == "restore" and op.outcome == "completed":
            counts[d]["restores"] += 1

    # the schedule: missed runs, and today's run that is still to come
    for due in _dues(schedule, window_start, window_end):
        fact = _due_fact(schedule, due, now, v, known, made, ops)  # type: ignore[arg-type]
        d = day_of(due)
        if fact is None or d is None:
            continue
        facts[d].append(fact)
        if fact.kind == "missed":
            counts[d]["missed"] += 1

    cells = []
    for d, start in zip(dates, starts, strict=True):
        day_facts = sorted(facts[d], key=lambda f: (_RANK[f.kind], f.at))
        is_today = d == today
        label = v._("Today ({day})", day=v.day(d)) if is_today else v.day(d)
        if day_facts:
            kind = day_facts[0].kind
            words = "; ".join(f.words for f in day_facts)
        elif known is None or known > start:
            kind, words = "unknown", _unknown_words(known, start, v)
        else:
            kind, words = "none", v._("nothing scheduled, nothing ran yet") if is_today else \
                v._("nothing scheduled, nothing ran")
        cells.append(DayCell(d, kind, v._("{day}: {what}", day=label, what=words), is_today, **counts[d]))
    return cells


def strip_summary(cells: list[DayCell], viewer: Viewer) -> str:
    """``Backed up on 27 of the last 30 days · 2 missed · 1 restore`` (days before any record left out)."""
    v = viewer
    known = [c for c in cells if c.kind != "unknown"]
    if not known:
        return v._("Nothing on record for these days yet.")
    with_backup = sum(1 for c in known if c.backups)
    n = len(known)
    if n == 1:
        head = v._("Backed up today") if with_backup else v._("No backup today")
    elif with_backup:
        head = v.n_("Backed up on {backed} of the last {n} day", "Backed up on {backed} of the last {n} days", n,
                    backed=with_backup)
    else:
        head = v.n_("No backup in the last {n} day", "No backup in the last {n} days", n)
    parts = [head]
    missed = sum(c.missed for c in cells)
    failed = sum(c.failures for c in cells)
    restores = sum(c.restores for c in cells)
    if missed:
        parts.append(v.n_("{n} missed", "{n} missed", missed))
    if failed:
        parts.append(v.n_("{n} failed", "{n} failed", failed))
    if restores:
        parts.append(v.n_("{n} restore", "{n} restores", restores))
    if len(known) < len(cells):
        parts.append(v._("nothing on record before {day}", day=v.day(known[0].date)))
    return " · ".join(parts)


def strip_text(cells: list[DayCell]) -> str:
    """The strip as text glyphs, oldest first: ``✓✓!✓↺✓·`` (for a plain text fallback)."""
    return "".join(c.symbol for c in cells)


# ---------------------------------------------------------------- operations


def _unique_operations(ops: list[RecordedOperation]) -> list[RecordedOperation]:
    """One row per task (a task recorded under two scopes counts once), keeping the most finished one."""
    out: dict[tuple[str, str], RecordedOperation] = {}
    for op in sorted(ops, key=lambda o: (o.outcome == "running", o.first_seen)):
        key = (op.kind, norm_id(op.task_id) or op.id)
        out.setdefault(key, op)
    return sorted(out.values(), key=lambda o: o.first_seen)


def _operation_fact(op: RecordedOperation, v: Viewer, now: float, made: list[Backup]) -> _Fact | None:
    noun = op.kind
    end = op.ended if op.ended is not None else op.last_seen
    at = v.time(end)
    pct = v.percent(op.last_percent)
    if op.outcome == "running":
        since = v.clock(op.started if op.started is not None else op.first_seen, now)
        if op.started is not None:
            return _Fact("running", now, v.k_(noun, "{noun} running since {time}, {percent}", time=since, percent=pct))
        return _Fact("running", now, v.k_(noun, "{noun} running, first seen {time}, {percent}", time=since,
                                          percent=pct))
    if op.outcome == "failed":
        why = text.clean(op.portal_text, PORTAL_TEXT_LEN)
        if why:
            return _Fact("failed", end, v.k_(noun, "{noun} failed at {time} — {text}", time=at, text=why))
        return _Fact("failed", end, v.k_(noun, "{noun} failed at {time}", time=at))
    if op.outcome == "cancelled":
        return _Fact("none", end, v.k_(noun, "{noun} cancelled at {time}", time=at))
    if op.outcome == "completed" and noun == "restore":
        if op.started is not None:
            return _Fact("restore", end, v._("restore completed at {time} after {duration}", time=at,
                                             duration=v.duration(end - op.started)))
        return _Fact("restore", end, v._("restore completed at {time}", time=at))
    if op.outcome == "completed":
        return None  # told with the backups made
    # vanished: the job went away before the app saw how it ended
    if noun == "backup" and _backup_of(op, made):
        return None  # the portal lists the file: it is told with the backups made
    return _Fact("restore" if noun == "restore" else "none", end,
                 v.k_(noun, "a {noun} was seen until {time}; how it ended is not known", time=at))


def _backup_of(op: RecordedOperation, made: list[Backup]) -> bool:
    """Whether a backup in the list is this (unfinished-looking) operation's file."""
    began = timewords.utc(op.started if op.started is not None else op.first_seen)
    probe = Backup(timewords.utc(op.last_seen), None, RECORDED, op.task_id, began)
    return any(b.source != RECORDED and same_backup(b, probe) for b in made)


# ---------------------------------------------------------------- the schedule


def _dues(schedule: Schedule | None, start: float, end: float) -> list[float]:
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


def _due_fact(schedule: Schedule, due: float, now: float, v: Viewer, known: float | None,
              made: list[Backup], ops: list[RecordedOperation]) -> _Fact | None:
    """What a scheduled instant says: nothing (it was kept, or nothing was known), missed, or due."""
    lo, hi = due - EARLY.total_seconds(), due + GRACE.total_seconds()
    if any(lo <= b.created.timestamp() <= hi for b in made):
        return None
    for op in ops:  # a scheduled backup that failed, is running or ended unseen is told as that
        if op.kind == "backup" and op.outcome in ("failed", "running", "vanished"):
            end = now if op.outcome == "running" else (op.ended if op.ended is not None else op.last_seen)
            if op.first_seen <= hi and end >= lo:
                return None
    what = v._(_PERIOD.get(schedule.period, N_("a scheduled {time} backup")), time=v.time(due))
    if due > now:
        return _Fact("due", due, v._("{what} is scheduled", what=what))
    if known is None or due < known - EARLY.total_seconds():
        return None  # before anything was known: not a miss the app can see
    if now < hi:
        return _Fact("due", due, v._("{what} was scheduled, none yet (late after {time})", what=what,
                                     time=v.time(hi)))
    return _Fact("missed", due, v._("missed — {what} was scheduled, none was made", what=what))


# ---------------------------------------------------------------- words


def _backups_words(group: list[Backup], v: Viewer) -> str:
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


def _unknown_words(known: float | None, day_start: float, v: Viewer) -> str:
    if known is None:
        return v._("not known — nothing on record yet")
    moment = datetime.fromtimestamp(known, v.tz)
    if known - day_start < 86_400 and moment.date() == datetime.fromtimestamp(day_start, v.tz).date():
        return v._("not known — nothing on record before {time}", time=v.time(known))
    return v._("not known — nothing on record before {day}", day=v.day(moment.date()))


# ---------------------------------------------------------------- time


def _day_start(d: date, tz: tzinfo) -> float:
    return datetime.combine(d, time(), tzinfo=tz).timestamp()
