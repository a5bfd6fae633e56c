"""The app's view when another process watches (``[history] watcher = "external"``): all from the database.

It answers the pages exactly as the in-process :class:`~lib.watching.watcher.Watcher` does, but never asks a
portal anything: the operations and their points come from the history tables, the rest from the
state the watcher writes. Reads are kept for a couple of seconds, so a hundred viewers cost one query
per interval. Several app replicas can read one PostgreSQL this way.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from lib.db.store import HistoryStore
from lib.jobs import forecast
from lib.jobs.forecast import Past
from lib.jobs.timeline import Timeline
from lib.portal.errors import Recalled
from lib.portal.models import Operation
from lib.settings.config import AppConfig
from lib.watching import endpoint_state
from lib.watching.health import Holder, Unwatched
from lib.watching.poller import Poll
from lib.watching.recording import LEARN_FROM, SCOPES

#: seconds a read from the database is reused
FRESH_FOR = 2.0


class _Quiet:
    """The watcher process sends the notifications; here there is nothing to say about them."""

    last_error = None


class DatabaseReader:
    def __init__(self, config: AppConfig, store: HistoryStore, *, clock: Callable[[], float] = time.time):
        self.config = config
        self.store = store
        self.clock = clock
        self.notifier = self.outbox = _Quiet()
        self._kept: dict[Any, tuple[float, Any]] = {}
        self._lock = threading.Lock()

    def start(self) -> DatabaseReader:
        self.store.open()
        return self

    def stop(self) -> None:
        """Nothing runs here; the database connections are closed by the store's owner."""

    @property
    def running(self) -> bool:
        return False

    # ------------------------------------------------------------ what viewers read

    def progress(self, portal: str, operation: Operation, dump: bool | None = None, *,
                 look: float | None = None) -> Timeline:
        scope = SCOPES[dump if operation is Operation.RESTORE else None]
        state = self._state(portal, operation.noun, scope)
        recent = self._keep(("ops", portal, operation.noun, scope),
                            lambda: self.store.recent_operations(portal, operation.noun, scope))
        current = state["run_id"] if state else None
        points = self._keep(("points", current), lambda: self.store.points_of(current)) if current else []
        runs = [op.as_run() for op in reversed(recent) if op.id != current and op.ended is not None]
        if state is None and recent:  # the watcher has not written its state yet: the newest operation
            newest = recent[0]
            return Timeline.resume(operation, newest.id, self.store.points_of(newest.id), runs)
        return endpoint_state.rebuild(operation, state, points, runs)

    def latest(self, portal: str, kind: str, dump: bool | None = None) -> Poll[Any] | None:
        if kind == "backups":
            return self.backups(portal)
        state = self._state(portal, kind, SCOPES[dump])
        if state is None or state["last_poll_at"] is None:
            return None
        timeline = endpoint_state.rebuild(Operation.parse(kind), state, [], [])
        problem = timeline.last_problem
        result: Any = timeline.last_progress if problem is None else Recalled(
            problem.category, problem.label, problem.message, problem.status)
        return Poll(state["last_poll_at"], result, state["failures"], state.get("retry_at"))

    def next_check(self, portal: str, kind: str, dump: bool | None = None) -> float | None:
        """The watcher process decides when it checks next; the page says only when it last did."""
        return None

    def backups(self, portal: str, *, look: float | None = None) -> Poll[Any] | None:
        state = self._state(portal, "backups", "any")
        if state is None:
            return None
        if state["answer"] is not None:
            return Poll(state["at"], endpoint_state.backups_from(state["answer"]), 0)
        problem = endpoint_state.problem_from(state["problem"])
        return Poll(state["at"], Recalled(problem.category, problem.label, problem.message, problem.status),
                    state["failures"], state.get("retry_at"))

    def overview(self, portal: str, *, look: float | None = None) -> tuple[Timeline, Timeline | None, Any]:
        restore = self.progress(portal, Operation.RESTORE)
        if not self.config.portal(portal).api_key:
            return restore, None, None
        answer = self.backups(portal)
        return restore, self.progress(portal, Operation.BACKUP), answer.result if answer else None

    def past(self, portal: str, operation: Operation, dump: bool | None = None) -> Past:
        scope = SCOPES[dump if operation is Operation.RESTORE else None]
        recent = self._keep(("ops", portal, operation.noun, scope),
                            lambda: self.store.recent_operations(portal, operation.noun, scope))
        last = next((op for op in recent if not op.running), None)
        completed = [op for op in recent if op.outcome == "completed"][:LEARN_FROM]
        if not completed:
            return Past(last, None)
        learned = self._keep(("learned", completed[0].id), lambda: forecast.learn(
            [(op, self.store.points_of(op.id)) for op in completed], operation.noun), ttl=float("inf"))
        return Past(last, learned)

    def check_now(self, portal: str, kind: str, dump: bool | None = None) -> None:
        """The watcher process decides when to check; a reader cannot hurry it."""

    def holder(self) -> Holder | None:
        """A reader alone knows nothing of the lease (:class:`~lib.watching.duty.OnDuty` does)."""
        return None

    def unwatched(self) -> Unwatched | None:
        """A reader alone cannot tell (:class:`~lib.watching.duty.OnDuty` can)."""
        return None

    # ------------------------------------------------------------ reading, kept briefly

    def _state(self, portal: str, kind: str, scope: str) -> dict[str, Any] | None:
        states = self._keep(("states",), self.store.states)
        found = states.get(endpoint_state.key(portal, kind, scope))
        return None if found is None else found[1]

    def _keep(self, key: Any, read: Callable[[], Any], ttl: float = FRESH_FOR) -> Any:
        now = time.monotonic()
        with self._lock:
            kept = self._kept.get(key)
            if kept is not None and now - kept[0] < ttl:
                return kept[1]
        value = read()
        with self._lock:
            self._kept[key] = (now, value)
            if len(self._kept) > 500:
                self._kept = {k: v for k, v in self._kept.items() if now - v[0] < FRESH_FOR or k[0] == "learned"}
        return value
