"""What the recorded history adds to the words: how the last operation ended, "done around" learned from
earlier runs, and reminders while a job stays stalled or a backup stays overdue (then "back to normal")."""

from __future__ import annotations

from pathlib import Path

import pytest

from lib.db.store import HistoryStore
from lib.jobs.forecast import Past, learn
from lib.jobs.phases import Phase
from lib.jobs.recorded import RecordedOperation
from lib.jobs.timeline import Point
from lib.portal.models import Operation, TaskStatus
from lib.settings.config import AppConfig, PortalConfig
from lib.views.status import describe, ended_words
from lib.watching.poller import Poll
from lib.watching.recording import Recording
from lib.watching.watcher import Watcher
from simulator import ManualClock, Simulator
from tests.factories import EN, KEY, T0, progress, timeline

NOW = T0 + 3 * 86_400  # three days later, 08:00 UTC


def op(outcome: str, *, started: float | None = T0, ended: float | None = T0 + 2520, pct: int = 100,
       text: str = "", kind: str = "restore", op_id: str = "op") -> RecordedOperation:
    return RecordedOperation(op_id, "prod", kind, "any", "task", started or T0 + 600, 0 if started else 40, started,
                           ended, outcome, pct, text, ended or T0)


@pytest.mark.parametrize(("stored", "words"), [
    (None, "No restore has been recorded here yet."),
    (op("completed"), "The last restore completed on Jan 15 at 08:42, after 42 min."),
    (op("completed", started=None), "The last restore completed on Jan 15 at 08:42, at least 32 min after it was "
                                    "first seen."),
    (op("failed", pct=42, text="The backup file is invalid."),
     "The last restore failed on Jan 15 at 08:42 at 42%: “The backup file is invalid.”"),
    (op("cancelled", pct=45, kind="backup"), "The last backup was cancelled on Jan 15 at 08:42 at 45%."),
    (op("vanished", pct=60), "The last restore was last seen on Jan 15 at 08:42 at 60%; how it ended is not known."),
])
def test_how_the_last_one_ended(stored: RecordedOperation | None, words: str) -> None:
    noun = stored.kind if stored else "restore"
    assert ended_words(stored, noun, NOW, EN) == words


def test_today_and_yesterday_are_said_so() -> None:
    done = op("completed", started=NOW - 3600, ended=NOW - 600)
    assert ended_words(done, "restore", NOW, EN).startswith("The last restore completed today at 07:50")
    late = op("completed", started=NOW - 90_000, ended=NOW - 86_400)
    assert "completed yesterday at 08:00" in ended_words(late, "restore", NOW, EN)


def test_the_idle_page_tells_how_it_ended() -> None:
    t = timeline((0, None))
    status = describe(t, T0 + 5, EN, past=Past(op("completed", started=T0 - 7200, ended=T0 - 4680), None))
    assert status.headline == "No restore is running."
    assert status.ended == "The last restore completed today at 06:42, after 42 min."


def past_runs(n: int = 3) -> Past:
    """``n`` earlier restores: 60 s preparing, 600 s restoring data, 300 s finishing."""
    runs = []
    for i in range(n):
        start = T0 - (i + 1) * 86_400
        points = [Point(start, 0, Phase.PREPARING), Point(start + 60, 10, Phase.RESTORING),
                  Point(start + 660, 75, Phase.FINISHING), Point(start + 960, 100, Phase.COMPLETED)]
        runs.append((op("completed", started=start, ended=start + 960, op_id=f"r{i}"), points))
    return Past(runs[0][0], learn(runs, "restore"))


def test_done_around_is_learned_from_earlier_runs_and_labelled() -> None:
    polls = [(0, progress(0)), (60, progress(10))] + [(60 + 30 * k, progress(10 + 3 * k)) for k in range(1, 11)]
    t = timeline(*polls)
    now = T0 + 360
    plain = describe(t, now, EN)
    learned = describe(t, now, EN, past=past_runs())
    assert "to reach 75%" in plain.eta and plain.numbers[-1].label == "Time left"
    assert learned.eta.startswith("done around ") and learned.eta.endswith("(based on 3 earlier restores)")
    assert learned.numbers[-1].label == "Done around"


def test_before_it_moves_the_earlier_runs_durations_are_said() -> None:
    t = timeline((0, progress(0, status=TaskStatus.CREATED)))
    status = describe(t, T0 + 5, EN, past=past_runs())
    assert "The last 3 restores here took 16 min each" in status.facts


# ---------------------------------------------------------------- reminders


def stalled_recording(tmp_path: Path, remind: float | None) -> tuple[Recording, list[tuple[str, ...]]]:
    told: list[tuple[str, ...]] = []
    store = HistoryStore(f"sqlite:///{tmp_path}/h.sqlite3")
    rec = Recording("prod", "Production", Operation.RESTORE, "any", store,
                    lambda key, text: told.append((*key, str(text))), stall_floor=600.0, remind_after=remind)
    for i in range(10):
        rec.record(Poll(T0 + 60 * i, progress(10 + i), 0))
    return rec, told


@pytest.mark.parametrize("remind", [None, 3600.0])
def test_a_stall_is_reminded_every_so_often_then_back_to_normal(tmp_path: Path, remind: float | None) -> None:
    rec, told = stalled_recording(tmp_path, remind)
    for minute in range(10, 160):  # 19 … 2 h 30 min without progress
        rec.record(Poll(T0 + 60 * minute, progress(19), 0))
    rec.record(Poll(T0 + 60 * 160, progress(20), 0))
    events = [key[3] for key in told]
    if remind is None:
        assert events == ["stalled"]
    else:
        assert events == ["stalled", "stalled-reminder-1", "stalled-reminder-2", "stall-over"]
        assert told[1][-1].startswith("⏰ Production: still no progress on the restore after 1 hr")
        assert told[-1][-1] == "✅ Production: the restore is moving again, at 20%."


def test_an_overdue_backup_is_reminded_then_back_on_schedule(manual_clock: ManualClock) -> None:
    told: list[str] = []
    with Simulator("overdue", api_key=KEY, clock=manual_clock) as sim:
        config = AppConfig((PortalConfig("prod", sim.url, "Production", KEY),), history_url="sqlite://",
                           webhook_url="https://hooks.example/x", remind_hours=1.0)
        w = Watcher(config, HistoryStore("sqlite://", clock=manual_clock), clock=manual_clock,
                    send=lambda url, body: told.append(body["text"]))
        try:
            for _ in range(3 * 6 + 1):  # three hours, the backup list every 10 minutes
                w.sync()
                w.notifier.deliver_due()
                manual_clock.advance(600)
            sim.set_scenario("backup")  # the portal's backups are back (today's 02:00 is there)
            w.check_now("prod", "backups")
            w.sync()
            w.notifier.deliver_due()
        finally:
            w.stop()
    assert told[0].startswith("⚠️ Production: a scheduled backup is overdue")
    assert all(t.startswith("⏰ Production: still no backup since the one scheduled") for t in told[1:4])
    assert told[-1] == "✅ Production: a backup was made; backups are on schedule again."
    assert len(told) == 5
