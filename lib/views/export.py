"""Tables the pages show and the same tables as CSV, for the download buttons."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any

from lib import timewords
from lib.i18n import Viewer
from lib.jobs.timeline import Timeline
from lib.portal.models import BackupFile
from lib.text import clean


def timeline_csv(timeline: Timeline, viewer: Viewer) -> str:
    """The progress history as CSV: a header row in the viewer's language, ISO times in their zone."""
    v = viewer
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([v._("time ({zone})", zone=timewords.zone_label(v.tz)), v._("percent"), v._("phase"),
                     v._("tenant"), v._("task"), v._("error"), v._("check failed")])
    for p in timeline.points:
        writer.writerow([
            v.moment(p.at).strftime("%Y-%m-%d %H:%M:%S"),
            "" if p.percent is None else p.percent,
            v._(p.phase.value),
            "" if p.tenant_id is None else p.tenant_id,
            safe_cell(p.task_id),
            safe_cell(p.error),
            safe_cell(v.say(p.problem.message)) if p.problem else "",
        ])
    return out.getvalue()


def backup_table(records: list[BackupFile], viewer: Viewer) -> dict[str, list[str]]:
    """The backup files as the Backups page shows them: one list per column, headed in the viewer's words."""
    v = viewer
    zone = timewords.zone_label(v.tz)
    return safe_table({
        v._("Created ({zone})", zone=zone): [_iso(r.created_on, v) for r in records],
        v._("Stored in"): [v._(r.storage_type.words) for r in records],
        v._("File"): [clean(r.file_name, 200) for r in records],
        v._("Expires ({zone})", zone=zone): [_iso(r.expires_on, v) if r.expires_on else v._("never")
                                              for r in records],
    })


def backups_csv(records: list[BackupFile], viewer: Viewer) -> str:
    """The same table as CSV, with each file's id."""
    return table_csv({**backup_table(records, viewer), viewer._("Id"): [r.id for r in records]})


def _iso(moment: datetime, v: Viewer) -> str:
    """``2026-11-28 02:00`` in the viewer's zone: the same in every language, and it sorts (tables, CSV)."""
    return moment.astimezone(v.tz).strftime("%Y-%m-%d %H:%M")


def table_csv(table: dict[str, list[Any]]) -> str:
    """A page's table (one list per column) as CSV, every cell kept from running as a formula."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(table)
    writer.writerows(zip(*([safe_cell(str(v)) for v in column] for column in table.values()), strict=True))
    return out.getvalue()


def safe_table(table: dict[str, list[Any]]) -> dict[str, list[Any]]:
    """A table as a page shows it, every text cell kept from running as a formula: Streamlit's own table
    toolbar ("Download as CSV") exports the cells as they are shown."""
    return {name: [safe_cell(c) if isinstance(c, str) else c for c in column] for name, column in table.items()}


def safe_cell(text: str) -> str:
    """Keep spreadsheet apps from running portal text as a formula (CSV injection)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
