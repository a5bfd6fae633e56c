"""One portal's restore or backup progress, recorded: in memory for viewers, in the database as it changes.

Each answer goes into the :class:`~lib.timeline.Timeline`; only what changed reaches the store (an
operation's first sight, its change points, its outcome, outage spans), never a row per poll.
Viewers read :attr:`Recording.snapshot`, a copy replaced after every answer, so a page never sees a
half-recorded history. It also decides which notifications an answer calls for.
"""

from __future__ import annotations

from collections.abc import Callable

from lib import timewords
from lib.eta import stalled_for
from lib.models import Operation, Progress
from lib.phases import Phase
from lib.poller import Poll
from lib.store import HistoryStore, StoredOperation
from lib.timeline import Point, Run, Timeline, new_id

#: the restore's Dump choice, as the database names it
SCOPES: dict[bool | None, str] = {None: "any", False: "portal", True: "server"}
_TERMINAL = {Phase.COMPLETED: "completed", Phase.FAILED: "failed", Phase.CANCELLED: "cancelled"}

Notify = Callable[[tuple[str, ...], str], object]


class Recording:
    def __init__(self, portal: str, label: str, operation: Operation, scope: str, store: HistoryStore,
                 notify: Notify, *, stall_floor: float):
        self.portal, self.label, self.operation, self.scope = portal, label, operation, scope
        self._store = store
        self._notify = notify
        self._stall_floor = stall_floor
        self.timeline = Timeline(operation)
        self._stored: str | None = None  # the id of the operation row the current run has, if any
        self._running = False  # whether that row still waits for its outcome
        self._watched: set[str] = set()  # operations seen running (only those get an outcome message)
        self._told: set[str] = set()  # tasks whose outcome was told: one outcome message per task
        self._outage: str | None = None
        self.snapshot = self.timeline.snapshot()

    def resume(self) -> None:
        """Continue from the database: the newest operation, with its points, and the ones before it."""
        recent = self._store.recent_operations(self.portal, self.operation.noun, self.scope, limit=50)
        if not recent:
            return
        newest, earlier = recent[0], recent[1:]
        runs = [_run(op) for op in reversed(earlier) if op.ended is not None]
        self.timeline = Timeline.resume(self.operation, newest.id, self._store.points_of(newest.id), runs)
        self._stored, self._running = newest.id, newest.running
        if newest.running:
            self._watched.add(newest.id)
        self.snapshot = self.timeline.snapshot()

    def record(self, poll: Poll[Progress | None]) -> None:
        t = self.timeline
        run_before, failures_before = t.run_id, t.failures
        changed = t.record(poll.at, poll.result)
        if t.run_id != run_before and self._stored == run_before and self._running:
            self._vanished(run_before)
        if changed:
            self._changed(t.points[-1])
        self._outages(poll, failures_before)
        self._stalled(poll.at)
        self.snapshot = t.snapshot()

    # ------------------------------------------------------------ what reaches the database

    def _changed(self, point: Point) -> None:
        t = self.timeline
        if self._stored != t.run_id:
            if point.problem is not None or point.percent is None or point.phase is Phase.IDLE:
                return  # nothing is running: no operation to keep
            self._begin(point)
            return
        self._store.add_point(t.run_id, point)
        if point.problem is not None:
            return
        outcome = _TERMINAL.get(point.phase)
        progress = t.last_progress
        text = (progress.error or progress.warning) if progress else ""
        values = {"last_percent": point.percent or 0, "portal_text": text, "last_seen": point.at,
                  "task_id": point.task_id}
        if outcome is None:
            self._store.update_operation(t.run_id, **values)
            return
        if not self._running:
            return
        self._store.end_operation(t.run_id, outcome, point.at, **values)
        self._running = False
        if t.run_id in self._watched:
            self._tell_outcome(point, outcome, text)

    def _begin(self, point: Point) -> None:
        t = self.timeline
        seen = point.phase not in _TERMINAL
        progress = t.last_progress
        self._store.begin_operation(StoredOperation(
            id=t.run_id, portal=self.portal, kind=self.operation.noun, scope=self.scope, task_id=point.task_id,
            first_seen=point.at, first_percent=point.percent or 0, started=point.at if point.percent == 0 else None,
            ended=None if seen else point.at, outcome="running" if seen else _TERMINAL[point.phase],
            last_percent=point.percent or 0, portal_text=(progress.error or progress.warning) if progress else "",
            last_seen=point.at))
        self._store.add_point(t.run_id, point)
        self._stored, self._running = t.run_id, seen
        if seen:
            self._watched.add(t.run_id)

    def _vanished(self, run_id: str) -> None:
        """The job went away unfinished (a new task, or no job at all): it ended at its last answer."""
        run = next((r for r in reversed(self.timeline.runs) if r.id == run_id), None)
        ended = run.ended if run is not None else self.timeline.last_poll_at or 0.0
        outcome = _TERMINAL.get(run.outcome, "vanished") if run is not None else "vanished"
        self._store.end_operation(run_id, outcome, ended)
        self._stored, self._running = None, False

    def _outages(self, poll: Poll[Progress | None], failures_before: int) -> None:
        t = self.timeline
        endpoint = self.operation.noun
        if t.failures and not failures_before and t.last_problem is not None:
            self._outage = new_id()
            self._store.outage_began(self._outage, self.portal, endpoint, poll.at, t.last_problem)
        elif not t.failures and failures_before and self._outage is not None:
            self._store.outage_ended(self._outage, poll.at)
            self._outage = None

    # ------------------------------------------------------------ notifications

    def _tell_outcome(self, point: Point, outcome: str, text: str) -> None:
        task = point.task_id or self.timeline.run_id
        if task in self._told:
            return  # the same task again (answers that waver): never "failed" and then "completed"
        self._told.add(task)
        noun, label = self.operation.noun, self.label
        words = {"completed": f"✅ {label}: the {noun} completed." if (point.percent or 0) >= 100 else
                 f"⚠️ {label}: DocSpace reports the {noun} complete at {point.percent}%.",
                 "failed": f"❌ {label}: the {noun} failed at {point.percent}%: {text[:300]}",
                 "cancelled": f"⚠️ {label}: the {noun} was cancelled."}
        self._notify((self.portal, noun, self.timeline.run_id, outcome), words[outcome])

    def _stalled(self, now: float) -> None:
        t = self.timeline
        if t.run_id not in self._watched:
            return
        stalled = stalled_for(t, now, self._stall_floor)
        if stalled is not None and t.last_progress is not None:
            self._notify((self.portal, self.operation.noun, t.run_id, "stalled"),
                         f"⚠️ {self.label}: the {self.operation.noun} has made no progress for "
                         f"{timewords.duration(stalled)} (at {t.last_progress.progress}%).")


def _run(op: StoredOperation) -> Run:
    return Run(id=op.id, task_id=op.task_id, operation=Operation.parse(op.kind), first_seen=op.first_seen,
               first_percent=op.first_percent, ended=op.ended or op.last_seen,
               outcome=Phase(op.outcome) if op.outcome in ("completed", "failed", "cancelled") else Phase.IDLE,
               percent=op.last_percent)
