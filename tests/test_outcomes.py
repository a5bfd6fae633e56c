"""One outcome per task: what is told (webhook) and stored when DocSpace's answers about one task waver.

DocSpace sets ``isCompleted`` when a job fails; an ``error`` before that is a warning. Whatever the
answers do afterwards, one task gets one outcome message, and "failed" is never followed by
"completed" for the same task."""

from __future__ import annotations

from lib.db.store import HistoryStore
from lib.portal.models import Operation
from lib.watching.poller import Poll
from lib.watching.recording import Recording
from tests.factories import T0, progress


def recording() -> tuple[Recording, list[tuple[tuple[str, ...], str]], HistoryStore]:
    told: list[tuple[tuple[str, ...], str]] = []
    store = HistoryStore("sqlite://", clock=lambda: T0)
    store.open()
    rec = Recording("prod", "Production", Operation.RESTORE, "any", store, lambda key, text: told.append((key, text)),
                    stall_floor=600.0)
    return rec, told, store


def play(rec: Recording, *answers: tuple[float, object]) -> None:
    for at, answer in answers:
        rec.record(Poll(T0 + at, answer, 0))  # type: ignore[arg-type]


def test_an_error_while_running_then_completion_is_told_once_as_completed() -> None:
    rec, told, store = recording()
    play(rec, (0, progress(0)), (60, progress(30)), (90, progress(30, error="Could not read one file")),
         (120, progress(40)), (700, progress(100, done=True)))
    assert [key[-1] for key, _ in told] == ["completed"]
    store.flush()
    ops = store.recent_operations("prod", "restore", "any")
    assert [op.outcome for op in ops] == ["completed"]


def test_a_task_told_failed_is_never_told_completed_afterwards() -> None:
    rec, told, _ = recording()
    play(rec, (0, progress(0)), (60, progress(42, error="The backup file is invalid.", done=True)),
         (120, progress(50)), (700, progress(100, done=True)))  # the same task id throughout
    assert [key[-1] for key, _ in told] == ["failed"]
