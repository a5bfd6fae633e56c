"""What the audit trail costs the pages: reading what the database knows of one portal (six queries), the
30-day strip with the trail, the History list with the trail's rows, and the same when another viewer asked
within the minute (shared). A portal with 180 days of trail (a scheduled backup a day, a failure a week, a
restore a month) and 1000 recorded operations, on SQLite. Writes its table into bench/RESULTS.md under
"## The audit trail on the pages" (the rest of the file is left alone).

    python -m bench.trail_views
"""

from __future__ import annotations

import statistics
import tempfile
import time

from bench import write_section
from lib.db.store import HistoryStore
from lib.i18n import viewer
from lib.jobs.recorded import RecordedOperation
from lib.jobs.trail import ScheduleMemory, TrailRead
from lib.portal.audit import AuditAction, AuditEvent
from lib.portal.models import Period, Schedule, StorageType
from lib.timewords import utc
from lib.views import history
from lib.views import known as known_module
from lib.views.history import operations_table, portal_strip, rows_of, trail_rows
from lib.views.known import portal_known

HEADING = "## The audit trail on the pages"
T0 = 1_800_000_000.0
DAY = 86_400.0
EN = viewer(None, None)
DAILY = Schedule(Period.EVERY_DAY, 2, None, StorageType.DOCUMENTS, 7, None)


def timed(run, repeat: int = 20) -> float:
    """The median wall time of ``repeat`` runs, in ms."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def seeded(folder: str) -> tuple[HistoryStore, int]:
    """A store with 180 days of a portal's trail and 1000 recorded operations; (store, events)."""
    store = HistoryStore(f"sqlite:///{folder}/h.db")
    store.open()
    events = []
    for d in range(180):
        day = T0 - d * DAY
        action = AuditAction.SCHEDULED_BACKUP_FAILED if d % 7 == 3 else AuditAction.SCHEDULED_BACKUP_COMPLETED
        events.append(AuditEvent(2 * d + 1, utc(day - 6 * 3600 + 140), action, "", user="Owner Name"))
        if d % 30 == 10:
            events.append(AuditEvent(2 * d + 2, utc(day - 2 * 3600), AuditAction.RESTORE_STARTED, "", ("1",), "Admin"))
    store.save_audit("p", events, TrailRead(T0 - 180 * DAY, T0, True, T0))
    for i in range(1000):
        first = T0 - i * 4 * 3600
        kind = "restore" if i % 10 == 0 else "backup"
        store.begin_operation(RecordedOperation(f"op{i}", "p", kind, "any", f"t{i}", first, 0, first, first + 600,
                                                "completed", 100, "", first + 600))
    store.schedule_seen("p", T0 - 3600)
    store.schedule_gone("p", T0 - 600)
    store.flush()
    return store, len(events)


def measure() -> list[tuple[str, str]]:
    with tempfile.TemporaryDirectory() as folder:
        store, events = seeded(folder)
        assert store.schedule_memory("p") == ScheduleMemory(T0 - 3600, T0 - 600)
        read = timed(lambda: known_module._read(store, "p", T0))
        known = portal_known(store, "p", T0)
        shared = timed(lambda: portal_known(store, "p", T0), 1000) * 1000
        strip = timed(lambda: history._portal_strip(known, ([], None), T0, EN, "P"))  # nothing shared
        portal_strip(store, "p", ([], DAILY), T0, EN, "P")
        hit = timed(lambda: portal_strip(store, "p", ([], DAILY), T0, EN, "P"), 1000) * 1000
        last = timed(lambda: known.last_backup([]), 200) * 1000
        ops = store.operations(portal="p", limit=500)
        trail = timed(lambda: trail_rows(store, "p", T0))
        listed = timed(lambda: operations_table(rows_of(ops, trail_rows(store, "p", T0)), {"p": "P"}, EN))
        rows = len(rows_of(ops, trail_rows(store, "p", T0)))
        store.close()
    return [
        (f"what the database knows of one portal (6 queries; {events} trail events, {len(known.operations)} "
         "operations)", f"{read:.1f} ms"),
        ("the same for another viewer within the minute (shared)", f"{shared:.0f} µs"),
        ("the 30-day strip with the trail, from what was read (the first viewer in a minute)", f"{strip:.1f} ms"),
        ("the strip for another viewer within the minute (shared)", f"{hit:.0f} µs"),
        ("the last backup made, from every source (each viewer's tick on /portals, per portal)", f"{last:.0f} µs"),
        ("what only the trail knows, as History rows (restores nobody watched, failures unseen)", f"{trail:.1f} ms"),
        (f"the History list: 500 operations and the trail's rows ({rows} rows), as a table", f"{listed:.1f} ms"),
    ]


def main() -> None:
    rows = ["| measure | value |", "|---|---|", *(f"| {name} | {value} |" for name, value in measure())]
    table = "\n".join(rows)
    print(table)
    write_section(HEADING, "`python -m bench.trail_views` (SQLite, one process)", table)


if __name__ == "__main__":
    main()
