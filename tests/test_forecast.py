"""The learned overall estimate: what earlier runs teach, "done around" as a range, and its words."""

from __future__ import annotations

import pytest

from lib.jobs.eta import Estimate, estimate
from lib.jobs.forecast import (
    MARGIN,
    RECENT,
    DoneBy,
    EarlierRuns,
    PastRun,
    before_start_words,
    done_by,
    done_by_short,
    done_by_words,
    learn,
)
from lib.jobs.recorded import RecordedOperation
from lib.jobs.timeline import Point, Timeline
from lib.portal.errors import PortalUnreachable
from lib.portal.models import Operation, Progress
from lib.timewords import zone
from tests.factories import EN, T0, en, progress, timeline

DAY = 86_400.0
Poll = tuple[float, object]


def restore_polls(prep: float, data: float, plateau: float, *, from_pct: int = 0) -> list[Poll]:
    """0 %, 10 % after ``prep``, one percent at a time to 75 % over ``data``, 100 % after ``plateau``."""
    polls: list[Poll] = [(0.0, progress(0)), (prep, progress(10))]
    polls += [(prep + data * k / 65, progress(10 + k)) for k in range(1, 66)]
    polls.append((prep + data + plateau, progress(100, done=True)))
    return [(at, p) for at, p in polls if p.progress >= from_pct]  # type: ignore[attr-defined]


def backup_polls(data: float, plateau: float) -> list[Poll]:
    polls: list[Poll] = [(0.0, progress(0, Operation.BACKUP))]
    polls += [(data * k / 90, progress(k, Operation.BACKUP)) for k in range(1, 91)]
    polls.append((data + plateau, progress(100, Operation.BACKUP, done=True)))
    return polls


def stored(polls: list[Poll], start: float, *, op: Operation = Operation.RESTORE, outcome: str = "completed",
           name: str = "") -> tuple[RecordedOperation, list[Point]]:
    t = timeline(*polls, op=op, start=start)
    seen = t.progress_points
    first, last = seen[0], seen[-1]
    row = RecordedOperation(id=name or f"op-{start}", portal="production", kind=op.noun, scope="any",
                          task_id=name, first_seen=first.at, first_percent=first.percent or 0,
                          started=first.at if first.percent == 0 else None,
                          ended=None if outcome == "running" else last.at, outcome=outcome,
                          last_percent=last.percent or 0, portal_text="", last_seen=last.at)
    return row, t.points


def three_restores(datas: tuple[float, ...] = (1200, 1300, 1100), plateaus: tuple[float, ...] = (600, 650, 550),
                   **kw: object) -> EarlierRuns:
    past = [stored(restore_polls(60, d, p), T0 - (i + 1) * DAY) for i, (d, p) in enumerate(zip(datas, plateaus,
                                                                                                 strict=True))]
    return learn(past, "restore", **kw)  # type: ignore[arg-type]


# ---------------------------------------------------------------- learning


def test_a_run_seen_whole_teaches_its_total_data_phase_and_plateau() -> None:
    history = learn([stored(restore_polls(60, 1200, 600), T0 - DAY)], Operation.RESTORE)
    assert history.kind == "restore"
    assert history.runs == (PastRun(T0 - DAY + 1860, total=1860, data=1200, plateau=600),)
    assert history.runs[0].share == 0.5
    backup = learn([stored(backup_polls(720, 180), T0 - DAY, op=Operation.BACKUP)], "backup")
    assert backup.runs[0].total == 900 and backup.runs[0].data == 720 and backup.runs[0].plateau == 180


def test_only_completed_runs_of_the_same_kind_count() -> None:
    past = [stored(restore_polls(60, 1200, 600), T0 - k * DAY, outcome=outcome)
            for k, outcome in enumerate(("failed", "cancelled", "vanished", "running"), start=1)]
    past.append(stored(backup_polls(720, 180), T0 - 6 * DAY, op=Operation.BACKUP))
    assert learn(past, "restore").runs == ()
    assert len(learn(past, "backup").runs) == 1


def test_a_run_first_seen_midway_teaches_only_its_plateau() -> None:
    history = learn([stored(restore_polls(60, 1200, 600, from_pct=40), T0 - DAY)], "restore")
    assert history.runs[0].total is None and history.runs[0].data is None and history.runs[0].plateau == 600
    assert history.totals == [] and history.plateaus == [600]


def test_a_plateau_not_seen_whole_teaches_nothing() -> None:
    # first seen on the plateau: neither the start nor the plateau's beginning was seen
    assert learn([stored(restore_polls(60, 1200, 600, from_pct=75), T0 - DAY)], "restore").runs == ()
    # the portal did not answer when 75 % was reached: that moment is not known
    polls = restore_polls(60, 1200, 600)
    reached = polls[-2][0]
    polls.insert(-2, (reached - 1, PortalUnreachable("timeout")))
    history = learn([stored(polls, T0 - DAY)], "restore")
    assert history.runs[0].plateau is None and history.runs[0].total == 1860


def test_only_the_newest_runs_are_learned_from() -> None:
    past = [stored(restore_polls(60, 1000 + 100 * k, 600), T0 - (k + 1) * DAY) for k in range(RECENT + 3)]
    history = learn(list(reversed(past)), "restore")
    assert len(history.runs) == RECENT
    assert [r.data for r in history.runs] == [1000 + 100 * k for k in range(RECENT)]  # newest first


def test_auto_picks_the_plateau_model_that_explains_the_earlier_runs() -> None:
    proportional = three_restores((1000, 1500, 2000), (500, 750, 1000))
    assert proportional.model == "share"
    fixed = three_restores((1000, 1500, 2000), (600, 600, 610))
    assert fixed.model == "absolute"
    assert three_restores(model="absolute").model == "absolute"
    assert learn([stored(restore_polls(60, 1200, 600), T0 - DAY)], "restore").model == "share"  # too few to judge
    with pytest.raises(ValueError, match="model"):
        learn([], "restore", model="guess")


# ---------------------------------------------------------------- the estimate


def test_no_earlier_runs_no_learned_estimate() -> None:
    now = timeline((0, progress(0)), (30, progress(10)))
    assert done_by(now, T0 + 30, learn([], "restore"), None) is None
    assert done_by(now, T0 + 30, None, None) is None
    assert before_start_words(learn([], "restore"), EN) is None and before_start_words(None, EN) is None


def test_nothing_running_or_another_kind_gives_none() -> None:
    history = three_restores()
    finished = timeline(*restore_polls(60, 1200, 600))
    assert done_by(finished, T0 + 2000, history, None) is None
    backup = timeline((0, progress(0, Operation.BACKUP)), op=Operation.BACKUP)
    assert done_by(backup, T0, history, None) is None


def test_before_the_job_moves_the_earlier_totals_say_when() -> None:
    history = three_restores()  # totals 1860, 2010, 1710 s
    t = timeline((0, progress(0)))
    guess = done_by(t, T0 + 10, history, None)
    margin = MARGIN * 1860
    assert guess is not None and guess.runs == 3 and not guess.late
    assert guess.low == pytest.approx(T0 + 1710 - margin) and guess.high == pytest.approx(T0 + 2010 + margin)
    assert done_by_words(guess, EN, T0).endswith("(based on 3 earlier restores)")
    assert before_start_words(history, EN) == "The last 3 restores here took 29–34 min"


def test_in_the_data_phase_the_plateau_is_added_to_the_phase_estimate() -> None:
    history = three_restores((1200, 1200, 1200), (540, 600, 660), model="share")  # shares 0.45–0.55
    t = timeline(*restore_polls(60, 1200, 600)[:32])  # at 40 %
    now = T0 + 60 + 1200 * 30 / 65
    guess = done_by(t, now, history, Estimate(600, 700, 75))
    so_far = now - (T0 + 60)
    low_share, high_share = 0.45 - MARGIN * 0.5, 0.55 + MARGIN * 0.5
    assert guess is not None
    assert guess.low == pytest.approx(now + 600 + low_share * (so_far + 600))
    assert guess.high == pytest.approx(now + 700 + high_share * (so_far + 700))
    # the real end (60 + 1200 + 600 s) is inside, and the range is not absurdly wide
    assert guess.low <= T0 + 1860 <= guess.high and guess.high - guess.low < 400
    absolute = three_restores((1200, 1200, 1200), (540, 600, 660), model="absolute")
    fixed = done_by(t, now, absolute, Estimate(600, 700, 75))
    assert fixed is not None and fixed.low == pytest.approx(now + 600 + 540 - MARGIN * 600)


def test_with_the_real_phase_estimate_the_range_holds_the_truth() -> None:
    history = three_restores()
    polls = restore_polls(60, 1200, 600)
    t = Timeline(Operation.RESTORE)
    for at, p in polls[:40]:
        t.record(T0 + at, p)  # type: ignore[arg-type]
    now = T0 + polls[39][0]
    guess = done_by(t, now, history, estimate(t, now))
    assert guess is not None and guess.low <= T0 + 1860 <= guess.high


def test_on_the_plateau_the_moment_it_was_reached_anchors_the_rest() -> None:
    history = three_restores((1200, 1200, 1200), (540, 600, 660), model="absolute")
    polls = restore_polls(60, 1200, 600)[:-1]  # on the plateau, not done
    t = timeline(*polls, (1500, progress(75, tenant=2)))
    guess = done_by(t, T0 + 1500, history, None)
    reached = T0 + 1260
    assert guess is not None
    assert guess.low == pytest.approx(reached + 540 - MARGIN * 600)
    assert guess.high == pytest.approx(reached + 660 + MARGIN * 600)


def test_joined_on_the_plateau_there_is_no_anchor() -> None:
    history = three_restores()
    t = timeline((0, progress(75)), (100, progress(75, tenant=2)))
    assert done_by(t, T0 + 100, history, None) is None


def test_a_run_seen_from_the_middle_uses_the_plateau_only() -> None:
    midway = [stored(restore_polls(60, 1200, 600, from_pct=40), T0 - k * DAY) for k in (1, 2, 3)]
    history = learn(midway, "restore")
    t = timeline(*restore_polls(60, 1200, 600)[:32])
    now = T0 + 60 + 1200 * 30 / 65
    guess = done_by(t, now, history, Estimate(600, 700, 75))  # no data phases known: plateau as it was
    assert guess is not None and guess.low == pytest.approx(now + 600 + 600 - MARGIN * 600)
    assert done_by(timeline((0, progress(0))), T0, history, None) is None  # no totals to go on before it moves
    assert before_start_words(history, EN) is None


def test_past_the_latest_earlier_run_it_is_late() -> None:
    history = three_restores()
    t = timeline((0, progress(0)), (3000, progress(0)))
    guess = done_by(t, T0 + 3000, history, None)
    assert guess is not None and guess.late and guess.low == guess.high == T0 + 3000
    assert done_by_words(guess, en(zone("UTC")), T0 + 3000) == "taking longer than the last 3 restores here"
    assert done_by_short(guess, en(zone("UTC")), T0 + 3000) == "overdue"


def test_a_backup_learns_its_upload_plateau_at_90() -> None:
    past = [stored(backup_polls(720, 180), T0 - k * DAY, op=Operation.BACKUP) for k in (1, 2, 3)]
    history = learn(past, Operation.BACKUP)
    t = timeline(*backup_polls(720, 180)[:-1], (850, progress(90, Operation.BACKUP)), op=Operation.BACKUP)
    guess = done_by(t, T0 + 850, history, None)
    assert guess is not None and guess.low <= T0 + 900 <= guess.high
    assert done_by_words(guess, EN, T0).endswith("(based on 3 earlier backups)")


# ---------------------------------------------------------------- words


def test_done_around_words_in_the_viewers_zone() -> None:
    # T0 is 08:00 UTC, 09:00 in Berlin; a range 20-35 min ahead is told to 5 minutes
    guess = DoneBy(T0 + 21 * 60, T0 + 34 * 60, 3, "restore")
    assert done_by_words(guess, en(zone("UTC")), T0) == "done around 08:20–08:35 (based on 3 earlier restores)"
    berlin = en(zone("Europe/Berlin"))
    assert done_by_words(guess, berlin, T0) == "done around 09:20–09:35 (based on 3 earlier restores)"
    narrow = DoneBy(T0 + 301, T0 + 330, 1, "backup")  # under 10 min ahead: to the minute
    assert done_by_words(narrow, en(zone("UTC")), T0) == "done around 08:05–08:06 (based on 1 earlier backup)"
    same = DoneBy(T0 + 120, T0 + 150, 2, "restore")
    assert done_by_short(same, en(zone("UTC")), T0 + 100) == "08:02–08:03"
    point = DoneBy(T0 + 2 * 3600 + 60, T0 + 2 * 3600 + 120, 2, "restore")
    assert done_by_short(point, en(zone("UTC")), T0) == "10:00–10:15"


def test_done_around_after_midnight_names_the_day() -> None:
    late_evening = T0 + 15 * 3600 + 40 * 60  # 23:40 UTC
    guess = DoneBy(late_evening + 40 * 60, late_evening + 55 * 60, 3, "restore")
    assert done_by_short(guess, en(zone("UTC")), late_evening) == "Jan 16, 00:20–00:35"
    across = DoneBy(late_evening + 5 * 60, late_evening + 40 * 60, 3, "restore")
    assert done_by_short(across, en(zone("UTC")), late_evening) == "23:45–Jan 16, 00:20"


def test_the_label_counts_the_runs() -> None:
    assert done_by_words(DoneBy(T0, T0 + 60, 1, "restore"), EN, T0).endswith("(based on 1 earlier restore)")
    assert done_by_words(DoneBy(T0, T0 + 60, 4, "backup"), EN, T0).endswith("(based on 4 earlier backups)")


@pytest.mark.parametrize(("totals", "words"), [
    ((2100, 2520, 2280), "The last 3 restores here took 35–42 min"),
    ((2280,), "The last restore here took 38 min"),
    ((2280, 2290), "The last 2 restores here took 38 min each"),
    ((3900, 4800), "The last 2 restores here took 1 hr, 5 min to 1 hr, 20 min"),
    ((20, 40), "The last 2 restores here took under a minute each"),
])
def test_before_start_words(totals: tuple[float, ...], words: str) -> None:
    history = EarlierRuns("restore", tuple(PastRun(T0, total, None, None) for total in totals))
    assert before_start_words(history, EN) == words


def test_progress_is_a_real_record() -> None:
    assert isinstance(progress(100, done=True), Progress)
