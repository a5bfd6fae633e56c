"""What a page reads, whoever provides it: the watcher in this process, or the reader of a database
another copy writes (a copy standing by, or ``[history] watcher = "external"``). Both answer the
same questions the same way, so a page never knows which one it has."""

from __future__ import annotations

from typing import Any, Protocol

from lib.db.store import HistoryStore
from lib.i18n import Msg
from lib.jobs.forecast import Past
from lib.jobs.timeline import Timeline
from lib.portal.models import BackupsAnswer, Operation
from lib.watching.counts import Counts
from lib.watching.health import Holder, Unwatched
from lib.watching.poller import Poll


class Delivery(Protocol):
    """How notifications fare: the last failure, in one sentence (None when fine)."""

    last_error: Msg | None


class Source(Protocol):
    store: HistoryStore
    notifier: Delivery  # the webhook and the channels
    outbox: Delivery  # the emails to people
    counts: Counts  # this process's checks and deliveries, for /metrics (the pages' confirmation emails too)

    @property
    def running(self) -> bool:
        """Whether this process watches (and so can hurry a check); False for a reader."""

    def progress(self, portal: str, operation: Operation, dump: bool | None = None, *,
                 look: float | None = None) -> Timeline:
        """The recorded history of a restore or backup; ``look``: the viewer's interval (it is looking)."""

    def latest(self, portal: str, kind: str, dump: bool | None = None) -> Poll[Any] | None:
        """The last answer (or error) of one endpoint, without looking."""

    def next_check(self, portal: str, kind: str, dump: bool | None = None) -> float | None:
        """When the next check is due (None when another process decides)."""

    def backups(self, portal: str, *, look: float | None = None) -> Poll[BackupsAnswer] | None:
        """The last answer about the backup list and schedule."""

    def overview(self, portal: str, *, look: float | None = None) -> tuple[Timeline, Timeline | None, Any]:
        """Restore and backup histories and the backup list, for /portals; never waits."""

    def past(self, portal: str, operation: Operation, dump: bool | None = None) -> Past:
        """How the last one ended, and what earlier runs teach."""

    def check_now(self, portal: str, kind: str, dump: bool | None = None) -> None:
        """Check this endpoint at once (a reader cannot, and does nothing)."""

    def holder(self) -> Holder | None:
        """Which copy holds the watch (None when that is not known here)."""

    def unwatched(self) -> Unwatched | None:
        """Nobody watches: the copy that wrote the history stopped, or none ever ran (None while watched)."""

    def stop(self) -> None: ...
