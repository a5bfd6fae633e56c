"""Every notification a person reads, worded here and nowhere else: outcomes, stalls, overdue backups.

The watcher and the recording decide *that* something is worth telling (once per operation and
event); this module decides *how* it reads. Plain words, the portal's label first, the portal's own
text quoted as it was sent.
"""

from __future__ import annotations

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
