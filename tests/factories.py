"""Test data in one place: progress records, timelines, the clock, the API key and hostile text.

Every unit test builds its answers here, so a change to :class:`~lib.portal.models.Progress` or
:class:`~lib.jobs.timeline.Timeline` is made once. Times are seconds after :data:`T0` unless a test says
otherwise.
"""

from __future__ import annotations

from datetime import UTC, tzinfo

from lib.i18n import Viewer, viewer
from lib.jobs.timeline import Timeline
from lib.portal.models import Operation, Progress, TaskStatus
from simulator import ManualClock

__all__ = ["EN", "HOSTILE", "HOSTILE_TEXTS", "KEY", "T0", "ManualClock", "completed", "en", "progress", "timeline"]

def en(tz: tzinfo = UTC) -> Viewer:
    """An English reader in ``tz`` with no region named: the app's own words and 24-hour clock."""
    return viewer(None, None, tz)


#: the English reader in UTC most unit tests read as
EN = en()
#: 2027-01-15 08:00:00 UTC, a Friday: a real timestamp, never a falsy 0.0
T0 = 1_800_000_000.0
#: an admin API key in DocSpace's shape; tests look for it wherever it must not be
KEY = "sk-" + "0123456789abcdef" * 4
#: portal text that would be markup, links, scripts or direction tricks if it were ever rendered
HOSTILE = ("<script>alert(1)</script><img src=x onerror=alert(2)> [click](javascript:alert(3)) "
           "**bold** :red[red] https://evil.example \u202egnp.exe\u200b\x07")
#: the same dangers one at a time (Markdown, HTML, links, autolinks, Streamlit's own directives)
HOSTILE_TEXTS = (
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "<img src=x onerror=alert(1)>",
    "[x](javascript:alert(1))",
    "**bold**",
    "**b** _i_ `code` ~~s~~",
    ":red[x]",
    ":red[x] :material/warning: $x^2$",
    "https://evil.example",
    "https://evil.example/login",
    "www.evil.com",
    "a@evil.com",
    "visit www.evil.example or mail a@evil.example",
    "# heading\n> quote\n- item\n1. item",
    "<a href='//evil'>x</a>&lt;b&gt;",
    "![img](https://evil.example/x.png)",
    "| a | b |\n|---|---|",
    "\\*not italic\\*",
)


def progress(pct: int, op: Operation = Operation.RESTORE, *, task: str = "task-1", tenant: int | None = 1,
             error: str = "", warning: str = "", link: str = "", done: bool = False,
             status: TaskStatus | None = None) -> Progress:
    """A progress record as the client parses it; ``status`` follows ``done`` unless given."""
    if status is None:
        status = TaskStatus.COMPLETED if done else TaskStatus.RUNNING
    return Progress(done, pct, error, op, tenant, task, status=status, warning=warning, link=link)


def completed(pct: int = 100, op: Operation = Operation.RESTORE, **fields) -> Progress:
    """A finished job as the portal reports it: done, status 2 (an ``error`` makes it a failure)."""
    return progress(pct, op, done=True, **fields)


def timeline(*polls: tuple[float, object], op: Operation = Operation.RESTORE, start: float = T0) -> Timeline:
    """A timeline that recorded each (seconds after ``start``, answer or error) in order."""
    t = Timeline(op)
    for at, result in polls:
        t.record(start + at, result)  # type: ignore[arg-type]
    return t


class Mono:
    """A monotonic clock that moves only when told (a copy's lease timing, in tests of several copies)."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def copy(config, url: str, clock: ManualClock, mono: Mono):
    """One copy, as a process of its own would be: its own store and lease; its lease moves only when told."""
    from lib.db.store import HistoryStore
    from lib.watching.duty import OnDuty

    return OnDuty(config, HistoryStore(url, clock=clock), clock=clock, beat=3600, mono=mono, wall=clock)
