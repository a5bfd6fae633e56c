"""A 30-day strip per portal: one cell a day saying what happened, in words, an icon and a text glyph.

Pure: the backups the portal lists, the operations the app recorded, DocSpace's audit trail as far as it was
read, the schedule and the clock go in; day cells come out, oldest first, the last one today in the viewer's
zone. Colour is never the only sign: every kind has its own Material icon and its own text glyph.

Which backups happened is :mod:`lib.jobs.backups_made`'s (the portal's list, the app's recordings and the
audit trail, each backup once; never the schedule's ``lastBackupTime``). A failed backup is "failed" whichever
of the trail and the recordings knows it, with the portal's words when the watcher saw them; a restore the
trail says started while nobody watched is told as such.

When a day is **missed**: the schedule (``lib.jobs.schedule``; hours in the portal's clock, read as UTC)
expected a run at an instant ``due`` that falls on that day in the viewer's zone, and

1. something was known by then: ``due`` is at or after the earliest of the first backup on record (any
   source), the first recorded backup operation, ``watched_since`` and where the audit trail read is
   complete from (minus :data:`EARLY`); restores say nothing about backups (restore progress needs no key,
   backups do). Before that the app cannot tell a missed backup from one it never heard of: those days are
   "unknown", never "missed";
2. the schedule is known to have existed then: the trail reaches further back than anything else, so a day
   known only from the trail and before its first scheduled run is "no backup ran", not "missed";
3. the grace has passed: ``now >= due + GRACE`` (2 h, as for "overdue");
4. no backup was made from ``due - EARLY`` to ``due + GRACE``, none failed then, and no backup operation that
   is running or went away unseen was seen in that window: a failed scheduled backup is told as "failed",
   not also "missed". A cancelled one does not count: no backup was made, so the day is "missed".

A later backup that day does not undo "missed" (the scheduled run did not happen on time); the words
then list both. Today, a run that is due, or due less than the grace ago, is "due", not "missed".
When the schedule went away (``removed``), that day says so and every quiet day after it is "stopped",
never a calm "nothing scheduled".
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from lib import text
from lib.i18n import Viewer
from lib.jobs.backups_made import AUDIT, Backup, known_since, merged_backups, norm_id
from lib.jobs.recorded import RecordedOperation
from lib.jobs.trail import ScheduleRemoved, failed_backups, first_scheduled, unwatched_restores
from lib.portal.audit import AuditEvent
from lib.portal.models import Schedule
from lib.views.strip_facts import (
    Fact,
    Judged,
    backups_words,
    due_fact,
    dues,
    failed_fact,
    operation_fact,
    removed_fact,
    stopped_words,
    unknown_words,
    unwatched_fact,
)


@dataclass(frozen=True, slots=True)
class Kind:
    name: str
    icon: str  # a Material icon name (Streamlit ships the font)
    symbol: str  # a text glyph, for places where icons cannot render
    color: str  # a Streamlit badge colour; never the only sign


#: most important first: a day shows the first kind it has a fact of
KINDS: dict[str, Kind] = {k.name: k for k in (
    Kind("failed", "cancel", "✕", "red"),
    Kind("stopped", "block", "⊘", "red"),
    Kind("missed", "event_busy", "!", "orange"),
    Kind("running", "autorenew", "…", "blue"),
    Kind("restore", "settings_backup_restore", "↺", "violet"),
    Kind("backup", "check_circle", "✓", "green"),
    Kind("due", "schedule", "○", "gray"),
    Kind("none", "remove", "·", "gray"),
    Kind("unknown", "help", "?", "gray"),
)}
_RANK = {name: i for i, name in enumerate(KINDS)}


@dataclass(frozen=True, slots=True)
class DayCell:
    """One day of the strip. ``words`` is the whole sentence for the tooltip or a tap."""

    date: date
    kind: str  # failed, stopped, missed, running, restore, backup, due, none, unknown
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


def day_cells(now: float, viewer: Viewer, days: int = 30, *, backups: list[Backup],
              operations: list[RecordedOperation], schedule: Schedule | None, watched_since: float | None,
              events: Sequence[AuditEvent] = (), trail_from: float | None = None,
              removed: ScheduleRemoved | None = None) -> list[DayCell]:
    """One cell per day for the last ``days`` days in the viewer's zone, oldest first; the last is today.

    ``backups``: the portal's list (``Backup.listed``); recorded backups are taken from ``operations``
    (completed backup operations) and the audit trail's from ``events``, each backup once.
    ``watched_since``: since when this app has been watching the portal's backup progress (with a key),
    without a gap, if it has; it makes the days since then judgeable even where the list has rotated away.
    ``trail_from``: from when the audit trail the app read is complete. ``removed``: the schedule went away
    (the portal answers without one now).
    """
    v, tz = viewer, viewer.tz
    today = datetime.fromtimestamp(now, tz).date()
    grid = _Days([today - timedelta(days=k) for k in range(days - 1, -1, -1)], tz)
    if not grid.dates:
        return []
    ops = _unique_operations([op for op in operations if op.kind in ("backup", "restore")])
    made = merged_backups(backups, ops, events)
    known = known_since(made, ops, watched_since, trail_from)
    judged = Judged(made, failed_backups(events, ops), ops, known, _scheduled_from(made, ops, watched_since, events))
    _facts(grid, judged, v, now, schedule, events, removed)
    cells = []
    for d, start in zip(grid.dates, grid.starts, strict=True):
        day_facts = sorted(grid.facts[d], key=lambda f: (_RANK[f.kind], f.at))
        is_today = d == today
        label = v._("Today ({day})", day=v.day(d)) if is_today else v.day(d)
        if day_facts:
            kind = day_facts[0].kind
            words = "; ".join(f.words for f in day_facts)
        elif removed is not None and start >= removed.before.timestamp():
            kind, words = "stopped", stopped_words(removed, v)
        elif known is None or known > start:
            kind, words = "unknown", unknown_words(known, start, v)
        else:
            kind, words = "none", v._("nothing scheduled, nothing ran yet") if is_today else \
                v._("nothing scheduled, nothing ran")
        cells.append(DayCell(d, kind, v._("{day}: {what}", day=label, what=words), is_today, **grid.counts[d]))
    return cells


class _Days:
    """The strip's days, and the facts and counts gathered for each."""

    def __init__(self, dates: list[date], tz: tzinfo):
        self.dates, self.tz = dates, tz
        self.starts = [_day_start(d, tz) for d in dates]
        self.facts: dict[date, list[Fact]] = {d: [] for d in dates}
        self.counts = {d: {"backups": 0, "restores": 0, "failures": 0, "missed": 0} for d in dates}
        self.end = _day_start(dates[-1] + timedelta(days=1), tz) if dates else 0.0

    def day_of(self, at: float) -> date | None:
        if not self.starts[0] <= at < self.end:
            return None
        return datetime.fromtimestamp(at, self.tz).date()

    def add(self, fact: Fact, on: date | None = None, count: str = "") -> None:
        d = on or self.day_of(fact.at)
        if d is None:
            return
        self.facts[d].append(fact)
        if count:
            self.counts[d][count] += 1


def _facts(grid: _Days, judged: Judged, v: Viewer, now: float, schedule: Schedule | None,
           events: Sequence[AuditEvent], removed: ScheduleRemoved | None) -> None:
    """Every fact of the window on its day: backups made, operations, failures, restores nobody watched, the
    schedule's runs, and the day the schedule went away."""
    by_day: dict[date, list[Backup]] = {}
    for b in judged.made:
        d = grid.day_of(b.created.timestamp())
        if d is not None:
            by_day.setdefault(d, []).append(b)
    for d, group in by_day.items():
        group.sort(key=lambda b: b.created)
        grid.add(Fact("backup", group[0].created.timestamp(), backups_words(group, v)), d)
        grid.counts[d]["backups"] = len(group)
    today = grid.dates[-1]
    for op in judged.ops:  # restores, cancellations, jobs seen unfinished, jobs running now
        fact = operation_fact(op, v, now, judged.made)
        if fact is not None:
            grid.add(fact, today if fact.kind == "running" else None,
                     "failures" if fact.kind == "failed" else
                     "restores" if op.kind == "restore" and op.outcome == "completed" else "")
    for failure in judged.failures:
        grid.add(failed_fact(failure, schedule, v), count="failures")
    for started in unwatched_restores(events, judged.ops):
        grid.add(unwatched_fact(started, v), count="restores")
    for due in dues(schedule, grid.starts[0], grid.end):
        fact = due_fact(schedule, due, now, v, judged)  # type: ignore[arg-type]
        if fact is not None:
            grid.add(fact, grid.day_of(due), "missed" if fact.kind == "missed" else "")
    if removed is not None:
        grid.add(removed_fact(removed, v))


def _scheduled_from(made: list[Backup], ops: list[RecordedOperation], watched_since: float | None,
                    events: Sequence[AuditEvent]) -> float | None:
    """From when the schedule is known to have existed: what was on record before the trail was read, or the
    trail's first scheduled run (a portal whose trail goes back further may have had no schedule then)."""
    before = known_since([b for b in made if b.source != AUDIT], ops, watched_since)
    first = first_scheduled(events)
    if first is None:
        return before
    return first.timestamp() if before is None else min(before, first.timestamp())


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


def _unique_operations(ops: list[RecordedOperation]) -> list[RecordedOperation]:
    """One row per task (a task recorded under two scopes counts once), keeping the most finished one."""
    out: dict[tuple[str, str], RecordedOperation] = {}
    for op in sorted(ops, key=lambda o: (o.outcome == "running", o.first_seen)):
        key = (op.kind, norm_id(op.task_id) or op.id)
        out.setdefault(key, op)
    return sorted(out.values(), key=lambda o: o.first_seen)


# ---------------------------------------------------------------- time


def _day_start(d: date, tz: tzinfo) -> float:
    return datetime.combine(d, time(), tzinfo=tz).timestamp()
