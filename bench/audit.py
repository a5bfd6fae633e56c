"""What reading the audit trail costs: portal requests and time for the first read (30 days) and each
incremental one, the trail of a plan without the audit feature, and the database side of each backup-list
answer (events saved, the overdue check's reads). Writes its table into bench/RESULTS.md under
"## The audit trail" (the rest of the file is left alone).

    python -m bench.audit
"""

from __future__ import annotations

import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta

from bench import write_section
from lib.db.store import HistoryStore
from lib.portal.audit import WATCHED, AuditTrail
from lib.portal.client import DocSpaceClient
from lib.settings.config import PortalConfig
from lib.watching.backups_watch import TRAIL_EVERY, BackupsWatch
from lib.watching.poller import Poll
from simulator import ManualClock, Options, Simulator

HEADING = "## The audit trail"
T0 = 1_800_000_000.0
KEY = "sk-" + "0" * 64


def timed(run, repeat: int = 5) -> tuple[float, object]:
    """The median wall time of ``repeat`` runs (ms), and the last result."""
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = run()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), result


def first_read(days: int, audit: bool = True) -> tuple[int, float, int]:
    """(requests, ms, events) of reading the last 30 days from a portal with ``days`` of daily backups."""
    clock = ManualClock(T0)
    with Simulator("idle", api_key=KEY, clock=clock, options=Options(days=days, audit=audit)) as sim:
        client = DocSpaceClient(sim.url, KEY)
        now = datetime.fromtimestamp(T0, UTC)
        ms, trail = timed(lambda: client.get_audit_events(now - timedelta(days=30), now))
        return sim.requests("security/audit") // 5, ms, len(trail.events)  # type: ignore[union-attr]


def answers(days: int) -> tuple[float, float, int]:
    """(ms of the first answer, ms of a later one, events kept) for BackupsWatch on SQLite, the app's own
    share: the events saved, the schedule remembered, the overdue check's reads (the trail's HTTP requests
    and the simulator's answers left out, timed above)."""
    clock = ManualClock(T0)
    with tempfile.TemporaryDirectory() as folder, \
            Simulator("idle", api_key=KEY, clock=clock, options=Options(days=days)) as sim:
        client = DocSpaceClient(sim.url, KEY)
        store = HistoryStore(f"sqlite:///{folder}/h.db", clock=clock)
        store.open()
        waited = [0.0]

        def read(since: datetime, until: datetime) -> AuditTrail:
            started = time.perf_counter()
            try:
                return client.get_audit_events(since, until)
            finally:
                waited[0] += time.perf_counter() - started

        watch = BackupsWatch(PortalConfig("p", sim.url, "P", KEY), read, store, lambda key, text: None)
        answer = (client.get_backup_history(), client.get_backup_schedule())
        took = []
        for i in range(6):
            clock.advance(TRAIL_EVERY if i else 0)
            waited[0], started = 0.0, time.perf_counter()
            watch.answered(Poll(clock(), answer, 0))  # type: ignore[arg-type]
            took.append((time.perf_counter() - started - waited[0]) * 1000)
        kept = len(store.audit_events("p", 0))
        store.close()
        return took[0], statistics.median(took[1:]), kept


def main() -> None:
    rows = ["| measure | value |", "|---|---|"]
    for days in (30, 180):
        requests, ms, events = first_read(days)
        rows.append(f"| first read of 30 days, a portal with {days} days of daily backups | requests: {requests}, "
                    f"{ms:.0f} ms, {events} events |")
    requests, ms, events = first_read(30, audit=False)
    rows.append(f"| the same without the audit feature (20 newest, filtered here) | requests: {requests}, "
                f"{ms:.0f} ms, {events} events |")
    first, later, kept = answers(180)
    rows.append(f"| the app's share of one backup-list answer on SQLite, first (30 days saved) | {first:.0f} ms, "
                f"{kept} events kept |")
    rows.append(f"| the app's share of a later answer (events saved, schedule, overdue check) | {later:.0f} ms |")
    per_day = len(WATCHED) * int(86_400 / TRAIL_EVERY)
    rows.append(f"| trail requests a day, whoever looks (one per kind every {TRAIL_EVERY / 60:.0f} min) | {per_day} |")
    table = "\n".join(rows)
    print(table)
    write_section(HEADING, "`python -m bench.audit` (loopback to the simulator, SQLite)", table)


if __name__ == "__main__":
    main()
