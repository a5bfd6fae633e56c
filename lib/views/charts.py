"""Timeline → plotly Figure: percent over time as steps, phases shaded, events marked. Pure."""

from __future__ import annotations

import html
import re
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING

import plotly.graph_objects as go

from lib.i18n import N_, Viewer
from lib.jobs.phases import Phase
from lib.jobs.timeline import Point, Problem, Timeline
from lib.portal.errors import SLOW, Category

if TYPE_CHECKING:
    from lib.views.strip import DayCell

#: a chart cannot show more than this usefully; older points are thinned, events always kept
MAX_CHART_POINTS = 300

PHASE_COLORS = {
    Phase.QUEUED: "#94a3b8",
    Phase.PREPARING: "#60a5fa",
    Phase.RESTORING: "#3b82f6",
    Phase.FINISHING: "#a78bfa",
    Phase.CREATING: "#3b82f6",
    Phase.UPLOADING: "#a78bfa",
    Phase.TRANSFERRING: "#3b82f6",
}
#: the legend of the failed checks, by kind
PROBLEM_NAMES: dict[Category | str, str] = {
    SLOW: N_("Slow to answer"),  # a time-out after which the next check waits longer
    Category.UNREACHABLE: N_("Portal not answering"),
    Category.UNREADABLE: N_("Answer not readable"),
    Category.MOVED: N_("Portal moved"),
    Category.AUTH: N_("Key refused"),
    Category.RESTORING: N_("Portal locked by a restore"),
}
LINE = "#2563eb"
FAIL = "#dc2626"
DONE = "#16a34a"
PROBLEM = "#f59e0b"


def timeline_figure(timeline: Timeline, viewer: Viewer) -> go.Figure:
    """Steps of percent over time with phase bands, problems as ✕ markers and start/end notes."""
    v, tz = viewer, viewer.tz
    points = downsample(timeline.points, MAX_CHART_POINTS)
    progress = [p for p in points if p.problem is None and p.percent is not None]
    problems = [p for p in points if p.problem is not None]
    traces: list[go.Scatter] = []
    shapes: list[dict] = []
    notes: list[dict] = []
    if progress:
        xs = [_dt(p.at, tz) for p in progress]
        ys = [p.percent for p in progress]
        hover = [_hover(v, p.at, p.percent or 0, v._(p.phase.value)) for p in progress]
        end = timeline.last_ok_at if timeline.last_problem is not None else timeline.last_poll_at
        if end is not None and end > progress[-1].at and progress[-1].phase.running:
            # carry the line to the last check that answered: "still at 42% then", never past what we know
            xs.append(_dt(end, tz))
            ys.append(ys[-1])
            hover.append(_hover(v, end, ys[-1] or 0, v._("{phase} (last check)", phase=v._(progress[-1].phase.value))))
        traces.append(go.Scatter(
            x=xs, y=ys, mode="lines+markers", line_shape="hv", name=v._("Percent done"),
            line={"color": LINE, "width": 3}, marker={"size": 7, "color": LINE},
            customdata=hover, hovertemplate="%{customdata}<extra></extra>",
        ))
        _phase_bands(shapes, notes, progress, v, end)
        first = v._("Start") if progress[0].percent in (0, None) else v._("First seen")  # we may have arrived late
        notes.append(_note(progress[0], first, LINE, tz, ay=-30))
        last = progress[-1]
        ending = {Phase.COMPLETED: (v._("Completed"), DONE), Phase.FAILED: (v._("Failed"), FAIL),
                  Phase.CANCELLED: (v._("Cancelled"), PROBLEM)}.get(last.phase)
        if last.phase is Phase.COMPLETED and (last.percent or 0) < 100:
            ending = (v._("Reported complete at {percent}", percent=v.percent(last.percent or 0)), PROBLEM)
        if ending is not None:
            notes.append(_note(last, *ending, tz, ay=30))
    for kind, name in PROBLEM_NAMES.items():  # one legend entry per kind: silence is not a bad answer
        marks = [p for p in problems if p.problem is not None and _kind(p.problem) == kind]
        if not marks:
            continue
        traces.append(go.Scatter(
            x=[_dt(p.at, tz) for p in marks],
            y=[p.percent if p.percent is not None else 0 for p in marks],
            mode="markers", name=v._(name),
            marker={"symbol": "x", "size": 12, "color": PROBLEM, "line": {"width": 2, "color": PROBLEM}},
            customdata=[html.escape(v.time(p.at, seconds=True)) + "<br>"
                        + html.escape(v._("check failed: {label}", label=v._(p.problem.label) if p.problem else ""))
                        for p in marks],
            hovertemplate="%{customdata}<extra></extra>",
        ))
    # One Figure built from plain dicts: add_vrect/add_annotation copy the layout on every call,
    # which made a tick several times slower.
    return go.Figure(data=traces, layout=dict(
        shapes=shapes,
        annotations=notes,
        height=340,
        margin={"l": 10, "r": 10, "t": 30, "b": 10},
        yaxis={"range": [-4, 108], "title": {"text": v._("Percent done")}, "ticksuffix": "%",
               "tickvals": [0, 25, 50, 75, 100], "fixedrange": True},
        xaxis={"title": {"text": v._("Time ({zone})", zone=_zone_name(tz))}, "tickformatstops": _tick_formats(v)},
        hovermode="closest",
        showlegend=bool(problems),
        legend={"orientation": "h", "y": -0.32},  # below the axis title, which a date line pushes down
        uirevision="timeline",
        paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="rgba(0,0,0,0)",
    ))


def _hover(v: Viewer, at: float, percent: int, phase: str) -> str:
    return f"{html.escape(v.time(at, seconds=True))}<br><b>{html.escape(v.percent(percent))}</b> · {html.escape(phase)}"


def _tick_formats(v: Viewer) -> list[dict]:
    """The time axis in the viewer's way, in numbers only (plotly's month names would be English):
    clock times (with seconds for steps under a minute), the locale's numeric day ("2.12.", "12/2") for
    steps of a day or more."""
    clock = "%H:%M" if v.clock24 or "a" not in v.locale.time_formats["short"].pattern else "%-I:%M %p"
    seconds = clock.replace("%M", "%M:%S")
    return [{"dtickrange": [None, 60_000], "value": seconds}, {"dtickrange": [60_000, 86_400_000], "value": clock},
            {"dtickrange": [86_400_000, None], "value": _d3(v.locale.datetime_skeletons["Md"].pattern)}]


def _d3(pattern: str) -> str:
    """A CLDR date pattern of days and months ("d.M.", "dd/MM", "M/d") as a d3 time format."""
    codes = {"dd": "%d", "d": "%-d", "MM": "%m", "M": "%-m"}
    return re.sub(r"dd|d|MM|M|'", lambda m: codes.get(m.group(), ""), pattern)


def downsample(points: list[Point], limit: int) -> list[Point]:
    """At most ``limit`` points: the first, the newest, every event, and an even stride of the rest."""
    if len(points) <= limit:
        return points
    keep = {0, len(points) - 1}
    keep |= {i for i, p in enumerate(points) if p.problem is not None
             or (i and p.phase is not points[i - 1].phase)}
    room = max(limit - len(keep), 0)
    rest = [i for i in range(len(points)) if i not in keep]
    if room and rest:
        step = len(rest) / room
        keep |= {rest[int(k * step)] for k in range(room)}
    chosen = sorted(keep)[-limit:] if len(keep) > limit else sorted(keep)
    if 0 not in chosen:
        chosen = [0, *chosen[1:]]
    return [points[i] for i in chosen]


def _phase_bands(shapes: list[dict], notes: list[dict], progress: list[Point], v: Viewer,
                 end: float | None) -> None:
    tz = v.tz
    segments: list[tuple[Phase, float, float]] = []
    for i, p in enumerate(progress):
        stop = progress[i + 1].at if i + 1 < len(progress) else max(end or p.at, p.at)
        if segments and segments[-1][0] is p.phase:
            segments[-1] = (p.phase, segments[-1][1], stop)
        else:
            segments.append((p.phase, p.at, stop))
    total = max((segments[-1][2] - segments[0][1]) if segments else 0.0, 1.0)
    for phase, start, stop in segments:
        color = PHASE_COLORS.get(phase)
        if color is None or stop <= start:
            continue
        shapes.append({"type": "rect", "xref": "x", "yref": "paper", "x0": _dt(start, tz), "x1": _dt(stop, tz),
                       "y0": 0, "y1": 1, "fillcolor": color, "opacity": 0.14, "line": {"width": 0},
                       "layer": "below"})
        # a label only where the band is wide enough to hold it (narrow screens, short phases)
        if (stop - start) / total >= 0.15:
            notes.append({"x": _dt(start, tz), "xref": "x", "y": 1, "yref": "paper",
                          "text": html.escape(v._(phase.value)), "showarrow": False, "xanchor": "left",
                          "yanchor": "top", "font": {"size": 11}})


def _note(point: Point, text: str, color: str, tz: tzinfo, *, ay: int) -> dict:
    return {"x": _dt(point.at, tz), "y": point.percent or 0, "text": text, "showarrow": True, "arrowhead": 2,
            "ax": 0, "ay": ay, "font": {"color": color, "size": 12}, "arrowcolor": color}


def _kind(problem: Problem) -> Category | str:
    return SLOW if problem.label == SLOW else problem.category


def _dt(at: float, tz: tzinfo) -> datetime:
    return datetime.fromtimestamp(round(at), tz).replace(tzinfo=None)


def _zone_name(tz: tzinfo) -> str:
    return str(tz) if str(tz) != "UTC" else "UTC"


#: the strip's cell colours, one per kind (the glyph on each cell tells the kind without colour)
#: mid-tones, so the strip reads on a light and a dark page alike; days not known yet are hatched as well
STRIP_COLORS = {"failed": "#dc2626", "missed": "#b45309", "running": "#2563eb", "restore": "#7c3aed",
                "backup": "#15803d", "due": "#cbd5e1", "none": "#94a3b8", "unknown": "#94a3b8",
                "stopped": "#7f1d1d"}
_STRIP_INK = {"none": "#0f172a", "unknown": "#0f172a", "due": "#0f172a"}


def strip_figure(cells: list[DayCell], viewer: Viewer) -> go.Figure:
    """One cell a day, oldest first: a coloured square with its glyph; pointing at (or tapping) one says
    what happened that day. Portal text in the words is escaped: plotly would render tags in a hover."""
    days = [c.date.isoformat() for c in cells]
    ticks = list(range(len(cells) - 1, -1, -7))[::-1]  # a date every week, ending today
    return go.Figure(data=[go.Bar(
        x=days, y=[1] * len(cells), marker={"color": [STRIP_COLORS[c.kind] for c in cells], "line": {"width": 0},
                                            "pattern": {"shape": ["/" if c.kind == "unknown" else "" for c in cells],
                                                        "fgcolor": "#475569", "size": 8, "solidity": 0.15,
                                                        "fillmode": "overlay"}},
        text=[c.symbol for c in cells], textposition="inside", insidetextanchor="middle",
        textfont={"color": [_STRIP_INK.get(c.kind, "#ffffff") for c in cells], "size": 14},
        hovertext=[html.escape(c.words) for c in cells], hoverinfo="text", width=0.86,
    )], layout=dict(
        height=92, margin={"l": 4, "r": 4, "t": 4, "b": 28}, bargap=0.1, showlegend=False,
        xaxis={"type": "category", "fixedrange": True, "tickangle": 0, "tickfont": {"size": 11},
               "tickvals": [days[i] for i in ticks],
               "ticktext": [viewer._("today") if cells[i].today else viewer.day(cells[i].date) for i in ticks]},
        yaxis={"visible": False, "fixedrange": True, "range": [0, 1]},
        hoverlabel={"align": "left"}, paper_bgcolor="rgba(0,0,0,0)", plot_bgcolor="rgba(0,0,0,0)",
    ))
