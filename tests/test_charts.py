"""charts.timeline_figure and downsample: steps, phase bands, notes, failed checks, size."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import plotly.graph_objects as go
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lib.i18n import Msg
from lib.jobs.phases import Phase
from lib.jobs.timeline import Point, Problem, Timeline
from lib.portal.errors import PortalUnreachable, ServerError
from lib.portal.models import Operation, Progress, TaskStatus
from lib.views.charts import MAX_CHART_POINTS, PHASE_COLORS, downsample, timeline_figure
from tests.factories import EN, T0, completed, en, progress, timeline


def utc(at: float) -> datetime:
    return datetime.fromtimestamp(at, UTC).replace(tzinfo=None)


def full_restore() -> Timeline:
    return timeline(*[(at, progress(pct)) for at, pct in [(0, 0), (60, 10), (300, 40), (600, 75)]],
                    (900, completed()))


def line(fig: go.Figure) -> go.Scatter:
    return next(trace for trace in fig.data if trace.name == "Percent done")


def notes(fig: go.Figure) -> list[str]:
    return [a.text for a in fig.layout.annotations]


def test_y_axis_covers_0_to_100_and_the_line_steps() -> None:
    fig = timeline_figure(full_restore(), EN)
    low, high = fig.layout.yaxis.range
    assert low < 0 and high > 100  # a little room, so 0 % and 100 % are not drawn on the frame
    assert line(fig).line.shape == "hv"
    assert list(line(fig).y) == [0, 10, 40, 75, 100]
    assert list(line(fig).x) == [utc(T0 + a) for a in (0, 60, 300, 600, 900)]


def test_one_band_per_phase_segment() -> None:
    fig = timeline_figure(full_restore(), EN)
    rects = [s for s in fig.layout.shapes if s.type == "rect"]
    assert [(s.x0, s.x1, s.fillcolor) for s in rects] == [
        (utc(T0), utc(T0 + 60), PHASE_COLORS[Phase.PREPARING]),
        (utc(T0 + 60), utc(T0 + 600), PHASE_COLORS[Phase.RESTORING]),
        (utc(T0 + 600), utc(T0 + 900), PHASE_COLORS[Phase.FINISHING]),
    ]
    assert all(s.xref == "x" and s.yref == "paper" and (s.y0, s.y1) == (0, 1) for s in rects)
    assert len(fig.layout.shapes) == 3  # the bands are the only shapes


def test_start_and_completed_notes() -> None:
    texts = notes(timeline_figure(full_restore(), EN))
    assert "Start" in texts and "Completed" in texts and "Failed" not in texts
    assert "restoring data" in texts  # a wide band is labelled


def test_arriving_late_says_first_seen() -> None:
    t = timeline((0, progress(42)), (60, progress(43)))
    texts = notes(timeline_figure(t, EN))
    assert "First seen" in texts and "Start" not in texts


def test_failed_and_cancelled_notes() -> None:
    t = timeline((0, progress(0)), (60, completed(30, error="disk full")))
    assert "Failed" in notes(timeline_figure(t, EN))
    c = timeline((0, progress(0)), (60, progress(30, status=TaskStatus.CANCELED)))
    assert "Cancelled" in notes(timeline_figure(c, EN))


def test_a_failed_check_after_the_job_failed_is_marked_at_its_last_percent() -> None:
    t = timeline((0, progress(10)), (10, progress(20)), (20, completed(42, error="boom")),
                 (100, PortalUnreachable("timeout")))
    fig = timeline_figure(t, EN)
    assert "Failed" in notes(fig)
    (marks,) = [trace for trace in fig.data if trace.name != "Percent done"]
    assert marks.name == "Portal not answering" and marks.marker.symbol == "x" and list(marks.y) == [42]


def test_failed_polls_are_a_separate_x_marker_trace_at_the_last_percent() -> None:
    t = timeline((0, progress(20)), (5, PortalUnreachable("timeout")), (10, PortalUnreachable("timeout")),
                 (15, ServerError(status=502)), (20, progress(21)))
    fig = timeline_figure(t, EN)
    (marks,) = [trace for trace in fig.data if trace.name != "Percent done"]
    assert marks.name == "Portal not answering" and marks.mode == "markers" and marks.marker.symbol == "x"
    assert list(marks.y) == [20, 20] and list(marks.x) == [utc(T0 + 5), utc(T0 + 15)]
    assert list(marks.customdata) == ["08:00:05<br>check failed: unreachable", "08:00:15<br>check failed: server error"]
    assert fig.layout.showlegend is True
    assert 20 in line(fig).y and 21 in line(fig).y and line(fig).marker.symbol != "x"


def test_no_problems_no_legend() -> None:
    fig = timeline_figure(full_restore(), EN)
    assert len(fig.data) == 1 and fig.layout.showlegend is False


def test_the_line_reaches_the_last_poll_while_running() -> None:
    t = timeline((0, progress(30)), (60, progress(42)), *[(60 + 5 * k, progress(42)) for k in range(1, 20)])
    trace = line(timeline_figure(t, EN))
    assert trace.x[-1] == utc(T0 + 155) and trace.y[-1] == 42 and len(trace.x) == 3
    assert trace.customdata[-1].endswith("(last check)")


def test_the_line_stops_at_the_end_when_finished() -> None:
    t = full_restore()
    t.record(T0 + 2000, completed())
    trace = line(timeline_figure(t, EN))
    assert trace.x[-1] == utc(T0 + 900)


def test_empty_and_failure_only_timelines_draw_without_error() -> None:
    fig = timeline_figure(Timeline(Operation.RESTORE), EN)
    assert len(fig.data) == 0 and len(fig.layout.shapes) == 0
    fig = timeline_figure(timeline((0, PortalUnreachable("dns"))), EN)
    assert len(fig.data) == 1 and list(fig.data[0].y) == [0] and fig.data[0].marker.symbol == "x"


def test_times_are_in_the_viewers_zone() -> None:
    fig = timeline_figure(full_restore(), en(ZoneInfo("Europe/Berlin")))
    assert line(fig).x[0] == datetime(2027, 1, 15, 9, 0)  # UTC+1 in January
    assert fig.layout.xaxis.title.text == "Time (Europe/Berlin)"
    assert timeline_figure(full_restore(), EN).layout.xaxis.title.text == "Time (UTC)"


def test_a_600_point_timeline_makes_a_small_figure() -> None:
    t = Timeline(Operation.RESTORE, max_points=600)
    i = 0
    while len(t.points) < 600 and i < 10_000:
        t.record(T0 + 5 * i, progress(10 + i % 60) if i % 9 else ServerError(status=503))
        i += 1
    assert len(t.points) >= 590
    fig = timeline_figure(t, EN)
    assert sum(len(trace.x) for trace in fig.data) <= MAX_CHART_POINTS + 1
    assert len(fig.to_json()) < 150_000


def test_a_2000_point_timeline_is_drawn_from_its_ends_and_its_failure() -> None:
    t = Timeline(Operation.RESTORE, max_points=5000)
    for i in range(2000):
        t.record(T0 + i, progress(10 + i % 60) if i != 777 else PortalUnreachable("dropped"))
    kept = downsample(t.points, 300)
    assert len(kept) <= 300 and kept[0] is t.points[0] and kept[-1] is t.points[-1]
    assert any(p.problem is not None for p in kept)
    assert len(timeline_figure(t, EN).to_json()) < 150_000


# ---------------------------------------------------------------- downsample


def pt(at: float, percent: int = 10, phase: Phase = Phase.RESTORING, problem: bool = False) -> Point:
    return Point(at, percent, phase, problem=Problem("PortalUnreachable", "unreachable", Msg("m")) if problem else None)


def test_downsample_keeps_short_lists_as_they_are() -> None:
    points = [pt(i) for i in range(10)]
    assert downsample(points, 10) == points


def test_downsample_keeps_first_last_and_events() -> None:
    points = [pt(i, 10 + i % 50, Phase.PREPARING if i < 100 else Phase.RESTORING, problem=i % 97 == 5)
              for i in range(1000)]
    out = downsample(points, 50)
    assert len(out) <= 50 and out[0] is points[0] and out[-1] is points[-1]
    assert [p.at for p in out] == sorted(p.at for p in out)
    events = [p for p in points if p.problem is not None] + [points[100]]  # failures and the phase change
    assert all(e in out for e in events)


def test_downsample_with_more_events_than_room_keeps_the_first_and_the_newest() -> None:
    points = [pt(i, problem=True) for i in range(100)]
    out = downsample(points, 10)
    assert len(out) == 10 and out[0] is points[0] and out[-1] is points[-1]


@pytest.mark.slow
@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.sampled_from([Phase.PREPARING, Phase.RESTORING])), max_size=300),
       st.integers(2, 60))
def test_downsample_properties(spec: list[tuple[bool, Phase]], limit: int) -> None:
    points = [pt(float(i), i % 100, phase, problem) for i, (problem, phase) in enumerate(spec)]
    out = downsample(points, limit)
    assert len(out) <= limit
    index = {id(p): i for i, p in enumerate(points)}
    positions = [index[id(p)] for p in out]
    assert positions == sorted(set(positions))  # a subsequence, in order, no duplicates
    if points:
        assert out[0] is points[0] and out[-1] is points[-1]


@pytest.mark.parametrize("limit", [2, 3, 300])
def test_downsample_of_nothing(limit: int) -> None:
    assert downsample([], limit) == []


def test_a_completion_below_100_is_marked_as_reported() -> None:
    t = Timeline(Operation.RESTORE)
    t.record(T0, Progress(False, 20, "", Operation.RESTORE, 1, "t", status=TaskStatus.RUNNING))
    t.record(T0 + 60, Progress(True, 40, "", Operation.RESTORE, 1, "t", status=TaskStatus.COMPLETED))
    notes = [a.text for a in timeline_figure(t, EN).layout.annotations]
    assert "Reported complete at 40%" in notes and "Completed" not in notes


def test_the_line_stops_at_the_last_answer_when_the_checks_after_it_failed() -> None:
    """The portal has not answered since 08:01: the chart must not draw it "still at 42%" up to now."""
    t = Timeline(Operation.RESTORE)
    t.record(T0, progress(10))
    t.record(T0 + 60, progress(42))
    t.record(T0 + 90, PortalUnreachable("dropped"))
    t.record(T0 + 300, PortalUnreachable("dropped"))
    fig = timeline_figure(t, EN)
    line = next(trace for trace in fig.data if trace.name == "Percent done")
    assert line.x[-1] == datetime(2027, 1, 15, 8, 1)  # the last answer, not the last (failed) check


def test_a_slow_answer_is_not_drawn_as_silence() -> None:
    t = Timeline(Operation.RESTORE)
    t.record(T0, PortalUnreachable("timeout", waited=5, next_wait=10))
    t.record(T0 + 20, progress(15))
    names = [trace.name for trace in timeline_figure(t, EN).data]
    assert "Slow to answer" in names and "Portal not answering" not in names
