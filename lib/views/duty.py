"""Which copy watches, in one sentence for the Details of a progress page (never anywhere else: a viewer
needs it only when something looks wrong)."""

from __future__ import annotations

from lib.i18n import Viewer
from lib.watching.health import Holder


def watched_by(holder: Holder | None, v: Viewer, now: float) -> tuple[str, str] | None:
    """The Details row, or None when this copy knows nothing of a lease (a test's bare watcher)."""
    if holder is None:
        return None
    label = v._("Watched by")
    if holder.alone:
        return label, v._("This copy of the app, on its own while the history database cannot be reached.")
    words = {"host": holder.host, "pid": str(holder.pid), "time": v.clock(holder.since, now)}
    if not holder.alive:
        return label, v._("Nobody right now: the last copy to watch, on {host} (process {pid}), has gone quiet.",
                          **words)
    if holder.mine:
        return label, v._("This copy of the app, on {host} (process {pid}), since {time}.", **words)
    if holder.role == "headless":
        return label, v._("The headless watcher, on {host} (process {pid}), since {time}.", **words)
    return label, v._("Another copy of the app, on {host} (process {pid}), since {time}.", **words)
