"""The History page's decisions: every recorded operation in words, and each portal's 30-day strip.

The strip's inputs come from three places: the backup files the app has kept (the portal lists only
its last few copies), the portal's current list and schedule, and the operations the app recorded.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from lib import timewords
from lib.db.store import HistoryStore
from lib.i18n import N_, NOUNS, Viewer
from lib.jobs.backups_made import Backup
from lib.jobs.recorded import RecordedOperation
from lib.text import clean
from lib.views import strip

#: the words a viewer reads for each recorded outcome
OUTCOMES = {"completed": N_("completed"), "failed": N_("failed"), "cancelled": N_("cancelled"),
            "vanished": N_("ended unseen"), "running": N_("running")}
DAYS = 30
_strips: dict[tuple[Any, ...], Strip] = {}
_lock = threading.Lock()


@dataclass(frozen=True)
class Strip:
    cells: list[strip.DayCell]
    summary: str  # "Backed up on 27 of the last 30 days · 2 missed · 1 restore"
    notable: list[str]  # the missed, failed and restore days in words (for a phone or a wall screen)


def portal_strip(store: HistoryStore, portal: str, backups: Any, now: float, viewer: Viewer) -> Strip:
    """``backups``: the portal's latest (history, schedule) answer, or None when it is not known.

    Kept until the history or the answer changes (or a minute passes): every viewer of the Backups
    and History pages shares one, instead of three database reads per viewer and tick."""
    listed, schedule = backups if isinstance(backups, tuple) else ([], None)
    key = (portal, tuple(r.id for r in listed), schedule, store.generation, timewords.zone_label(viewer.tz),
           viewer.language, str(viewer.locale), int(now // 60))
    with _lock:
        if key in _strips:
            return _strips[key]
    strip_ = _portal_strip(store, portal, backups, now, viewer)
    with _lock:
        _strips[key] = strip_
        while len(_strips) > 32:
            _strips.pop(next(iter(_strips)))
    return strip_


def _portal_strip(store: HistoryStore, portal: str, backups: Any, now: float, viewer: Viewer) -> Strip:
    since = now - (DAYS + 1) * 86_400
    listed, schedule = backups if isinstance(backups, tuple) else ([], None)
    records = {r.id: r for r in store.kept_backups(portal, since)} | {r.id: r for r in listed}
    cells = strip.day_cells(now, viewer, DAYS, backups=[Backup.listed(r) for r in records.values()],
                            operations=store.operations(portal=portal, since=since), schedule=schedule,
                            watched_since=store.backups_known_since(portal))
    notable = [c.words for c in reversed(cells) if c.kind in ("failed", "missed", "restore")]
    return Strip(cells, strip.strip_summary(cells, viewer), notable)


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


def operations_table(ops: list[RecordedOperation], labels: dict[str, str], viewer: Viewer) -> dict[str, list[str]]:
    """The recorded operations as the History page lists them, newest first, one list per column."""
    v = viewer
    zone = timewords.zone_label(v.tz)
    return {
        v._("Portal"): [labels.get(op.portal, op.portal) for op in ops],
        v._("Operation"): [v._(NOUNS.get(op.kind, NOUNS["operation"])) for op in ops],
        v._("Started ({zone})", zone=zone): [v.clock(op.started, day=True) if op.started is not None else
                                             v._("first seen {time}", time=v.clock(op.first_seen, day=True))
                                             for op in ops],
        v._("Ended ({zone})", zone=zone): [v.clock(op.ended, day=True) if op.ended is not None else "" for op in ops],
        v._("Took"): [took(op, v) for op in ops],
        v._("Outcome"): [outcome_words(op, v) for op in ops],
        v._("The portal said"): [clean(op.portal_text, 300) for op in ops],
    }
