"""Tables the pages show and the same tables as CSV, for the download buttons."""

from __future__ import annotations

import csv
import io
from datetime import datetime, tzinfo
from typing import Any

from lib import timewords
from lib.jobs.timeline import Timeline
from lib.portal.models import BackupFile
from lib.text import clean


def timeline_csv(timeline: Timeline, tz: tzinfo) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([f"time ({timewords.zone_label(tz)})", "percent", "phase", "tenant", "task", "error",
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


def backup_table(records: list[BackupFile], tz: tzinfo) -> dict[str, list[str]]:
    """The backup files as the Backups page shows them: one list per column, headed."""
    zone = timewords.zone_label(tz)
    return {
        f"Created ({zone})": [timewords.date_time(r.created_on, tz) for r in records],
        "Stored in": [r.storage_type.words for r in records],
        "File": [clean(r.file_name, 200) for r in records],
        f"Expires ({zone})": [timewords.date_time(r.expires_on, tz) if r.expires_on else "never" for r in records],
    }


def backups_csv(records: list[BackupFile], tz: tzinfo) -> str:
    """The same table as CSV, with each file's id."""
    return table_csv({**backup_table(records, tz), "Id": [r.id for r in records]})


def table_csv(table: dict[str, list[Any]]) -> str:
    """A page's table (one list per column) as CSV, every cell kept from running as a formula."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(table)
    writer.writerows(zip(*([_cell(str(v)) for v in column] for column in table.values()), strict=True))
    return out.getvalue()


def _cell(text: str) -> str:
    """Keep spreadsheet apps from running portal text as a formula (CSV injection)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
