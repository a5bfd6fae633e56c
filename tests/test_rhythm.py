"""views.rhythm.Rhythm: one viewer's checking rhythm (live, a quiet look-out after the end, paused) and its footer."""

from __future__ import annotations

from datetime import UTC
from zoneinfo import ZoneInfo

import pytest

from lib.views.rhythm import AFTER_END_CHECK, Change, Rhythm
from tests.factories import T0, en

# ---------------------------------------------------------------- interval


@pytest.mark.parametrize("refresh", [2.0, 5.0, 300.0])
def test_live_checks_at_the_viewers_interval(refresh: float) -> None:
    assert Rhythm().interval(refresh, paused=False) == refresh


@pytest.mark.parametrize(("refresh", "expected"), [(2.0, 60.0), (5.0, 60.0), (60.0, 60.0), (300.0, 300.0)])
def test_after_the_end_one_look_a_minute_unless_the_interval_is_longer(refresh: float, expected: float) -> None:
    assert AFTER_END_CHECK == 60.0
    assert Rhythm(live=False).interval(refresh, paused=False) == expected


@pytest.mark.parametrize("live", [True, False])
def test_paused_means_no_timer(live: bool) -> None:
    assert Rhythm(live=live).interval(5.0, paused=True) is None


# ---------------------------------------------------------------- observe


def test_a_running_job_changes_nothing_while_live() -> None:
    w = Rhythm()
    assert w.observe(running=True, done=False) is Change.NONE
    assert w.observe(running=True, done=False) is Change.NONE
    assert w.live and w.seen_running


def test_a_job_that_ends_while_watched_is_worth_a_toast() -> None:
    w = Rhythm()
    w.observe(running=True, done=False)
    assert w.observe(running=False, done=True) is Change.ENDED_WATCHED
    assert not w.live and not w.seen_running  # the next job starts unseen


def test_a_job_already_over_on_arrival_ends_quietly() -> None:
    w = Rhythm()
    assert w.observe(running=False, done=True) is Change.ENDED
    assert not w.live


def test_once_ended_the_same_end_changes_nothing() -> None:
    w = Rhythm()
    w.observe(running=False, done=True)
    assert w.observe(running=False, done=True) is Change.NONE
    assert not w.live


def test_a_new_job_after_the_end_resumes_live_checks() -> None:
    w = Rhythm()
    w.observe(running=True, done=False)
    w.observe(running=False, done=True)
    assert w.observe(running=True, done=False) is Change.RESUMED
    assert w.live and w.seen_running
    assert w.observe(running=False, done=True) is Change.ENDED_WATCHED


@pytest.mark.parametrize("live", [True, False])
def test_nothing_running_and_nothing_done_changes_nothing(live: bool) -> None:
    """Idle, queued-but-unknown or unreachable: the rhythm stays as it is."""
    w = Rhythm(live=live)
    assert w.observe(running=False, done=False) is Change.NONE
    assert w.live is live and not w.seen_running


def test_watch_again_goes_back_to_live_checks() -> None:
    w = Rhythm()
    w.observe(running=True, done=False)
    w.observe(running=False, done=True)
    w.live_again()
    assert w.live and w.interval(5.0, paused=False) == 5.0
    assert w.observe(running=False, done=True) is Change.ENDED  # still over; it was not watched running again


# ---------------------------------------------------------------- footer


def footer(w: Rhythm, *, last: float | None = T0 - 5, next_at: float | None = T0 + 5, failures: int = 0,
           tz=UTC, refresh: float = 5.0, paused: bool = False) -> str:
    return w.footer(last, next_at, failures, T0, en(tz), refresh, paused)


def test_no_footer_before_the_first_check() -> None:
    assert footer(Rhythm(), last=None) == ""
    assert footer(Rhythm(), last=None, paused=True) == ""


def test_live_says_when_it_checked_when_it_checks_next_and_in_which_zone() -> None:
    assert footer(Rhythm()) == "Last checked 07:59:55 · next check in 5 sec · times in UTC"
    real_wait = footer(Rhythm(), next_at=T0 + 1)
    assert real_wait == "Last checked 07:59:55 · next check in 1 sec · times in UTC"  # not the interval
    assert footer(Rhythm(), next_at=None) == "Last checked 07:59:55 · times in UTC"


def test_after_failed_checks_it_says_the_real_wait_and_why() -> None:
    once = footer(Rhythm(), next_at=T0 + 40, failures=1)
    assert once == "Last checked 07:59:55 · next check in 40 sec · times in UTC"
    assert footer(Rhythm(), next_at=T0 + 40, failures=3) == (
        "Last checked 07:59:55 · next check in 40 sec (3 checks failed, so checks are now 45 sec apart instead of "
        "5 sec) · times in UTC")


def test_paused_says_it_is_not_checking() -> None:
    assert footer(Rhythm(), paused=True) == "Last checked 07:59:55 · paused: not checking · times in UTC"
    assert footer(Rhythm(live=False), paused=True) == "Last checked 07:59:55 · paused: not checking · times in UTC"


@pytest.mark.parametrize(("refresh", "every"), [(5.0, "1 min"), (300.0, "5 min")])
def test_after_the_end_it_says_how_often_it_looks_for_a_new_job(refresh: float, every: str) -> None:
    assert footer(Rhythm(live=False), refresh=refresh, failures=4) == (
        f"Last checked 07:59:55 · finished; looking for a new job every {every} · times in UTC")


def test_the_last_check_is_in_the_viewers_zone_with_the_date_when_not_today() -> None:
    yesterday = T0 - 9 * 3600  # 23:00 UTC the day before, 08:00 the same morning in Tokyo
    assert footer(Rhythm(), last=yesterday, next_at=T0 + 40).startswith("Last checked Jan 14, 23:00:00 · ")
    assert footer(Rhythm(), last=yesterday, next_at=T0 + 40, tz=ZoneInfo("Asia/Tokyo")).startswith(
        "Last checked 08:00:00 · ")


# ---------------------------------------------------------------- the footer: the real wait


def test_the_footer_shows_the_real_wait_after_failures() -> None:
    t0 = 1_800_000_000.0  # 08:00:00 UTC
    watch = Rhythm()
    after_failures = watch.footer(t0, t0 + 8, 2, t0 + 6, en(), 2, False)
    assert after_failures == ("Last checked 08:00:00 · next check in 2 sec (2 checks failed, so checks are now "
                              "8 sec apart instead of 2 sec) · times in UTC")
    assert "waiting longer" not in after_failures
    assert watch.footer(t0, t0 + 5, 0, t0 + 4, en(), 5, False) == \
        "Last checked 08:00:00 · next check in 1 sec · times in UTC"  # the real wait, not the interval
    now = watch.footer(t0, t0 + 5, 0, t0 + 5.5, en(), 5, False)
    assert now == "Last checked 08:00:00 · checking now · times in UTC"
