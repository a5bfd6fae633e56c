"""A portal whose answers waver: a finished task answered again after an idle answer is the same operation
(a task id seen before is the same operation, whatever came between): no second row, and "how it ended"
keeps its real duration."""

from __future__ import annotations

from pathlib import Path

from lib.db.store import HistoryStore
from lib.portal.models import Operation
from lib.views.status import ended_words
from lib.watching.poller import Poll
from lib.watching.recording import Recording
from tests.factories import EN, T0, progress


def test_a_finished_task_answered_again_after_an_idle_answer(tmp_path: Path) -> None:
    store = HistoryStore(f"sqlite:///{tmp_path}/history.sqlite3")
    told: list[tuple[str, ...]] = []
    rec = Recording("prod", "Production", Operation.RESTORE, "any", store, lambda key, _text: told.append(key),
                    stall_floor=600.0)
    rec.resume()
    answers = [(0, progress(0)), (8, progress(50)), (16, progress(100, done=True)), (20, None),
               (24, progress(100, done=True)), (28, None), (32, progress(100, done=True))]
    for at, answer in answers:
        rec.record(Poll(T0 + at, answer, 0))
    assert store.flush()
    (op,) = store.operations()
    assert (op.outcome, op.started, op.ended) == ("completed", T0, T0 + 16)
    assert rec.last_ended is not None and (rec.last_ended.id, rec.last_ended.ended) == (op.id, T0 + 16)
    said = ended_words(rec.last_ended, "restore", T0 + 40, EN)
    assert said == "The last restore completed today at 08:00, after 16 sec."
    assert [key[-1] for key in told] == ["completed"]
    store.close()


def test_a_running_task_answered_again_after_an_idle_answer(tmp_path: Path) -> None:
    store = HistoryStore(f"sqlite:///{tmp_path}/history.sqlite3")
    rec = Recording("prod", "Production", Operation.RESTORE, "any", store, lambda *_: None, stall_floor=600.0)
    rec.resume()
    for at, answer in [(0, progress(0)), (8, progress(40)), (12, None), (16, progress(50)), (24, progress(60))]:
        rec.record(Poll(T0 + at, answer, 0))
    assert store.flush()
    (op,) = store.operations()
    assert (op.outcome, op.first_seen, op.started, op.last_percent) == ("running", T0, T0, 60)
    assert rec.timeline.first_seen == T0 and [p.percent for p in rec.timeline.progress_points] == [0, 40, 50, 60]
    assert [p.percent for p in store.points_of(op.id)][-2:] == [50, 60]
    store.close()
