"""What every page says while nobody watches: the copy that wrote the history stopped, or none ever ran.

Without it a page that only reads the database (``watcher = "external"``, or a copy standing by) would
go on showing the last thing written as if it were now: "42 % · last change just now" for hours.
Pure: no Streamlit here.
"""

from __future__ import annotations

from dataclasses import replace

from lib.i18n import Viewer
from lib.views.status import Level, Number, Status
from lib.watching.health import Unwatched

#: how a viewer starts the headless watcher (docs/watching.md says more)
START = "python -m lib.watch --secrets …"


def headline(unwatched: Unwatched, v: Viewer, now: float) -> str:
    """One sentence for the top of any page."""
    if unwatched.since is None:
        return v._("Nothing has written to the history yet: no watcher has run.")
    return v._("Not watched since {time}: the watcher has stopped writing to the history. What you see is as of "
               "then.", time=v.clock(unwatched.since, now))


def what_to_do(unwatched: Unwatched, v: Viewer) -> str:
    """For whoever runs the app; the viewer of a shared link passes it on."""
    if unwatched.since is None:
        return v._("Tell whoever runs this app: the watcher has to be started where it can reach the portals, "
                   "with {command} (see docs/watching.md).", command=START)
    return v._("Tell whoever runs this app: the watcher has to be started again ({command}), or they can look "
               "at why it stopped (see docs/watching.md).", command=START)


def as_of_then(status: Status, unwatched: Unwatched, v: Viewer, now: float) -> Status:
    """The hero of a live page while nobody watches: said so first, the last known state after it,
    its numbers marked as last known, and nothing that pretends to be now (no estimate, no "done by")."""
    said = headline(unwatched, v, now)
    if status.level is Level.WAITING:  # nothing was ever recorded for this page
        return Status(Level.WARNING, said, notice=what_to_do(unwatched, v), title=v._("Not watched"))
    numbers = [Number(v._("{label} (last known)", label=n.label), n.value, n.help) for n in status.numbers
               if not n.ahead]
    return replace(status, level=Level.WARNING if status.level is not Level.FAILED else status.level,
                   headline=said, facts=[v._("Last known: {state}", state=status.headline)],
                   eta="", numbers=numbers, notice=what_to_do(unwatched, v), title=v._("Not watched"), done=False)
