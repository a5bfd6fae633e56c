"""One thing the watcher watches on one portal (restore or backup progress, or the backup list): its poller,
its recording, who looks at it and how often, and so how often it is asked."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lib.settings.config import PortalConfig
from lib.watching.backups_watch import BackupsWatch
from lib.watching.poller import Poller
from lib.watching.recording import Recording

#: the backup list and schedule: every 10 minutes, every minute while someone looks at them
BACKUPS_IDLE, BACKUPS_LOOKED = 600.0, 60.0
#: a look counts for twice the viewer's interval (at least this long)
LOOK_GRACE = 15.0
#: a restore choice nobody has looked at for this long is no longer polled
FORGET_AFTER = 600.0


@dataclass
class Endpoint:
    """One thing watched on one portal: restore or backup progress (``recording``), or the backup list and
    schedule with the audit trail (``backups``)."""

    portal: PortalConfig
    kind: str  # "restore", "backup" or "backups"
    dump: bool | None
    poller: Poller[Any]
    recording: Recording | None
    default: bool  # watched with nobody looking
    backups: BackupsWatch | None = None
    looks: dict[float, float] = field(default_factory=dict)  # a viewer's interval -> until when it counts
    in_flight: bool = False
    answered: bool = False  # the first answer has been recorded
    saved: tuple[Any, float] | None = None  # (signature, when) of the state last written for readers
    waited: bool = False  # a viewer already waited once for the first answer
    last_ok: float | None = None  # its last answer (not a failure), for /healthz

    @property
    def key(self) -> tuple[str, str, bool | None]:
        return self.portal.name, self.kind, self.dump

    def interval(self, now: float, refresh: float, idle: float) -> float:
        wanted = [every for every, until in self.looks.items() if until > now]
        if self.kind == "backups":
            return max(BACKUPS_LOOKED, min(wanted)) if wanted else BACKUPS_IDLE
        running = self.recording is not None and self.recording.timeline.phase.running
        if running:
            return refresh
        return min(idle, max(refresh, min(wanted))) if wanted else idle  # a viewer never slows it down

    def forgotten(self, now: float) -> bool:
        last = max(self.looks.values(), default=0.0)
        return not self.default and now - last > FORGET_AFTER


