"""A portal whose answers waver: a finished task answered again after an idle answer is the same operation
(a task id seen before is the same operation, whatever came between): no second row, and "how it ended"
keeps its real duration. And a stall that ends with the job is one message, not two."""

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


def test_a_stall_that_ends_with_the_job_is_one_message(tmp_path: Path) -> None:
    store = HistoryStore(f"sqlite:///{tmp_path}/history.sqlite3")
    told: list[str] = []
    rec = Recording("prod", "Production", Operation.RESTORE, "any", store, lambda key, text: told.append(str(text)),
                    stall_floor=600.0, remind_after=3600.0)
    rec.resume()
    for at, answer in [(0, progress(0)), (10, progress(75)), (700, progress(75)), (760, progress(100, done=True))]:
        rec.record(Poll(T0 + at, answer, 0))
    assert told[0].startswith("⚠️ Production: the restore has made no progress for ")
    assert told[1:] == ["✅ Production: the restore completed."]  # not also "the restore has ended (completed)"
    for at, answer in [(800, progress(0, task="next")), (810, progress(30, task="next")),
                       (1500, progress(30, task="next")), (1510, progress(40, task="next"))]:
        rec.record(Poll(T0 + at, answer, 0))
    assert told[-1] == "✅ Production: the restore is moving again, at 40%."  # a stall that ends by moving: said
    store.close()
