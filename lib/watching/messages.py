"""Every notification a person reads, worded here and nowhere else: outcomes, stalls, overdue backups, and
automatic backups that stopped because the schedule went away.

The watcher and the recording decide *that* something is worth telling (once per operation and
event); this module decides *how* it reads. Plain words, the portal's label first, the portal's own
text quoted as it was sent.
"""

from __future__ import annotations

from datetime import UTC, datetime

from lib import timewords

#: how much of the portal's own error text a message quotes
PORTAL_TEXT = 300


def outcome(label: str, noun: str, outcome: str, percent: int, portal_text: str) -> str:
    """A job ended: completed (or "complete" below 100 %, as DocSpace said it), failed, cancelled."""
    if outcome == "completed":
        if percent >= 100:
            return f"✅ {label}: the {noun} completed."
        return f"⚠️ {label}: DocSpace reports the {noun} complete at {percent}%."
    if outcome == "failed":
        return f"❌ {label}: the {noun} failed at {percent}%: {portal_text[:PORTAL_TEXT]}"
    return f"⚠️ {label}: the {noun} was cancelled."


def stalled(label: str, noun: str, quiet: float, percent: int) -> str:
    return f"⚠️ {label}: the {noun} has made no progress for {timewords.duration(quiet)} (at {percent}%)."


def stall_reminder(label: str, noun: str, quiet: float, percent: int) -> str:
    return f"⏰ {label}: still no progress on the {noun} after {timewords.duration(quiet)} (at {percent}%)."


def stall_over(label: str, noun: str, running: bool, phase: str, percent: int) -> str:
    """After a stall that was told: it moves again, or it has ended."""
    words = "is moving again" if running else f"has ended ({phase})"
    return f"✅ {label}: the {noun} {words}, at {percent}%."


def overdue(label: str, late: float) -> str:
    """``late``: seconds since the missed run was due."""
    return f"⚠️ {label}: a scheduled backup is overdue (expected {timewords.duration(late)} ago)."


def overdue_reminder(label: str, late: float) -> str:
    return f"⏰ {label}: still no backup since the one scheduled {timewords.duration(late)} ago."


def back_on_schedule(label: str) -> str:
    return f"✅ {label}: a backup was made; backups are on schedule again."


def schedule_removed(label: str, after: datetime, before: datetime, by_admin: bool | None, by_restore: bool) -> str:
    """The schedule was there at ``after`` and gone at ``before`` (UTC); who removed it, as far as is known:
    an admin (the audit trail says so), a restore (it brought back a portal without one), or DocSpace."""
    start, end = timewords.day_clock(after.timestamp(), UTC), timewords.day_clock(before.timestamp(), UTC)
    if by_restore:
        return (f"⚠️ {label}: automatic backups have stopped. After the restore the portal has no backup schedule "
                f"(it was there on {start} UTC and gone on {end} UTC); an admin must set it up again.")
    if by_admin:
        return (f"⚠️ {label}: automatic backups have stopped. An admin deleted the schedule between {start} and "
                f"{end} UTC (DocSpace's audit trail records it); set it up again if that was not meant.")
    if by_admin is None:
        return (f"⚠️ {label}: automatic backups have stopped. The schedule was removed between {start} and "
                f"{end} UTC. DocSpace removes it when a backup fails for quota or payment reasons (or an admin "
                f"deleted it); an admin must set it up again.")
    return (f"⚠️ {label}: automatic backups have stopped. The schedule was removed between {start} and {end} UTC. "
            f"DocSpace removes it when a backup fails for quota or payment reasons; an admin must set it up again.")


def schedule_removed_reminder(label: str, gone: float) -> str:
    """``gone``: seconds since the schedule was first seen missing."""
    return (f"⏰ {label}: automatic backups are still stopped; the schedule was removed {timewords.duration(gone)} "
            f"ago and has not been set up again.")


def schedule_back(label: str) -> str:
    return f"✅ {label}: automatic backups are scheduled again."


def no_schedule(label: str) -> str:
    """Said once for a portal never seen with a schedule."""
    return f"ℹ️ {label}: this portal has no automatic backups (no backup schedule is set up in DocSpace)."
