"""Which copy watches, in one sentence for the Details of a progress page (never anywhere else: a viewer
needs it only when something looks wrong)."""

from __future__ import annotations

from datetime import tzinfo

from lib import timewords
from lib.watching.health import Holder

LABEL = "Watched by"
THIS_COPY = "This copy of the app, on {host} (process {pid}), since {time}."
ALONE = "This copy of the app, on its own while the history database cannot be reached."
OTHER_COPY = "Another copy of the app, on {host} (process {pid}), since {time}."
HEADLESS = "The headless watcher, on {host} (process {pid}), since {time}."
NOBODY = "Nobody right now: the last copy to watch, on {host} (process {pid}), has gone quiet."


def watched_by(holder: Holder | None, tz: tzinfo, now: float) -> tuple[str, str] | None:
    """The Details row, or None when this copy knows nothing of a lease (a test's bare watcher)."""
    if holder is None:
        return None
    if holder.alone:
        return LABEL, ALONE
    words = {"host": holder.host, "pid": holder.pid, "time": timewords.clock(holder.since, tz, now)}
    if not holder.alive:
        return LABEL, NOBODY.format(**words)
    if holder.mine:
        return LABEL, THIS_COPY.format(**words)
    return LABEL, (HEADLESS if holder.role == "headless" else OTHER_COPY).format(**words)
