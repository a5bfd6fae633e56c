"""What a live page shows for one poll: the words, the figure and the details, built once per poll.

Every viewer of the same portal at the same poll sees the same thing (the words are as of the last
check, which the footer names), so the view is built once and shared: a tick of the hundredth viewer
only looks it up. Keyed by what the history holds, not by object identity, so an app that only reads
the database shares it too. Pure: no Streamlit here.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

import plotly.graph_objects as go

from lib import timewords
from lib.i18n import NOUNS, Viewer
from lib.jobs.forecast import Past
from lib.jobs.timeline import Timeline
from lib.views import unwatched as unwatched_words
from lib.views.charts import timeline_figure
from lib.views.status import Status, describe
from lib.watching.health import Unwatched

#: views kept: a few per portal, page and time zone being watched right now
KEPT = 64


@dataclass(frozen=True)
class LiveView:
    status: Status
    figure: go.Figure | None  # None: one point is not a timeline (we arrived after the job ended)
    details: tuple[tuple[str, str], ...]  # (name, value) rows for "Details"
    counts: str  # "8 change points over 120 checks."


_kept: OrderedDict[tuple[object, ...], LiveView] = OrderedDict()
_lock = threading.Lock()


def live_view(timeline: Timeline, past: Past, viewer: Viewer, stall_floor: float, now: float,
              unwatched: Unwatched | None = None) -> LiveView:
    """The view of this history; built the first time a viewer asks for it at this poll. ``unwatched``:
    nobody watches, so it is the last known state, said as such."""
    key = (unwatched, timeline.operation, timeline.run_id, timeline.polls, timeline.last_poll_at, len(timeline.points),
           timewords.zone_label(viewer.tz), viewer.language, str(viewer.locale), stall_floor,
           past.last.id if past.last else None,
           past.learned.runs[0].ended if past.learned and past.learned.runs else None)
    with _lock:
        found = _kept.get(key)
        if found is not None:
            _kept.move_to_end(key)
            return found
    # as of the last check: the same words for every viewer of this poll (the footer says when it was)
    at = timeline.last_poll_at if timeline.last_poll_at is not None else now
    counts = viewer.n_("{n} change point", "{n} change points", len(timeline.points))
    status = describe(timeline, at, viewer, stall_floor=stall_floor, past=past)
    if unwatched is not None:
        status = unwatched_words.as_of_then(status, unwatched, viewer, now)
    view = LiveView(status,
                    timeline_figure(timeline, viewer) if len(timeline.progress_points) >= 2 else None,
                    _details(timeline, viewer),
                    viewer.n_("{points} over {n} check.", "{points} over {n} checks.", timeline.polls, points=counts))
    with _lock:
        _kept[key] = view
        while len(_kept) > KEPT:
            _kept.popitem(last=False)
    return view


def _details(timeline: Timeline, v: Viewer) -> tuple[tuple[str, str], ...]:
    progress = timeline.last_progress
    if progress is None:
        return ()
    tenants = " → ".join(map(str, timeline.tenants))
    if len(timeline.tenants) > 1:
        tenants = v._("{tenants} (changed during the restore: normal)", tenants=tenants)
    return (
        (v._("Percent"), v.percent(progress.progress)),
        (v._("Completed"), v._("yes") if progress.is_completed else v._("no")),
        (v._("Operation"), v._(NOUNS.get(progress.operation.noun, NOUNS["operation"]))),
        (v._("Error"), progress.error or v._("none")),
        (v._("Tenant"), tenants),
        (v._("Task id"), progress.task_id or "—"),
    )
