"""A restore or backup as the history records it, from first sight to its outcome.

Its own module, apart from the database, so pure code (the estimate, the strip, the words) can take
one without importing the database.
"""

from __future__ import annotations

from dataclasses import dataclass

from lib.jobs.phases import Phase
from lib.jobs.timeline import Run
from lib.portal.models import Operation


@dataclass(frozen=True)
class RecordedOperation:
    """One restore or backup as recorded: from first sight to its outcome."""

    id: str
    portal: str
    kind: str
    scope: str
    task_id: str
    first_seen: float
    first_percent: int
    started: float | None
    ended: float | None
    outcome: str
    last_percent: int
    portal_text: str
    last_seen: float

    @property
    def running(self) -> bool:
        return self.outcome == "running"

    def as_run(self) -> Run:
        """As the in-memory history lists past operations."""
        outcome = Phase(self.outcome) if self.outcome in ("completed", "failed", "cancelled") else Phase.IDLE
        return Run(id=self.id, task_id=self.task_id, operation=Operation.parse(self.kind), first_seen=self.first_seen,
                   first_percent=self.first_percent, ended=self.ended or self.last_seen, outcome=outcome,
                   percent=self.last_percent)
