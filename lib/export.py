"""The history as CSV, for the download button."""

from __future__ import annotations

import csv
import io
from datetime import datetime, tzinfo

from lib import humanize
from lib.models import HistoryRecord
from lib.timeline import Timeline


def timeline_csv(timeline: Timeline, tz: tzinfo) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([f"time ({humanize.zone_label(tz)})", "percent", "phase", "tenant", "task", "error",
                     "check failed"])
    for p in timeline.points:
        writer.writerow([
            datetime.fromtimestamp(p.at, tz).strftime("%Y-%m-%d %H:%M:%S"),
            "" if p.percent is None else p.percent,
            p.phase.value,
            "" if p.tenant_id is None else p.tenant_id,
            _cell(p.task_id),
            _cell(p.error),
            _cell(p.problem.message) if p.problem else "",
        ])
    return out.getvalue()


def history_csv(records: list[HistoryRecord], tz: tzinfo) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    zone = humanize.zone_label(tz)
    writer.writerow([f"created ({zone})", "stored in", "file", f"expires ({zone})", "id"])
    for r in records:
        writer.writerow([humanize.date_time(r.created_on, tz), r.storage_type.words, _cell(r.file_name),
                         humanize.date_time(r.expires_on, tz) if r.expires_on else "never", _cell(r.id)])
    return out.getvalue()


def _cell(text: str) -> str:
    """Keep spreadsheet apps from running portal text as a formula (CSV injection)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
