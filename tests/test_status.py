"""status.describe: the words, level, title and done flag for every state a job can be in."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from lib.jobs.timeline import Timeline
from lib.portal.errors import Forbidden, PortalRestoring, PortalUnreachable, ServerError, Unauthorized
from lib.portal.models import Operation, TaskStatus
from lib.views.status import Level, Status, describe
from tests.factories import EN, T0, completed, en, progress, timeline


def pairs(status) -> list[tuple[str, str]]:
    """The row of numbers as (label, value) pairs."""
    return [(n.label, n.value) for n in status.numbers]


def say(t: Timeline, at: float, **kw) -> Status:
    return describe(t, T0 + at, EN, **kw)


def test_checking_before_the_first_poll() -> None:
    s = say(Timeline(Operation.RESTORE), 0)
    assert s.level is Level.WAITING and s.headline == "Checking the portal…" and s.title == "Checking…"
    assert not s.done and s.percent is None


@pytest.mark.parametrize(("op", "noun"), [(Operation.RESTORE, "restore"), (Operation.BACKUP, "backup")])
def test_no_job_running(op: Operation, noun: str) -> None:
    s = say(timeline((0, None), op=op), 10)
    assert s.level is Level.IDLE and s.headline == f"No {noun} is running."
    assert s.title == f"No {noun} running" and not s.done and s.percent is None


def test_queued() -> None:
    s = say(timeline((0, progress(0, status=TaskStatus.CREATED))), 5)
    assert s.level is Level.RUNNING and "queued" in s.headline and s.headline.startswith("A restore")
    assert not s.done and s.percent == 0


@pytest.mark.parametrize(("pct", "words"), [(5, "preparing"), (42, "restoring data"), (75, "finishing up")])
def test_restore_phases_in_the_headline_and_title(pct: int, words: str) -> None:
    s = say(timeline((0, progress(0)), (60, progress(pct))), 180)
    assert s.headline == f"Restoring — {pct}% · {words}"
    assert s.title == f"{pct}% · Restoring" and s.level is Level.RUNNING and not s.done
    assert s.percent == pct and ("Done", f"{pct}%") in pairs(s)
    assert "started 08:00" in s.facts and "last change 2 min ago" in s.facts


def test_backup_phases() -> None:
    s = say(timeline((0, progress(30, Operation.BACKUP)), op=Operation.BACKUP), 1)
    assert s.headline == "Backing up — 30% · creating the backup"
    s = say(timeline((0, progress(90, Operation.BACKUP)), op=Operation.BACKUP), 1)
    assert s.headline == "Backing up — 90% · uploading and finishing" and s.eta == "finishing up"
    assert ("Time left", "finishing") in pairs(s)


def test_finishing_says_finishing_up_not_a_number() -> None:
    polls = [(0, progress(0)), (60, progress(10))] + [(60 + 10 * k, progress(10 + k)) for k in range(1, 66)]
    s = say(timeline(*polls), 60 + 650 + 5)
    assert s.percent == 75 and s.eta == "finishing up" and ("Time left", "finishing") in pairs(s)


def test_data_phase_shows_a_range_and_a_clock_time() -> None:
    polls = [(0, progress(0)), (60, progress(10))] + [(60 + 10 * k, progress(10 + k)) for k in range(1, 31)]
    s = say(timeline(*polls), 360)
    assert s.eta.endswith("to reach 75%") and " left (around " in s.eta
    assert s.eta.startswith("about 6 min")  # 35 % at 1 % per 10 s
    assert ("Time left", "~6 min") in pairs(s) and ("Running for", "6 min") in pairs(s)


def test_completed() -> None:
    t = timeline((0, progress(0)), (600, completed()))
    s = say(t, 700)
    assert s.level is Level.OK and s.headline == "The restore completed." and s.done
    assert s.title == "Done · restore" and s.percent == 100 and s.portal_text == ""
    assert ("Took", "10 min") in pairs(s) and ("Finished at", "08:10") in pairs(s)


def test_arriving_late_says_first_seen_and_watched_for() -> None:
    t = timeline((0, progress(42)), (600, completed()))
    s = say(t, 700)
    assert "first seen 08:00 at 42%" in s.facts and ("Watched for", "10 min") in pairs(s)
    assert not any(label == "Took" for label, _ in pairs(s))


def test_completed_with_a_warning_keeps_the_portal_text_apart() -> None:
    note = "Some files were not backed up"
    t = timeline((0, progress(0, Operation.BACKUP)),
                 (60, completed(100, Operation.BACKUP, warning=note)),
                 op=Operation.BACKUP)
    s = say(t, 70)
    assert s.level is Level.WARNING and s.headline == "The backup completed with a warning."
    assert s.portal_text == note and note not in s.headline and s.title == "Done · backup"


def test_completed_with_a_warning_is_done() -> None:
    t = timeline((0, progress(0, Operation.BACKUP)),
                 (60, completed(100, Operation.BACKUP, warning="Some files were skipped")),
                 op=Operation.BACKUP)
    assert say(t, 70).done


def test_failed_keeps_the_portal_text_separate() -> None:
    hostile = "Restore failed: <b>disk full</b> [click](https://evil.example)"
    t = timeline((0, progress(0)), (300, completed(42, error=hostile)))
    s = say(t, 400)
    assert s.level is Level.FAILED and s.headline == "The restore failed at 42%." and s.done
    assert s.portal_text == hostile and hostile not in s.headline and "evil" not in s.headline
    assert s.title == "Failed · restore" and ("Stopped at", "42%") in pairs(s)


def test_failed_even_when_status_says_completed_and_progress_100() -> None:
    t = timeline((0, completed(100, error="Error")))
    assert say(t, 1).level is Level.FAILED


def test_cancelled() -> None:
    t = timeline((0, progress(0, Operation.BACKUP)),
                 (100, progress(30, Operation.BACKUP, warning="Backup cancelled", status=TaskStatus.CANCELED)),
                 op=Operation.BACKUP)
    s = say(t, 120)
    assert s.headline == "The backup was cancelled." and s.level is Level.WARNING and s.done
    assert s.title == "Cancelled · backup" and s.portal_text == "Backup cancelled"
    assert ("Stopped at", "30%") in pairs(s)


def test_cancelled_by_warning_alone() -> None:
    t = timeline((0, completed(30, Operation.BACKUP, warning="Backup cancelled")), op=Operation.BACKUP)
    assert say(t, 1).headline == "The backup was cancelled."


def test_unreachable_with_a_last_known_percent() -> None:
    t = timeline((0, progress(42)), (5, PortalUnreachable("timeout")), (300, PortalUnreachable("timeout")))
    s = say(t, 300)
    assert s.notice.startswith("42% as of 08:00: the portal has not answered for 5 min.")
    assert "did not answer in time" in s.notice
    assert s.headline == "Last known: Restoring — 42% · restoring data" and s.percent == 42
    assert s.level in (Level.RUNNING, Level.WARNING) and "No progress" not in s.notice


def test_unreachable_before_any_answer() -> None:
    s = say(timeline((0, ServerError(status=503))), 10)
    assert s.level is Level.UNREACHABLE and s.headline == "Cannot reach the portal to check the restore."
    assert s.title == "Unreachable" and "error 503" in s.notice and not s.done


def test_unreachable_after_an_idle_answer() -> None:
    s = say(timeline((0, None), (5, PortalUnreachable("dns"))), 10)
    assert s.level is Level.UNREACHABLE and "DNS" in s.notice


@pytest.mark.parametrize("error", [Unauthorized(), Forbidden()])
def test_unauthorized_even_with_a_known_percent(error: Exception) -> None:
    s = say(timeline((0, progress(42, Operation.BACKUP)), (5, error), op=Operation.BACKUP), 10)
    assert s.level is Level.UNAUTHORIZED and s.title == "Not authorized"
    assert s.headline == "Cannot read the backup status: the portal refused the API key."
    assert "API key" in s.notice and not s.done


def test_portal_restoring() -> None:
    s = say(timeline((0, PortalRestoring()), op=Operation.BACKUP), 10)
    assert s.level is Level.RESTORING
    assert s.headline == "The portal is being restored; backups are unavailable until it finishes."
    assert s.title == "Portal restoring" and not s.notice  # once: no second box repeating it


def test_a_stall_is_a_warning_with_a_notice() -> None:
    polls = [(10 * k, progress(10 + k)) for k in range(5)] + [(1000, progress(14))]
    s = say(timeline(*polls), 1000)
    assert s.level is Level.WARNING and s.notice.startswith("No progress for 16 min.")
    assert "may be stuck" in s.notice and not s.done
    s = say(timeline(*polls), 1000, stall_floor=3600)
    assert s.level is Level.RUNNING and s.notice == ""


def test_a_running_warning_is_a_warning_and_shown_as_portal_text() -> None:
    s = say(timeline((0, progress(50, Operation.BACKUP, warning="Low disk space")), op=Operation.BACKUP), 1)
    assert s.level is Level.WARNING and s.portal_text == "Low disk space" and not s.done


def test_clock_times_are_in_the_viewers_zone() -> None:
    t = timeline((0, progress(0)), (60, progress(20)))
    s = describe(t, T0 + 60, en(ZoneInfo("Asia/Tokyo")))
    assert "started 17:00" in s.facts  # 08:00 UTC is 17:00 in Tokyo


def test_every_level_has_a_material_icon() -> None:
    assert all(level.icon.startswith(":material/") and level.icon.endswith(":") for level in Level)


def test_a_slow_portal_before_its_first_answer_is_waited_for_not_called_unreachable() -> None:
    slow = PortalUnreachable("timeout", waited=5, next_wait=10)
    s = say(timeline((0, slow)), 6)
    assert s.level is Level.WAITING and s.headline == "Waiting for the portal to answer…"
    assert "Cannot reach" not in s.headline and not s.notice  # a calm line, not a red box
    assert s.facts == ["The portal did not answer within 5 sec. It may be busy; the next check waits up to 10 sec."]
    capped = PortalUnreachable("timeout", waited=30)
    s = say(timeline((0, slow), (20, capped)), 60)
    assert s.level is Level.UNREACHABLE and "did not answer within 30 sec" in s.notice


def test_an_unreadable_answer_is_not_called_silence_and_the_last_state_is_labelled() -> None:
    from lib.portal.errors import UnexpectedResponse

    polls = [(0, progress(0)), (60, progress(10))] + [(60 + 10 * i, progress(10 + 5 * i)) for i in range(1, 12)]
    t = timeline(*polls, (185, UnexpectedResponse("the answer is not JSON")))
    s = say(t, 199)
    assert "has not answered" not in s.notice
    assert s.notice.startswith("65% as of 08:02 is the last state this app could read.")
    assert "The portal answered, but with something this app cannot read." in s.notice
    assert s.headline == "Last known: Restoring — 65% · restoring data"
    assert not s.eta and ("Time left", "unknown") in pairs(s)  # no estimate from a state we cannot see


def test_silence_keeps_its_words_and_also_labels_the_last_state() -> None:
    t = timeline((0, progress(0)), (60, progress(42)), (90, PortalUnreachable("dropped")))
    s = say(t, 120)
    assert s.headline == "Last known: Restoring — 42% · restoring data"
    assert s.notice.startswith("42% as of 08:01: the portal has not answered for 1 min.")


def test_an_unreadable_first_answer_is_not_called_unreachable() -> None:
    from lib.portal.errors import UnexpectedResponse

    s = say(timeline((0, UnexpectedResponse("the answer is not JSON"))), 10)
    assert s.headline == "The portal answered, but this app cannot read the restore status."
    assert "Cannot reach" not in s.headline and "cannot read" in s.notice


# ---------------------------------------------------------------- odd values: told as the portal said them


def test_complete_below_100_is_told_as_the_portal_said_it() -> None:
    s = say(timeline((0, progress(0)), (60, progress(20)),
                     (120, progress(40, done=True, status=TaskStatus.COMPLETED))), 130)
    assert s.headline == "DocSpace reports the restore complete at 40%."
    assert s.level is Level.WARNING and s.percent == 40 and ("Done", "40%") in pairs(s)
    assert "100%" not in " ".join(v for _, v in pairs(s))
    assert "check in DocSpace" in s.notice and s.done


def test_progress_above_100_is_clamped_and_noted() -> None:
    from lib.portal.models import parse_progress

    over = parse_progress({"isCompleted": False, "progress": 140, "error": "", "backupProgressEnum": 1})
    assert over.progress == 100 and over.reported_progress == 140
    s = say(timeline((0, progress(0)), (60, over)), 70)
    assert s.percent == 100 and s.notice == "DocSpace reported 140%; shown as 100%."


def test_an_unknown_kind_of_operation_is_not_called_a_transfer() -> None:
    from lib.portal.models import parse_progress

    odd = parse_progress({"isCompleted": False, "progress": 42, "error": "", "backupProgressEnum": 7})
    assert odd.operation is Operation.UNKNOWN and odd.operation_code == "7"
    s = say(timeline((0, odd)), 10)
    assert s.headline == "An operation of a kind this app does not know (7) — 42%"
    assert "transferring" not in s.headline.lower() and s.level is Level.RUNNING


# ---------------------------------------------------------------- an error while the job goes on


def test_an_error_while_the_job_still_runs_is_a_warning_and_the_watching_goes_on() -> None:
    said = "Could not read one file; retrying it."
    s = say(timeline((0, progress(0)), (60, progress(30)), (90, progress(30, error=said))), 100)
    assert s.level is Level.WARNING and not s.done
    assert s.headline == "Restoring — 30% · restoring data" and s.portal_text == said
    assert "still running" in s.notice and "keep watching" in s.notice


def test_an_error_and_then_no_movement_is_called_failed_but_still_watched() -> None:
    said = "The backup file is invalid."
    s = say(timeline((0, progress(0)), (60, progress(30)), (90, progress(30, error=said)),
                     (2000, progress(30, error=said))), 2000)
    assert s.level is Level.FAILED and s.headline == "The restore seems to have failed at 30%."
    assert s.portal_text == said and not s.done  # not over: if it moves again, the page follows


def test_failed_only_when_the_portal_says_completed() -> None:
    said = "The backup file is invalid."
    s = say(timeline((0, progress(30)), (60, progress(42, error=said, done=True, status=TaskStatus.COMPLETED))), 70)
    assert s.level is Level.FAILED and s.headline == "The restore failed at 42%." and s.done


def test_watched_for_when_the_start_was_not_seen() -> None:
    s = say(timeline((0, progress(20)), (8, progress(21))), 8)
    assert ("Watched for", "8 sec") in pairs(s) and not any(label == "Running for" for label, _ in pairs(s))
    seen_start = say(timeline((0, progress(0)), (8, progress(10))), 8)
    assert ("Running for", "8 sec") in pairs(seen_start)
