"""The History page's decisions: every operation known (recorded, or only in DocSpace's audit trail) in words,
and each portal's 30-day strip.

The strip's inputs come from four places: the backup files the app has kept (the portal lists only its last
few copies), the portal's current list and schedule, the operations the app recorded, and DocSpace's audit
trail as far as the watcher read it (:mod:`lib.views.known`). The list adds to the recorded operations what
only the trail knows: restores started while nobody watched, and failed backups the watcher did not see.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lib import timewords
from lib.db.store import HistoryStore
from lib.i18n import N_, NOUNS, Viewer
from lib.jobs.recorded import RecordedOperation
from lib.jobs.trail import failed_backups, unique, unwatched_restores
from lib.portal.audit import FAILED, AuditAction
from lib.text import clean
from lib.views import strip
from lib.views.export import safe_table
from lib.views.known import Known, portal_known, shared, stopped_sentence

#: the words a viewer reads for each recorded outcome
OUTCOMES = {"completed": N_("completed"), "failed": N_("failed"), "cancelled": N_("cancelled"),
            "vanished": N_("ended unseen"), "running": N_("running")}
DAYS = 30
MONTH = 31
#: the most rows the list shows
LIMIT = 500


@dataclass(frozen=True)
class Strip:
    cells: list[strip.DayCell]
    summary: str  # "Backed up on 27 of the last 30 days · 2 missed · 1 restore"
    notable: list[str]  # the missed, failed and restore days in words (for a phone or a wall screen)
    alarm: str = ""  # automatic backups stopped: one sentence, or ""


@dataclass(frozen=True)
class Row:
    """One line of the list: a recorded operation, or what only DocSpace's audit trail knows (``op`` None)."""

    portal: str
    kind: str  # restore, backup
    at: float  # when it started, or was first seen
    outcome: str  # as :data:`OUTCOMES` names it (a restore nobody watched ended unseen)
    op: RecordedOperation | None = None
    scheduled: bool = False  # the schedule ran it (from the trail)
    user: str = ""  # who, as the trail names them: a person's name, shown only to signed-in viewers


def portal_strip(store: HistoryStore, portal: str, backups: Any, now: float, viewer: Viewer,
                 label: str = "") -> Strip:
    """``backups``: the portal's latest (history, schedule) answer, or None when it is not known; ``label``: the
    portal's name in the alarm, when automatic backups stopped.

    Kept until the history or the answer changes (or a minute passes): every viewer of the Backups
    and History pages shares one, instead of several database reads per viewer and tick."""
    listed, schedule = backups if isinstance(backups, tuple) else ([], None)
    key = ("strip", portal, label, tuple(r.id for r in listed), schedule, store.generation,
           timewords.zone_label(viewer.tz), viewer.language, str(viewer.locale), int(now // 60))
    return shared(store, key, lambda: _portal_strip(portal_known(store, portal, now), backups, now, viewer, label))


def _portal_strip(known: Known, backups: Any, now: float, viewer: Viewer, label: str) -> Strip:
    answered = isinstance(backups, tuple)
    listed, schedule = backups if answered else ([], None)
    stopped = known.stopped(schedule, now) if answered else None
    recent = known.recent(now - (DAYS + 1 + MONTH) * 86_400)  # a month before the window: a monthly schedule's run
    cells = strip.day_cells(now, viewer, DAYS, backups=known.files(listed), operations=list(recent.operations),
                            schedule=schedule, watched_since=known.watched_since, events=recent.events,
                            trail_from=known.read.complete_from if known.read else None,
                            removed=stopped.removed if stopped else None)
    gone = viewer.moment(stopped.removed.before.timestamp()).date() if stopped else None
    notable = [c.words for c in reversed(cells) if c.kind in ("failed", "missed", "restore") or c.date == gone]
    alarm = stopped_sentence(stopped, label or viewer._("this portal"), viewer) if stopped else ""
    return Strip(cells, strip.strip_summary(cells, viewer), notable, alarm)


def trail_rows(store: HistoryStore, portal: str, now: float) -> list[Row]:
    """What only the audit trail knows of a portal: restores nobody watched, backups that failed unseen."""
    known = portal_known(store, portal, now)
    ops = list(known.operations)
    events = unique(known.events)
    failed = {f.when for f in failed_backups(events, ops) if f.scheduled is not None and not f.recorded}
    rows = [Row(portal, "restore", when.timestamp(), "vanished", user=_user(events, AuditAction.RESTORE_STARTED, when))
            for when in unwatched_restores(events, ops)]
    rows += [Row(portal, "backup", e.when.timestamp(), "failed", scheduled=e.scheduled, user=e.user)
             for e in events if e.action_id in FAILED and e.when in failed]
    return rows


def _user(events: list[Any], action: int, when: Any) -> str:
    return next((e.user for e in events if e.action_id == action and e.when == when), "")


def rows_of(ops: list[RecordedOperation], trail: list[Row], kind: str | None = None,
            outcome: str | None = None) -> list[Row]:
    """The recorded operations and the trail's rows, filtered as asked, newest first (at most :data:`LIMIT`)."""
    rows = [Row(op.portal, op.kind, op.started if op.started is not None else op.first_seen, op.outcome, op)
            for op in ops]
    rows += trail
    return sorted((r for r in rows if kind in (None, r.kind) and outcome in (None, r.outcome)),
                  key=lambda r: r.at, reverse=True)[:LIMIT]


def took(op: RecordedOperation, v: Viewer) -> str:
    """``42 min``; ``at least 20 min`` when the start was not seen; ``seen for 3 min`` when the end was
    not seen either; empty while it runs."""
    if op.ended is None:
        return ""
    if op.outcome == "vanished":
        return v._("seen for {duration}", duration=v.duration(op.ended - op.first_seen))
    if op.started is not None:
        return v.duration(op.ended - op.started)
    return v._("at least {duration}", duration=v.duration(op.ended - op.first_seen))


def outcome_words(op: RecordedOperation, v: Viewer) -> str:
    """``completed``; ``failed at 42 %``, with the percent where it stopped."""
    if op.outcome in ("failed", "cancelled", "vanished"):
        return v._("{outcome} at {percent}", outcome=v._(OUTCOMES[op.outcome]), percent=v.percent(op.last_percent))
    return v._(OUTCOMES.get(op.outcome, op.outcome))


def row_outcome(row: Row, v: Viewer) -> str:
    """How it ended in words; for what only the trail knows, that it is from the trail."""
    if row.op is not None:
        return outcome_words(row.op, v)
    if row.kind == "restore":
        return v._("started; how it ended is not known (nobody watched)")
    return v._("failed — DocSpace keeps no reason in its audit trail")


def operations_table(rows: list[Row], labels: dict[str, str], viewer: Viewer, *,
                     names: bool = False) -> dict[str, list[str]]:
    """The list as the History page shows it, newest first, one list per column; ``names``: who started what, as
    the audit trail names them (a person's name: only for signed-in viewers)."""
    v = viewer
    zone = timewords.zone_label(v.tz)
    table = {
        v._("Portal"): [labels.get(r.portal, r.portal) for r in rows],
        v._("Operation"): [v._("scheduled backup") if r.scheduled else v._(NOUNS.get(r.kind, NOUNS["operation"]))
                           for r in rows],
        v._("Started ({zone})", zone=zone): [_started(r, v) for r in rows],
        v._("Ended ({zone})", zone=zone): [v.clock(r.op.ended, day=True) if r.op and r.op.ended is not None else ""
                                           for r in rows],
        v._("Took"): [took(r.op, v) if r.op else "" for r in rows],
        v._("Outcome"): [row_outcome(r, v) for r in rows],
        v._("The portal said"): [clean(r.op.portal_text, 300) if r.op else "" for r in rows],
    }
    if names and any(r.user for r in rows):
        table[v._("By")] = [r.user for r in rows]
    return safe_table(table)  # Streamlit's table toolbar exports the cells as shown


def _started(row: Row, v: Viewer) -> str:
    if row.op is None or row.op.started is not None:
        return v.clock(row.at, day=True)
    return v._("first seen {time}", time=v.clock(row.op.first_seen, day=True))
