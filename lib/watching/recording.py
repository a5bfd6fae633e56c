"""One portal's restore or backup progress, recorded: in memory for viewers, in the database as it changes.

Each answer goes into the :class:`~lib.jobs.timeline.Timeline`; only what changed reaches the store (an
operation's first sight, its change points, its outcome, outage spans), never a row per poll.
Viewers read :attr:`Recording.snapshot`, a copy replaced after every answer, so a page never sees a
half-recorded history. It also decides which notifications an answer calls for.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import replace

from lib.db.store import HistoryStore
from lib.jobs import forecast
from lib.jobs.eta import stalled_for
from lib.jobs.phases import Phase
from lib.jobs.recorded import RecordedOperation
from lib.jobs.timeline import Point, Timeline, new_id
from lib.portal.errors import Category
from lib.portal.models import Operation, Progress
from lib.watching import messages
from lib.watching.messages import Note
from lib.watching.poller import Poll

#: the restore's Dump choice, as the database names it
SCOPES: dict[bool | None, str] = {None: "any", False: "portal", True: "server"}
_TERMINAL = {Phase.COMPLETED: "completed", Phase.FAILED: "failed", Phase.CANCELLED: "cancelled"}
#: how many completed runs teach the estimate of the next one
LEARN_FROM = 10

Notify = Callable[[tuple[str, ...], Note], object]
log = logging.getLogger(__name__)


def operation_id(portal: str, kind: str, scope: str, task_id: str) -> str:
    """An operation's id, made from what identifies it, so two watchers (or one after a restart) that see
    the same task write the same row and tell its outcome under the same key."""
    return hashlib.sha256(f"{portal}|{kind}|{scope}|{task_id}".encode()).hexdigest()[:32]


class Recording:
    def __init__(self, portal: str, label: str, operation: Operation, scope: str, store: HistoryStore,
                 notify: Notify, *, stall_floor: float, remind_after: float | None = None):
        self.portal, self.label, self.operation, self.scope = portal, label, operation, scope
        self._store = store
        self._notify = notify
        self._stall_floor = stall_floor
        self._remind_after = remind_after
        self.timeline = Timeline(operation)
        self._op: RecordedOperation | None = None  # the current run's row, as written
        self._watched: set[str] = set()  # operations seen running (only those get an outcome message)
        self._told: set[str] = set()  # tasks whose outcome was told: one outcome message per task
        self._outage: str | None = None
        self._phase_said: Phase | None = None  # the phase of the last change logged at INFO
        self._stall_told: float | None = None  # when this run's stall was first told
        self._reminded = 0  # reminders sent since
        self._past: list[tuple[RecordedOperation, list[Point]]] = []  # recent completed runs, newest first
        self._answered = False  # whether the portal had answered before the answer being recorded
        #: the newest operation that has ended, for "how it ended"
        self.last_ended: RecordedOperation | None = None
        #: what earlier runs teach about this one ("done around …")
        self.learned: forecast.EarlierRuns | None = None
        self.snapshot = self.timeline.snapshot()
        #: what the database knew was read (False while it could not be: it is taken up once it can)
        self.resumed = False

    @property
    def stored(self) -> bool:
        """Whether the current run is an operation in the database (an idle spell is not)."""
        return self._op is not None and self._op.id == self.timeline.run_id

    def resume(self) -> None:
        """Continue from the database: the newest operation, with its points, and the ones before it."""
        recent = self._store.recent_operations(self.portal, self.operation.noun, self.scope, limit=50)
        self.resumed = self._store.unreadable is None
        if not recent:
            return
        newest, earlier = recent[0], recent[1:]
        runs = [op.as_run() for op in reversed(earlier) if op.ended is not None]
        self.timeline = Timeline.resume(self.operation, newest.id, self._store.points_of(newest.id), runs)
        self._op = newest
        if newest.running:
            self._watched.add(newest.id)
        self.last_ended = next((op for op in recent if not op.running), None)
        self._load_past(recent)
        self.snapshot = self.timeline.snapshot()

    def _load_past(self, recent: list[RecordedOperation]) -> None:
        """The completed runs to learn from, with their points (read only for the ones kept)."""
        done = [op for op in recent if op.outcome == "completed"][:LEARN_FROM]
        self._past = [(op, self._store.points_of(op.id)) for op in done]
        self._learn()

    def rewrite(self) -> None:
        """Write again what is known here (the history file was made again): the current operation with
        its change points, and the ended ones kept to learn from."""
        known = [(op, points) for op, points in self._past if op.id != self.timeline.run_id]
        if self._op is not None:
            known.append((self._op, list(self.timeline.points) if self.stored else []))
        for op, points in known:
            self._store.begin_operation(op)
            for point in points:
                self._store.add_point(op.id, point)

    def take_up(self) -> None:
        """The database can be read again after this recording began without it (a restart while it was
        down): the run going on is the one it knew (its real start, its points before), and so are the
        ended ones. What was recorded meanwhile goes on after them."""
        recent = self._store.recent_operations(self.portal, self.operation.noun, self.scope, limit=50)
        if self._store.unreadable is not None:
            return
        self.resumed, t = True, self.timeline
        mine = next((op for op in recent if op.id == t.run_id), None) if self.stored and self._op else None
        known = {op.id for op in recent}
        runs = [op.as_run() for op in reversed(recent) if op.ended is not None and op.id != t.run_id]
        runs += [r for r in t.runs if r.id not in known]
        if mine is not None and self._op is not None:
            points = self._store.points_of(mine.id)
            since = points[-1].at if points else float("-inf")
            fresh = Timeline.resume(self.operation, mine.id, points + [p for p in t.points if p.at > since], runs)
            for name in ("polls", "last_poll_at", "last_ok_at", "last_progress", "last_problem", "failures",
                         "poll_times"):
                setattr(fresh, name, getattr(t, name))
            self.timeline = fresh
            self._op = replace(self._op, first_seen=mine.first_seen, first_percent=mine.first_percent,
                               started=mine.started if mine.started is not None else self._op.started)
            if mine.running:
                self._watched.add(mine.id)
            if not self._op.running:
                self.last_ended = self._op
        self.last_ended = self.last_ended or next((op for op in recent if not op.running), None)
        if not self._past:
            self._load_past(recent)
        self.snapshot = self.timeline.snapshot()

    def record(self, poll: Poll[Progress | None]) -> None:
        if not self.resumed and self._store.problem is None:  # the writes go through: it answers again (a
            self.take_up()  # read while it does not would hold up this check for the connect timeout)
        t = self.timeline
        run_before, failures_before = t.run_id, t.failures
        self._answered = t.last_ok_at is not None  # the portal had answered before this answer
        changed = t.record(poll.at, poll.result)
        if t.run_id != run_before and self._op is not None and self._op.id == run_before and self._op.running:
            self._vanished()
        if t.run_id != run_before:
            self._again()
        if changed:
            self._changed(t.points[-1])
        self._outages(poll, failures_before)
        self._stalled(poll.at)
        self.snapshot = t.snapshot()

    # ------------------------------------------------------------ what reaches the database

    def _changed(self, point: Point) -> None:
        t = self.timeline
        if not self.stored:
            if point.problem is not None or point.percent is None or point.phase is Phase.IDLE:
                return  # nothing is running: no operation to keep
            self._begin(point)
            return
        self._store.add_point(t.run_id, point)
        if point.problem is not None:
            return
        # a line per phase at INFO (a thousand portals would log hundreds a second), each percent at DEBUG
        (log.info if point.phase is not self._phase_said else log.debug)(
            "%s: %s %s%% · %s", self.portal, self.operation.noun, point.percent, point.phase.value)
        self._phase_said = point.phase
        outcome = _TERMINAL.get(point.phase)
        progress = t.last_progress
        text = (progress.error or progress.warning) if progress else ""
        values = {"last_percent": point.percent or 0, "portal_text": text, "last_seen": point.at,
                  "task_id": point.task_id}
        assert self._op is not None
        if outcome is None:
            self._store.update_operation(t.run_id, **values)
            self._op = replace(self._op, **values)
            return
        if not self._op.running:
            return
        self._store.end_operation(t.run_id, outcome, point.at, **values)
        self._ended(replace(self._op, outcome=outcome, ended=point.at, **values))
        if t.run_id in self._watched:
            self._tell_outcome(point, outcome, text)

    def _begin(self, point: Point) -> None:
        """A new operation. One first seen already ended is news (told) when the portal had answered before
        without it: it began and ended between two checks (a scheduled backup that fails at once); on the
        very first answer it may be a day old (DocSpace keeps a finished task 24 h), so it is only recorded."""
        t = self.timeline
        if point.task_id:  # the task names its row: every copy that sees it writes the same one
            t.run_id = operation_id(self.portal, self.operation.noun, self.scope, point.task_id)
        seen = point.phase not in _TERMINAL
        progress = t.last_progress
        op = RecordedOperation(
            id=t.run_id, portal=self.portal, kind=self.operation.noun, scope=self.scope, task_id=point.task_id,
            first_seen=point.at, first_percent=point.percent or 0, started=point.at if point.percent == 0 else None,
            ended=None if seen else point.at, outcome="running" if seen else _TERMINAL[point.phase],
            last_percent=point.percent or 0, portal_text=(progress.error or progress.warning) if progress else "",
            last_seen=point.at)
        self._store.begin_operation(op)
        self._store.add_point(t.run_id, point)
        self._op = op
        log.info("%s: %s seen at %s%% (%s)", self.portal, self.operation.noun, point.percent, point.phase.value)
        self._phase_said = point.phase
        if seen:
            self._watched.add(t.run_id)
            return
        self._ended(op)
        if self._answered:
            self._tell_outcome(point, op.outcome, op.portal_text)

    def _vanished(self) -> None:
        """The job went away unfinished (a new task, or no job at all): it ended at its last answer."""
        assert self._op is not None
        run = next((r for r in reversed(self.timeline.runs) if r.id == self._op.id), None)
        ended = run.ended if run is not None else self._op.last_seen
        outcome = _TERMINAL.get(run.outcome, "vanished") if run is not None else "vanished"
        self._store.end_operation(self._op.id, outcome, ended)
        self._ended(replace(self._op, outcome=outcome, ended=ended))
        self._op = None
        log.info("%s: the %s went away without a final answer (%s)", self.portal, self.operation.noun, outcome)

    def _again(self) -> None:
        """The timeline took up a run it had filed (its task answered again): the same operation, running
        again if it runs (its row reopened), else still ended as it was."""
        known = next((op for op in (self._op, self.last_ended) if op is not None and op.id == self.timeline.run_id),
                     None)
        if known is None:
            return
        if not known.running and self.timeline.phase.running:
            known = replace(known, outcome="running", ended=None)
            self._store.begin_operation(known)  # reopens its row
            self._watched.add(known.id)
        self._op = known

    def _ended(self, op: RecordedOperation) -> None:
        self._op = op
        self.last_ended = op
        if op.outcome == "completed":
            self._past = [(op, list(self.timeline.points)), *self._past][:LEARN_FROM]
            self._learn()

    def _learn(self) -> None:
        self.learned = forecast.learn(self._past, self.operation.noun) if self._past else None

    def _outages(self, poll: Poll[Progress | None], failures_before: int) -> None:
        t = self.timeline
        endpoint = self.operation.noun
        if t.failures and not failures_before and t.last_problem is not None:
            self._outage = new_id()
            self._store.outage_began(self._outage, self.portal, endpoint, poll.at, t.last_problem)
            if t.last_problem.category is Category.RESTORING:
                log.info("%s: %s checks wait while the portal is being restored", self.portal, endpoint)
            else:
                log.warning("%s: %s check failed: %s", self.portal, endpoint, t.last_problem.message)
        elif not t.failures and failures_before and self._outage is not None:
            self._store.outage_ended(self._outage, poll.at)
            self._outage = None
            log.info("%s: %s answers again", self.portal, endpoint)

    # ------------------------------------------------------------ notifications

    def _tell_outcome(self, point: Point, outcome: str, text: str) -> None:
        task = point.task_id or self.timeline.run_id
        if task in self._told:
            return  # the same task again (answers that waver): never "failed" and then "completed"
        self._told.add(task)
        op = self._op
        took, exact = None, True
        if op is not None and op.id == self.timeline.run_id:
            took, exact = (point.at - (op.started if op.started is not None else op.first_seen)), op.started is not None
        self._notify((self.portal, self.operation.noun, self.timeline.run_id, outcome),
                     messages.outcome(self.portal, self.label, self.operation.noun, outcome, point.percent or 0, text,
                                      took, exact))

    def _stalled(self, now: float) -> None:
        """Told once; with ``remind_hours``, again every so often while it lasts, then "moving again"."""
        t = self.timeline
        noun, key = self.operation.noun, (self.portal, self.operation.noun, t.run_id)
        stalled = stalled_for(t, now, self._stall_floor) if t.run_id in self._watched else None
        pct = t.last_progress.progress if t.last_progress is not None else 0
        if stalled is not None:
            if self._stall_told is None:
                self._stall_told, self._reminded = now, 0
                self._notify((*key, "stalled"), messages.stalled(self.portal, self.label, noun, stalled, pct))
            elif self._remind_after and int((now - self._stall_told) // self._remind_after) > self._reminded:
                self._reminded = n = int((now - self._stall_told) // self._remind_after)
                self._notify((*key, f"stalled-reminder-{n}"),
                             messages.stall_reminder(self.portal, self.label, noun, stalled, pct))
        elif self._stall_told is not None:
            self._stall_told = None
            if self._remind_after and t.phase.running:  # (an end is told by its outcome message: one, not two)
                self._notify((*key, "stall-over"),
                             messages.stall_over(self.portal, self.label, noun, pct))

