"""``GET /metrics``: what this copy knows, as Prometheus text, for people who run it next to Grafana.

Read at scrape time from what pages read (the :class:`~lib.watching.source.Source`), so a copy standing
by serves the holder's view of every portal, and its own counters (which stay at zero while it stands
by: counters are per process, as Prometheus expects). Names follow Prometheus conventions: the
``docspace_`` prefix, units in the name, ``_total`` on counters, timestamps in seconds.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from lib.jobs.backups_made import last_backup_time
from lib.jobs.eta import stalled_for
from lib.jobs.schedule import overdue_since
from lib.jobs.timeline import Timeline
from lib.portal.models import BackupsAnswer, Operation
from lib.settings.config import AppConfig
from lib.watching.source import Source

#: the outcomes ``docspace_last_outcome`` has a series for (one of them is 1)
OUTCOMES = ("completed", "failed", "cancelled", "vanished")
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


@dataclass(frozen=True)
class Copy:
    """What /metrics reads: the settings, what pages read (with this process's counters), and whether it watches."""

    config: AppConfig
    source: Source  # its counts are this process's checks and deliveries
    watching: bool
    history: tuple[int, int, int]  # history writes waiting, written, and transactions, since the start


def render(copy: Copy, now: float) -> bytes:
    """The Prometheus text of one scrape."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Collector(copy, now))
    return generate_latest(registry)


class _Collector(Collector):
    def __init__(self, copy: Copy, now: float):
        self.copy, self.now = copy, now

    def collect(self) -> Iterator[Metric]:
        yield from self._portals()
        yield from self._counters()
        pending, writes, commits = self.copy.history
        yield _gauge("docspace_watching", "1 when this process holds the watch (polls, records and notifies)",
                     [], [([], float(self.copy.watching))])
        yield _gauge("docspace_history_writes_pending", "History writes waiting for the database", [],
                     [([], float(pending))])
        yield _counter("docspace_history_writes", "History writes made since this process started", [],
                       [([], writes)])
        yield _counter("docspace_history_transactions", "History transactions since this process started", [],
                       [([], commits)])

    def _portals(self) -> Iterator[Metric]:
        per_job: dict[str, list[tuple[list[str], float]]] = {name: [] for name in _JOB_GAUGES}
        outcomes: list[tuple[list[str], float]] = []
        overdue: list[tuple[list[str], float]] = []
        backup_age: list[tuple[list[str], float]] = []
        source, floor = self.copy.source, self.copy.config.stall_minutes * 60
        for portal in self.copy.config.portals:
            restore, backup, answer = source.overview(portal.name)
            for operation, timeline in ((Operation.RESTORE, restore), (Operation.BACKUP, backup)):
                if timeline is None:
                    continue
                labels = [portal.name, operation.noun]
                for name, value in _job_values(timeline, self.now, floor).items():
                    if value is not None:
                        per_job[name].append((labels, value))
                last = source.past(portal.name, operation).last
                if last is not None:
                    outcomes += [([*labels, o], float(last.outcome == o)) for o in OUTCOMES]
            if isinstance(answer, BackupsAnswer):
                late, age = _backups(answer, self.now)
                if late is not None:
                    overdue.append(([portal.name], late))
                if age is not None:
                    backup_age.append(([portal.name], age))
        for name, help_text in _JOB_GAUGES.items():
            yield _gauge(name, help_text, ["portal", "kind"], per_job[name])
        yield _gauge("docspace_last_outcome", "How the last restore or backup ended (1 for its outcome)",
                     ["portal", "kind", "outcome"], outcomes)
        yield _gauge("docspace_backup_overdue", "1 when a scheduled backup did not happen", ["portal"], overdue)
        yield _gauge("docspace_last_backup_age_seconds", "Seconds since the portal's newest backup", ["portal"],
                     backup_age)

    def _counters(self) -> Iterator[Metric]:
        checks, failures, delivered = self.copy.source.counts.snapshot()
        yield _counter("docspace_checks", "Checks this process made", ["portal", "endpoint"],
                       [(list(k), v) for k, v in sorted(checks.items())])
        yield _counter("docspace_check_failures", "Checks this process made that failed", ["portal", "endpoint"],
                       [(list(k), v) for k, v in sorted(failures.items())])
        for name, (what, ok), help_text in _DELIVERIES:
            yield _counter(name, help_text, [], [([], delivered.get((what, ok), 0))])


#: the delivery counters: name, (what, sent?), help
_DELIVERIES = (
    ("docspace_notifications_sent", ("message", True), "Messages this process delivered"),
    ("docspace_notifications_failed", ("message", False), "Message deliveries that failed"),
    ("docspace_emails_sent", ("email", True), "Outcome emails and weekly summaries this process sent"),
    ("docspace_emails_failed", ("email", False), "Outcome emails and weekly summaries that could not be sent"),
    ("docspace_confirmation_emails_sent", ("confirmation", True), "Confirmation emails this process's pages sent"),
    ("docspace_confirmation_emails_failed", ("confirmation", False), "Confirmation emails that could not be sent"),
)

#: the gauges every restore and backup has: name -> help
_JOB_GAUGES = {
    "docspace_operation_percent": "Percent done of the current or last restore or backup",
    "docspace_operation_running": "1 while a restore or backup runs",
    "docspace_operation_stalled": "1 while a running restore or backup has made no progress for too long",
    "docspace_last_check_timestamp_seconds": "When the portal was last asked (Unix time)",
}


def _job_values(timeline: Timeline, now: float, floor: float) -> dict[str, float | None]:
    progress = timeline.last_progress
    running = timeline.phase.running
    return {
        "docspace_operation_percent": None if progress is None else float(progress.progress),
        "docspace_operation_running": float(running),
        "docspace_operation_stalled": float(running and stalled_for(timeline, now, floor) is not None),
        "docspace_last_check_timestamp_seconds": timeline.last_poll_at,
    }


def _backups(answer: BackupsAnswer, now: float) -> tuple[float | None, float | None]:
    """(1.0 or 0.0 when the schedule is known, seconds since the newest backup when there is one)."""
    history, schedule = answer
    newest = last_backup_time(history)  # a backup made, never the schedule's dispatch time
    late = None if schedule is None else float(overdue_since(schedule, now, newest) is not None)
    return late, None if newest is None else max(0.0, now - newest.timestamp())


def _gauge(name: str, help_text: str, labels: list[str], samples: list[tuple[list[str], float]]) -> Metric:
    family = GaugeMetricFamily(name, help_text, labels=labels)
    for values, value in samples:
        family.add_metric(values, value)
    return family


def _counter(name: str, help_text: str, labels: list[str], samples: list[tuple[list[str], int]]) -> Metric:
    family = CounterMetricFamily(name, help_text, labels=labels)
    for values, value in samples:
        family.add_metric(values, value)
    return family
