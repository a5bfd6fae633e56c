"""Every notification a person reads, worded here and nowhere else: outcomes, stalls, overdue backups, and
automatic backups that stopped because the schedule went away.

The watcher and the recording decide *that* something is worth telling (once per operation and
event); this module decides *how* it reads. Each is a :class:`~lib.i18n.Msg`: kept as it was decided
and said in each recipient's own language when it is sent. Plain words, the portal's label first,
the portal's own text quoted as it was sent.
"""

from __future__ import annotations

from datetime import datetime

from lib.i18n import M_, At, Duration, Mk_, Msg, Percent

#: how much of the portal's own error text a message quotes
PORTAL_TEXT = 300


def outcome(label: str, noun: str, outcome: str, percent: int, portal_text: str) -> Msg:
    """A job ended: completed (or "complete" below 100 %, as DocSpace said it), failed, cancelled."""
    if outcome == "completed" and percent >= 100:
        return Mk_(noun, "✅ {label}: the {noun} completed.", label=label)
    if outcome == "completed":
        return Mk_(noun, "⚠️ {label}: DocSpace reports the {noun} complete at {percent}.", label=label,
                   percent=Percent(percent))
    if outcome == "failed":
        return Mk_(noun, "❌ {label}: the {noun} failed at {percent}: {text}", label=label, percent=Percent(percent),
                   text=portal_text[:PORTAL_TEXT])
    return Mk_(noun, "⚠️ {label}: the {noun} was cancelled.", label=label)


def stalled(label: str, noun: str, quiet: float, percent: int) -> Msg:
    return Mk_(noun, "⚠️ {label}: the {noun} has made no progress for {duration} (at {percent}).", label=label,
               duration=Duration(quiet), percent=Percent(percent))


def stall_reminder(label: str, noun: str, quiet: float, percent: int) -> Msg:
    return Mk_(noun, "⏰ {label}: still no progress on the {noun} after {duration} (at {percent}).", label=label,
               duration=Duration(quiet), percent=Percent(percent))


def stall_over(label: str, noun: str, running: bool, phase: str, percent: int) -> Msg:
    """After a stall that was told: it moves again, or it has ended."""
    if running:
        return Mk_(noun, "✅ {label}: the {noun} is moving again, at {percent}.", label=label,
                   percent=Percent(percent))
    return Mk_(noun, "✅ {label}: the {noun} has ended ({phase}), at {percent}.", label=label,
               phase=Msg.of(phase), percent=Percent(percent))


def overdue(label: str, late: float) -> Msg:
    """``late``: seconds since the missed run was due."""
    return M_("⚠️ {label}: a scheduled backup is overdue (expected {duration} ago).", label=label,
              duration=Duration(late))


def overdue_reminder(label: str, late: float) -> Msg:
    return M_("⏰ {label}: still no backup since the one scheduled {duration} ago.", label=label,
              duration=Duration(late))


def back_on_schedule(label: str) -> Msg:
    return M_("✅ {label}: a backup was made; backups are on schedule again.", label=label)


def schedule_removed(label: str, after: datetime, before: datetime, by_admin: bool | None, by_restore: bool) -> Msg:
    """The schedule was there at ``after`` and gone at ``before`` (UTC); who removed it, as far as is known:
    an admin (the audit trail says so), a restore (it brought back a portal without one), or DocSpace."""
    start, end = At(after.timestamp()), At(before.timestamp())
    if by_restore:
        return M_("⚠️ {label}: automatic backups have stopped. After the restore the portal has no backup schedule "
                  "(it was there at {start} UTC and gone at {end} UTC); an admin must set it up again.", label=label,
                  start=start, end=end)
    if by_admin:
        return M_("⚠️ {label}: automatic backups have stopped. An admin deleted the schedule between {start} and "
                  "{end} UTC (DocSpace's audit trail records it); set it up again if that was not meant.", label=label,
                  start=start, end=end)
    if by_admin is None:
        return M_("⚠️ {label}: automatic backups have stopped. The schedule was removed between {start} and {end} UTC. "
                  "DocSpace removes it when a backup fails for quota or payment reasons (or an admin deleted it); "
                  "an admin must set it up again.", label=label, start=start, end=end)
    return M_("⚠️ {label}: automatic backups have stopped. The schedule was removed between {start} and {end} UTC. "
              "DocSpace removes it when a backup fails for quota or payment reasons; an admin must set it up again.",
              label=label, start=start, end=end)


def schedule_removed_reminder(label: str, gone: float) -> Msg:
    """``gone``: seconds since the schedule was first seen missing."""
    return M_("⏰ {label}: automatic backups are still stopped; the schedule was removed {duration} ago and has not "
              "been set up again.", label=label, duration=Duration(gone))


def schedule_back(label: str) -> Msg:
    return M_("✅ {label}: automatic backups are scheduled again.", label=label)


def no_schedule(label: str) -> Msg:
    """Said once for a portal never seen with a schedule."""
    return M_("ℹ️ {label}: this portal has no automatic backups (no backup schedule is set up in DocSpace).",
              label=label)


def nobody_watches(last: float) -> Msg:
    """The watcher stopped writing to the history, and no copy that may watch took over."""
    return M_("⚠️ Nobody is watching the portals: the watcher stopped writing to the history at {time}, so no "
              "alerts will come until it runs again (python -m lib.watch).", time=At(last))
