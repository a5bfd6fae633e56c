"""The All portals page's decisions: one line per configured portal, its health, activity and last backup."""

from __future__ import annotations

from dataclasses import dataclass

from lib import timewords
from lib.jobs.backups_made import last_backup_time
from lib.jobs.eta import stalled_for
from lib.jobs.phases import Phase
from lib.jobs.schedule import overdue_since
from lib.jobs.timeline import Timeline
from lib.portal.errors import SLOW, Category, DocSpaceError, PortalRestoring
from lib.portal.models import BackupsAnswer
from lib.views.status import Level


@dataclass(frozen=True)
class PortalLine:
    level: Level
    activity: str  # "Restoring · 42%", "idle"
    last_backup: str  # "18 h ago", "unknown", "needs an API key"
    note: str = ""


def portal_line(restore: Timeline, backup: Timeline | None,
                backups: BackupsAnswer | DocSpaceError | None,
                now: float, stall_floor: float) -> PortalLine:
    """Health of one portal from its restore and backup timelines and its backup list."""
    level, activity, note = Level.OK, "idle", ""
    if _checking(restore):  # nothing known yet: say so at once, never wait for the portal
        slow = restore.last_problem.message if restore.last_problem is not None else ""
        return PortalLine(Level.WAITING, "checking…", "checking…" if backup is not None else "needs an API key",
                          slow)
    for timeline in (restore, backup):
        if timeline is None or _checking(timeline):
            continue
        phase = timeline.phase
        noun = timeline.operation.noun
        problem = timeline.last_problem
        if problem is not None and problem.category is Category.AUTH:
            return PortalLine(Level.UNAUTHORIZED, "—", "—", problem.message)
        if problem is not None and problem.category is not Category.RESTORING:
            # "unreachable" only when it is: an answer we cannot read, or a move, is a warning with its words
            bad = Level.UNREACHABLE if problem.category is Category.UNREACHABLE else Level.WARNING
            return PortalLine(bad, _activity(timeline) or "unknown", "—", problem.message)
        if phase.running:
            level = Level.RUNNING
            activity = _activity(timeline)
            if stalled_for(timeline, now, stall_floor) is not None:
                level, note = Level.WARNING, f"The {noun} has not moved for a while."
            reported = timeline.last_progress.reported_progress if timeline.last_progress else None
            if reported is not None and not note:
                note = f"DocSpace reported {reported}%; shown as {timeline.last_progress.progress}%."  # type: ignore[union-attr]
            if timeline.last_progress is not None and timeline.last_progress.troubled:
                level = Level.WARNING
                note = f"DocSpace reports an error while the {noun} goes on: {timeline.last_progress.error}"
                if stalled_for(timeline, now, stall_floor) is not None:  # as the progress page says it
                    level, activity = Level.FAILED, f"{noun} seems to have failed at {timeline.last_progress.progress}%"
                    note = timeline.last_progress.error
            break
        if phase is Phase.FAILED and level is Level.OK:
            level, activity = Level.FAILED, f"{noun} failed at {timeline.last_progress.progress}%"  # type: ignore[union-attr]
            note = timeline.last_progress.error  # type: ignore[union-attr]
        elif phase is Phase.CANCELLED and level is Level.OK:
            level, activity = Level.WARNING, f"{noun} cancelled"
        elif phase is Phase.COMPLETED and level is Level.OK and timeline.last_progress.progress < 100:  # type: ignore[union-attr]
            level, activity = Level.WARNING, f"{noun} reported complete at {timeline.last_progress.progress}%"  # type: ignore[union-attr]
    last = "needs an API key" if backup is None else "checking…"
    if isinstance(backups, DocSpaceError) and backups.label == SLOW:
        last = "checking…"
    elif isinstance(backups, PortalRestoring):
        last = "unavailable while restoring"
    elif isinstance(backups, DocSpaceError):
        last = "unknown"
        if backups.status in (401, 403) and level is Level.OK:
            level, note = Level.UNAUTHORIZED, backups.message
    elif backups is not None:
        history, schedule = backups
        when = last_backup_time(history)
        last = timewords.ago(now - when.timestamp()) if when else "never"
        if schedule is not None and overdue_since(schedule, now, when) is not None and level is Level.OK:
            level, note = Level.WARNING, "A scheduled backup is overdue."
    return PortalLine(level, activity, last, note)


def _checking(timeline: Timeline) -> bool:
    """No answer yet: nothing asked, or only time-outs after which the next check waits longer."""
    if timeline.last_poll_at is None:
        return True
    return timeline.last_ok_at is None and timeline.last_problem is not None and timeline.last_problem.label == SLOW


def _activity(timeline: Timeline) -> str:
    progress = timeline.last_progress
    if progress is None:
        return ""
    if timeline.phase is Phase.OTHER:
        return f"{Phase.OTHER.value} ({progress.operation_code or '?'}) · {progress.progress}%"
    return f"{timeline.operation.verb} · {progress.progress}% · {timeline.phase.value}"
