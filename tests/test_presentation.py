"""Figure, words, safe text, links and CSV: pure functions of the history."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

from lib import timewords
from lib.charts import downsample, timeline_figure
from lib.errors import PortalUnreachable
from lib.export import backups_csv, timeline_csv
from lib.links import safe_download
from lib.models import HistoryRecord, Operation, Progress, StorageType, TaskStatus
from lib.text import clean, md_escape
from lib.timeline import Timeline


def restore_timeline(percents: list[int], *, error: str = "") -> Timeline:
    t = Timeline(Operation.RESTORE)
    for i, pct in enumerate(percents):
        last = i == len(percents) - 1
        t.record(1_800_000_000.0 + 10 * i, Progress(pct == 100 or (last and bool(error)), pct,
                                                   error if last else "", Operation.RESTORE, 1, "t",
                                                   TaskStatus.RUNNING))
    return t


def test_figure_steps_bands_and_notes() -> None:
    t = restore_timeline([0, 10, 40, 75, 100])
    fig = timeline_figure(t, UTC)
    line = fig.data[0]
    assert line.line.shape == "hv" and list(line.y) == [0, 10, 40, 75, 100]
    assert fig.layout.yaxis.range[0] < 0 and fig.layout.yaxis.range[1] > 100
    assert len(fig.layout.shapes) == 3  # preparing, restoring data, finishing up
    notes = [a.text for a in fig.layout.annotations]
    assert "Start" in notes and "Completed" in notes and "restoring data" in notes


def test_figure_marks_failure_and_failed_checks() -> None:
    t = restore_timeline([10, 20, 42], error="boom")
    t.record(1_800_000_100.0, PortalUnreachable("timeout"))
    fig = timeline_figure(t, UTC)
    assert "Failed" in [a.text for a in fig.layout.annotations]
    problems = fig.data[1]
    assert problems.name == "Portal not answering" and problems.marker.symbol == "x" and list(problems.y) == [42]


def test_running_line_reaches_the_last_check() -> None:
    t = restore_timeline([10, 20])
    t.record(1_800_000_500.0, Progress(False, 20, "", Operation.RESTORE, 1, "t", TaskStatus.RUNNING))
    assert len(timeline_figure(t, UTC).data[0].x) == 3


def test_downsample_keeps_ends_and_events() -> None:
    t = Timeline(Operation.RESTORE, max_points=5000)
    for i in range(2000):
        t.record(float(i), Progress(False, 10 + i % 60, "", Operation.RESTORE, 1, "t", TaskStatus.RUNNING)
                 if i != 777 else PortalUnreachable("dropped"))
    kept = downsample(t.points, 300)
    assert len(kept) <= 300 and kept[0] is t.points[0] and kept[-1] is t.points[-1]
    assert any(p.problem is not None for p in kept)
    assert len(timeline_figure(t, UTC).to_json()) < 150_000


HOSTILE = ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "[x](javascript:alert(1))", "**bold**",
           ":red[x]", "https://evil.example", "www.evil.com", "a@evil.com"]


def test_md_escape_leaves_no_markup() -> None:
    for text in HOSTILE:
        out = md_escape(text)
        for sign in "<>[]()*:":
            assert sign not in out.replace("\\" + sign, "")
    assert "\u2060" in md_escape("https://evil.example") and "\u2060" not in md_escape("at 10:41, 3.5%")


def test_clean_drops_control_and_direction_tricks_and_caps_length() -> None:
    assert clean("a\u202eb\u200bc\x07d\x1b[31m") == "a b c d [31m"
    long = clean("x" * 10_000)
    assert len(long) == 400 and long.endswith("…")


def test_safe_download() -> None:
    portal = "https://portal.example"
    assert safe_download("/backup/f.tar.gz", portal) == "https://portal.example/backup/f.tar.gz"
    assert safe_download("https://portal.example/x", portal) == "https://portal.example/x"
    for bad in ("https://evil.example/x", "javascript:alert(1)", "data:text/html,x", "//evil.example/x",
                "https://me@portal.example/x", "http://portal.example/x", "ftp://portal.example/x", "", "/a\nb"):
        assert safe_download(bad, portal) is None, bad


def test_csv_exports() -> None:
    t = restore_timeline([10, 20], error="=HYPERLINK(\"http://x\")")
    rows = list(csv.reader(io.StringIO(timeline_csv(t, UTC))))
    assert rows[0][0] == "time (UTC)" and rows[-1][5].startswith("'=")
    records = [HistoryRecord("1", "=cmd|x", StorageType.DATASTORE, datetime(2026, 1, 2, 3, 4, tzinfo=UTC), None)]
    rows = list(csv.reader(io.StringIO(backups_csv(records, UTC))))
    assert rows[1] == ["2026-01-02 03:04", "temporary storage (24 h)", "'=cmd|x", "never", "1"]


def test_humanize() -> None:
    assert timewords.duration(42) == "42 s" and timewords.duration(185) == "3 min"
    assert timewords.duration(3900) == "1 h 05 min" and timewords.duration(3 * 86400 + 7200) == "3 days 2 h"
    assert timewords.ago(3) == "just now" and timewords.ago(120) == "2 min ago"
    assert timewords.ago(5 * 86400) == "5 days ago"
    assert timewords.span(1200, 1800) == "20–30 min" and timewords.span(1450, 1550) == "about 25 min"
    assert timewords.span(5, 20) == "less than a minute" and timewords.span_short(5, 20) == "< 1 min"
    assert timewords.zone("Not/AZone") is UTC and str(timewords.zone("Europe/Berlin")) == "Europe/Berlin"
    now = datetime(2026, 11, 28, 10, 5, tzinfo=UTC).timestamp()
    assert timewords.clock(now, UTC, now) == "10:05" and timewords.clock(now - 86400, UTC, now) == "Nov 27, 10:05"
    assert json.dumps(timewords.clock(now, UTC, seconds=True)) == '"10:05:00"'


# ---------------------------------------------------------------- the footer: the real wait


def test_the_footer_shows_the_real_wait_after_failures() -> None:
    from datetime import UTC

    from lib.viewing import Watch

    t0 = 1_800_000_000.0  # 08:00:00 UTC
    watch = Watch()
    after_failures = watch.footer(t0, t0 + 8, 2, t0 + 6, UTC, 2, False)
    assert after_failures == ("Last checked 08:00:00 · next check in 2 s (2 checks failed, so checks are now "
                              "8 s apart instead of 2 s) · times in UTC")
    assert "waiting longer" not in after_failures
    assert watch.footer(t0, t0 + 5, 0, t0 + 4, UTC, 5, False) == \
        "Last checked 08:00:00 · next check in 1 s · times in UTC"  # the real wait, not the interval
    assert watch.footer(t0, t0 + 5, 0, t0 + 5.5, UTC, 5, False) == "Last checked 08:00:00 · checking now · times in UTC"
