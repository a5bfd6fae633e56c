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
from datetime import tzinfo

import plotly.graph_objects as go

from lib import timewords
from lib.jobs.forecast import Past
from lib.jobs.timeline import Timeline
from lib.views.charts import timeline_figure
from lib.views.status import Status, describe

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


def live_view(timeline: Timeline, past: Past, tz: tzinfo, stall_floor: float, now: float) -> LiveView:
    """The view of this history; built the first time a viewer asks for it at this poll."""
    key = (timeline.operation, timeline.run_id, timeline.polls, timeline.last_poll_at, len(timeline.points),
           timewords.zone_label(tz), stall_floor, past.last.id if past.last else None,
           past.learned.runs[0].ended if past.learned and past.learned.runs else None)
    with _lock:
        found = _kept.get(key)
        if found is not None:
            _kept.move_to_end(key)
            return found
    # as of the last check: the same words for every viewer of this poll (the footer says when it was)
    at = timeline.last_poll_at if timeline.last_poll_at is not None else now
    view = LiveView(describe(timeline, at, tz, stall_floor=stall_floor, past=past),
                    timeline_figure(timeline, tz) if len(timeline.progress_points) >= 2 else None,
                    _details(timeline), f"{len(timeline.points)} change points over {timeline.polls} checks.")
    with _lock:
        _kept[key] = view
        while len(_kept) > KEPT:
            _kept.popitem(last=False)
    return view


def _details(timeline: Timeline) -> tuple[tuple[str, str], ...]:
    progress = timeline.last_progress
    if progress is None:
        return ()
    tenants = timeline.tenants
    return (
        ("Percent", f"{progress.progress}%"),
        ("Completed", "yes" if progress.is_completed else "no"),
        ("Operation", progress.operation.noun),
        ("Error", progress.error or "none"),
        ("Tenant", " → ".join(map(str, tenants)) + (" (changed during the restore: normal)" if len(tenants) > 1
                                                      else "")),
        ("Task id", progress.task_id or "—"),
    )
