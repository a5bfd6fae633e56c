"""The All portals page's decisions: one line per configured portal, its health, activity and last backup.

The last backup is one that was made (the portal's list, the app's recordings, DocSpace's audit trail), never
the schedule's ``lastBackupTime``; a schedule that went away is an alarm; a plan without backups is said
calmly, with its own badge, not as "unreachable"."""

from __future__ import annotations

from dataclasses import dataclass

from lib import timewords
from lib.i18n import Viewer
from lib.jobs.backups_made import last_backup_time
from lib.jobs.eta import stalled_for
from lib.jobs.phases import Phase
from lib.jobs.schedule import overdue_since
from lib.jobs.timeline import Timeline
from lib.portal.errors import SLOW, Category, DocSpaceError, PaymentRequired, PortalRestoring
from lib.portal.models import BackupsAnswer, Progress
from lib.views.known import Known, stopped_sentence
from lib.views.status import Level


@dataclass(frozen=True)
class PortalLine:
    level: Level
    activity: str  # "Restoring · 42%", "idle"
    last_backup: str  # "18 h ago", "unknown", "needs an API key"
    note: str = ""


def portal_line(restore: Timeline, backup: Timeline | None,
                backups: BackupsAnswer | DocSpaceError | None,
                now: float, stall_floor: float, v: Viewer, known: Known | None = None, label: str = "") -> PortalLine:
    """Health of one portal from its restore and backup timelines, its backup list and what the history
    database knows (``known``: backups made, the trail, the schedule it had; ``label``: its name)."""
    level, activity, note = Level.OK, v._("idle"), ""
    checking, needs_key = v._("checking…"), v._("needs an API key")
    if _checking(restore):  # nothing known yet: say so at once, never wait for the portal
        slow = v.say(restore.last_problem.message) if restore.last_problem is not None else ""
        return PortalLine(Level.WAITING, checking, checking if backup is not None else needs_key, slow)
    for timeline in (restore, backup):
        if timeline is None or _checking(timeline):
            continue
        phase = timeline.phase
        noun = timeline.operation.noun
        problem = timeline.last_problem
        progress = timeline.last_progress
        if problem is not None and problem.category is Category.AUTH:
            return PortalLine(Level.UNAUTHORIZED, "—", "—", v.say(problem.message))
        if problem is not None and problem.category is not Category.RESTORING:
            # "unreachable" only when it is: an answer we cannot read, or a move, is a warning with its words
            bad = Level.UNREACHABLE if problem.category is Category.UNREACHABLE else Level.WARNING
            return PortalLine(bad, _activity(timeline, v) or v._("unknown"), "—", v.say(problem.message))
        if phase.running and progress is not None:
            level, activity, note = _running(timeline, progress, now, stall_floor, v)
            break
        if progress is None or level is not Level.OK:
            continue
        pct = v.percent(progress.progress)
        if phase is Phase.FAILED:
            level, activity = Level.FAILED, v.k_(noun, "{noun} failed at {percent}", percent=pct)
            note = progress.error
        elif phase is Phase.CANCELLED:
            level, activity = Level.WARNING, v.k_(noun, "{noun} cancelled")
        elif phase is Phase.COMPLETED and progress.progress < 100:
            level, activity = Level.WARNING, v.k_(noun, "{noun} reported complete at {percent}", percent=pct)
    last = needs_key if backup is None else checking
    if isinstance(backups, DocSpaceError) and backups.label == SLOW:
        last = checking
    elif isinstance(backups, PortalRestoring):
        last = v._("unavailable while restoring")
    elif isinstance(backups, DocSpaceError) and backups.status == PaymentRequired.status:
        last = v._("not in the plan")
        if level is Level.OK:
            level, note = Level.NOT_IN_PLAN, v.say(backups.message)
    elif isinstance(backups, DocSpaceError):
        last = v._("unknown")
        if backups.status in (401, 403) and level is Level.OK:
            level, note = Level.UNAUTHORIZED, v.say(backups.message)
    elif backups is not None:
        level, last, note = _backups(backups, known, level, note, now, v, label)
    return PortalLine(level, activity, last, note)


def _backups(backups: BackupsAnswer, known: Known | None, level: Level, note: str, now: float, v: Viewer,
             label: str) -> tuple[Level, str, str]:
    """The last backup made, and whether automatic backups stopped or a scheduled one is overdue."""
    history, schedule = backups
    when = known.last_backup(history) if known is not None else last_backup_time(history)
    last = timewords.ago(now - when.timestamp(), v) if when else v._("never")
    stopped = known.stopped(schedule, now) if known is not None else None
    if stopped is not None and level is Level.OK:
        return Level.STOPPED, last, stopped_sentence(stopped, label or v._("this portal"), v)
    if schedule is not None and overdue_since(schedule, now, when) is not None and level is Level.OK:
        return Level.WARNING, last, v._("A scheduled backup is overdue.")
    return level, last, note


def _running(timeline: Timeline, progress: Progress, now: float, stall_floor: float,
             v: Viewer) -> tuple[Level, str, str]:
    """A job that runs: its line, unless it has stalled, or DocSpace reports an error while it goes on."""
    noun, level, activity, note = timeline.operation.noun, Level.RUNNING, _activity(timeline, v), ""
    stalled = stalled_for(timeline, now, stall_floor) is not None
    if stalled:
        level, note = Level.WARNING, v.k_(noun, "The {noun} has not moved for a while.")
    if progress.reported_progress is not None and not note:
        note = v._("DocSpace reported {reported}; shown as {shown}.", reported=v.percent(progress.reported_progress),
                   shown=v.percent(progress.progress))
    if progress.troubled:
        level = Level.WARNING
        note = v.k_(noun, "DocSpace reports an error while the {noun} goes on: {error}", error=progress.error)
        if stalled:  # as the progress page says it
            level, note = Level.FAILED, progress.error
            activity = v.k_(noun, "{noun} seems to have failed at {percent}", percent=v.percent(progress.progress))
    return level, activity, note


def _checking(timeline: Timeline) -> bool:
    """No answer yet: nothing asked, or only time-outs after which the next check waits longer."""
    if timeline.last_poll_at is None:
        return True
    return timeline.last_ok_at is None and timeline.last_problem is not None and timeline.last_problem.label == SLOW


def _activity(timeline: Timeline, v: Viewer) -> str:
    progress = timeline.last_progress
    if progress is None:
        return ""
    pct = v.percent(progress.progress)
    if timeline.phase is Phase.OTHER:
        return v._("{phase} ({code}) · {percent}", phase=v._(Phase.OTHER.value), code=progress.operation_code or "?",
                   percent=pct)
    return v._("{verb} · {percent} · {phase}", verb=v._(timeline.operation.verb), percent=pct,
               phase=v._(timeline.phase.value))
