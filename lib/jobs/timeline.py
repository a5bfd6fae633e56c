"""The progress history of one operation on one portal: change points plus the last poll.

A poll that changes nothing only moves ``last_poll_at``; a point is kept only when something a
viewer cares about changed (percent, phase, tenant, error, or the kind of failure). So a day of
polling every 5 s on a restore that changed 100 times costs about 100 points, not 17 000. A failed
poll is a point too, carrying the last known percent, so the history survives every failure.
"""

from __future__ import annotations

import copy
import itertools
import statistics
import uuid
from collections import deque
from dataclasses import dataclass, field

from lib.i18n import Msg
from lib.jobs.phases import Phase, phase_of
from lib.portal.errors import Category, DocSpaceError
from lib.portal.models import Operation, Progress, TaskStatus

MAX_POINTS = 600
MAX_RUNS = 50


@dataclass(frozen=True, slots=True)
class Problem:
    """A failed poll, reduced to what the page shows (exceptions don't copy or pickle well)."""

    category: Category  # what kind of trouble: decides the words
    label: str  # short, for the chart and the badge; a new label is a new event
    message: Msg  # what happened and what to do, said in each reader's language
    status: int | None = None
    retry_after: float | None = None

    @classmethod
    def of(cls, error: DocSpaceError) -> Problem:
        return cls(error.category, error.label, error.message, error.status, error.retry_after)


@dataclass(frozen=True, slots=True)
class Point:
    """One change point. ``problem`` set means the poll at ``at`` failed."""

    at: float
    percent: int | None
    phase: Phase
    tenant_id: int | None = None
    error: str = ""
    task_id: str = ""
    problem: Problem | None = None


@dataclass(frozen=True, slots=True)
class Run:
    """A finished (or abandoned) operation the app saw, for "past operations" lists."""

    id: str = field(compare=False)  # the operation's id in the history database
    task_id: str
    operation: Operation
    first_seen: float
    first_percent: int
    ended: float
    outcome: Phase
    percent: int

    @property
    def duration(self) -> float:
        return self.ended - self.first_seen


class Timeline:
    """Change points of the current operation, its last poll, and summaries of past operations."""

    def __init__(self, operation: Operation, *, max_points: int = MAX_POINTS, max_runs: int = MAX_RUNS):
        self.operation = operation
        self.run_id = new_id()  # the current operation's id; a new run gets a new one
        self.max_points = max_points
        self.points: list[Point] = []
        self.runs: deque[Run] = deque(maxlen=max_runs)
        self.polls = 0
        self.last_poll_at: float | None = None
        self.last_ok_at: float | None = None
        self.last_progress: Progress | None = None
        self.last_problem: Problem | None = None
        self.failures = 0  # consecutive failed polls
        self.poll_times: tuple[float, ...] = ()  # the last few checks' times (the real gaps between them)
        self._closed: list[Point] = []  # the last filed run's points, in case its task answers again

    # ------------------------------------------------------------ recording

    def record(self, at: float, result: Progress | DocSpaceError | None) -> bool:
        """Add one poll's outcome; returns True when it made a new change point."""
        if self.last_poll_at is not None and at <= self.last_poll_at:
            return False  # already seen (every viewer records the same shared poll)
        self.polls += 1
        self.last_poll_at = at
        self.poll_times = (*self.poll_times[-5:], at)
        if isinstance(result, DocSpaceError):
            return self._record_failure(at, Problem.of(result))
        self.failures = 0
        self.last_problem = None
        answered_before, self.last_ok_at = self.last_ok_at, at
        phase = phase_of(result)
        if self._answers_again(result):
            self._reopen()
        elif self._starts_new_run(result, phase):
            self._close_run(answered_before)
        self.last_progress = result
        point = Point(
            at=at,
            percent=None if result is None else result.progress,
            phase=phase,
            tenant_id=None if result is None else result.tenant_id,
            error="" if result is None else result.error,
            task_id="" if result is None else result.task_id,
        )
        last = self.points[-1] if self.points else None
        if last is not None and last.problem is None and _same(last, point):
            return False
        self._append(point)
        return True

    def _record_failure(self, at: float, problem: Problem) -> bool:
        self.failures += 1
        self.last_problem = problem
        last = self.points[-1] if self.points else None
        if last is not None and last.problem is not None and last.problem.label == problem.label:
            return False  # the same failure going on: one event, not one per poll
        self._append(Point(
            at=at,
            percent=None if last is None else last.percent,
            phase=Phase.IDLE if last is None else last.phase,
            tenant_id=None if last is None else last.tenant_id,
            task_id="" if last is None else last.task_id,
            problem=problem,
        ))
        return True

    def _starts_new_run(self, result: Progress | None, phase: Phase) -> bool:
        previous = self.last_progress
        if previous is None:
            return result is None and bool(self.points) and self.points[-1].phase is not Phase.IDLE
        if result is None:
            return True
        if previous.task_id and result.task_id and previous.task_id != result.task_id:
            return True
        return not phase_of(previous).running and phase.running

    def _answers_again(self, result: Progress | None) -> bool:
        """The task of the run filed last answers again, with nothing of another task since (answers that
        waver: done, "no job", done): it is the same operation, whatever came between."""
        return (result is not None and bool(result.task_id) and bool(self.runs) and bool(self._closed)
                and self.runs[-1].task_id == result.task_id and not self.progress_points)

    def _reopen(self) -> None:
        run = self.runs.pop()
        self.points, self._closed, self.run_id = self._closed, [], run.id
        self.last_progress = None

    def _close_run(self, last_answer: float | None) -> None:
        """File the run away; one that vanished unfinished lasted until its last answer, not its last change."""
        seen = [p for p in self.points if p.problem is None and p.percent is not None]
        if seen and self.last_progress is not None:
            end = self.points[-1]
            self.runs.append(Run(
                id=self.run_id,
                task_id=self.last_progress.task_id,
                operation=self.last_progress.operation,
                first_seen=seen[0].at,
                first_percent=seen[0].percent or 0,
                ended=self.finished_at or max(last_answer or end.at, end.at),
                outcome=phase_of(self.last_progress),
                percent=self.last_progress.progress,
            ))
        self._closed = self.points if seen and self.last_progress is not None else []
        self.points = []
        self.run_id = new_id()

    def _append(self, point: Point) -> None:
        self.points.append(point)
        if len(self.points) > self.max_points:
            self.points = _thin(self.points)

    # ------------------------------------------------------------ reading

    @property
    def phase(self) -> Phase:
        return phase_of(self.last_progress)

    @property
    def gaps(self) -> tuple[float, ...]:
        """Seconds between the last few checks, as they really came (fetches that hang included)."""
        times = self.poll_times
        return tuple(b - a for a, b in itertools.pairwise(times))

    @property
    def progress_points(self) -> list[Point]:
        return [p for p in self.points if p.problem is None and p.percent is not None]

    @property
    def first_seen(self) -> float | None:
        seen = self.progress_points
        return seen[0].at if seen else None

    @property
    def last_change_at(self) -> float | None:
        """When the percent (or phase) last moved."""
        seen = self.progress_points
        if not seen:
            return None
        at = seen[-1].at
        for earlier in reversed(seen[:-1]):
            if (earlier.percent, earlier.phase) != (seen[-1].percent, seen[-1].phase):
                break
            at = earlier.at
        return at

    @property
    def finished_at(self) -> float | None:
        seen = self.progress_points
        if seen and not seen[-1].phase.running and seen[-1].phase is not Phase.IDLE:
            return seen[-1].at
        return None

    @property
    def tenants(self) -> list[int]:
        """Tenant ids seen during this run, in order (a restore swaps in a new tenant)."""
        out: list[int] = []
        for p in self.progress_points:
            if p.tenant_id is not None and (not out or out[-1] != p.tenant_id):
                out.append(p.tenant_id)
        return out

    def phase_points(self, phase: Phase) -> list[Point]:
        """The trailing change points that belong to ``phase``."""
        out: list[Point] = []
        for p in reversed(self.progress_points):
            if p.phase is not phase:
                break
            out.append(p)
        return out[::-1]

    def median_gap(self) -> float | None:
        """Typical seconds between percent changes in this run (the operation's own pace)."""
        seen = self.progress_points
        # only the points where the percent moved: a recovery or tenant-swap point repeats it
        changes = seen[:1] + [b for a, b in itertools.pairwise(seen) if b.percent != a.percent]
        gaps = [b.at - a.at for a, b in itertools.pairwise(changes)]
        return statistics.median(gaps) if gaps else None

    def snapshot(self) -> Timeline:
        """An independent copy for a viewer: cheap, since points, runs and progress never change."""
        twin = copy.copy(self)
        twin.points = list(self.points)
        twin.runs = deque(self.runs, maxlen=self.runs.maxlen)
        return twin

    @classmethod
    def resume(cls, operation: Operation, run_id: str, points: list[Point], runs: list[Run]) -> Timeline:
        """A history rebuilt from the database after a restart: the same operation goes on."""
        timeline = cls(operation)
        timeline.run_id = run_id
        timeline.points = points[-timeline.max_points:]
        timeline.runs.extend(runs)
        seen = [p for p in points if p.problem is None and p.percent is not None]
        if seen:
            last = seen[-1]
            timeline.last_progress = Progress(
                is_completed=last.phase in (Phase.COMPLETED, Phase.FAILED, Phase.CANCELLED), progress=last.percent or 0,
                error=last.error, operation=operation, tenant_id=last.tenant_id, task_id=last.task_id,
                status=TaskStatus.CANCELED if last.phase is Phase.CANCELLED else TaskStatus.RUNNING,
                warning="Backup cancelled" if last.phase is Phase.CANCELLED else "")
            timeline.last_ok_at = last.at
        if points:
            timeline.last_poll_at = points[-1].at
        return timeline


def new_id() -> str:
    return uuid.uuid4().hex


def _same(a: Point, b: Point) -> bool:
    return (a.percent, a.phase, a.tenant_id, a.error, a.task_id) == (b.percent, b.phase, b.tenant_id, b.error,
                                                                      b.task_id)


def _thin(points: list[Point]) -> list[Point]:
    """Halve the older half of the history, keeping the first point and, where they fit, events."""
    half = len(points) // 2
    older, newer = points[:half], points[half:]
    kept = [p for i, p in enumerate(older) if i % 2 == 0 or p.problem is not None
            or p.phase is not older[i - 1].phase]
    if len(kept) > len(older) * 3 // 4:  # mostly events (a flapping portal): a plain stride bounds it
        kept = older[::2]
    return kept + newer
