"""The process-wide monitor: one poller and one recorded timeline per portal and operation.

Shared by every viewer (the app keeps a single instance in ``st.cache_resource``), so a portal gets
one request per interval however many people watch, and a viewer who opens the link late, or
reloads, is seeded with the history since the app began watching. It lives as long as the app
process: an app reboot or a Community Cloud sleep starts it empty.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from lib import timewords
from lib.client import DocSpaceClient
from lib.config import AppConfig
from lib.eta import stalled_for
from lib.models import HistoryRecord, Operation, Progress, Schedule
from lib.notify import Notifier
from lib.phases import Phase
from lib.poller import Poll, Poller
from lib.schedule import overdue_since
from lib.timeline import Run, Timeline

BACKUPS_INTERVAL = 60.0

Key = tuple[str, Operation, bool | None]


class Monitor:
    def __init__(self, config: AppConfig, *, clock: Callable[[], float] = time.time,
                 notifier: Notifier | None = None):
        self.config = config
        self.clock = clock
        self.notifier = notifier or Notifier(config.webhook_url)
        self._clients = {p.name: DocSpaceClient(p.url, p.api_key) for p in config.portals}
        self._pollers: dict[Any, Poller[Any]] = {}
        self._timelines: dict[Key, Timeline] = {}
        self._lock = threading.RLock()

    # ------------------------------------------------------------ progress

    def progress_poller(self, portal: str, operation: Operation, dump: bool | None = None) -> Poller[Progress | None]:
        key: Key = (portal, operation, dump if operation is Operation.RESTORE else None)
        with self._lock:
            poller = self._pollers.get(key)
            if poller is None:
                client = self._clients[portal]
                if operation is Operation.RESTORE:
                    fetch: Callable[[], Progress | None] = lambda: client.get_restore_progress(dump)  # noqa: E731
                else:
                    fetch = client.get_backup_progress
                self._timelines[key] = Timeline(operation)
                poller = Poller(fetch, self.config.refresh_seconds, clock=self.clock,
                                listeners=(lambda poll, k=key: self._record(k, poll),))
                self._pollers[key] = poller
            return poller

    def recorded(self, portal: str, operation: Operation, dump: bool | None = None) -> Timeline:
        """A copy of the shared history, to seed a viewer's own."""
        self.progress_poller(portal, operation, dump)
        key: Key = (portal, operation, dump if operation is Operation.RESTORE else None)
        with self._lock:
            return self._timelines[key].snapshot()

    def _record(self, key: Key, poll: Poll[Progress | None]) -> None:
        with self._lock:
            timeline = self._timelines[key]
            timeline.record(poll.at, poll.result)
            self._notify_progress(key, timeline, poll.at)

    def _notify_progress(self, key: Key, timeline: Timeline, now: float) -> None:
        if not self.notifier.enabled or timeline.last_progress is None:
            return
        portal = self.config.portal(key[0])
        progress = timeline.last_progress
        noun = key[1].noun
        task = progress.task_id or str(timeline.first_seen)
        phase = timeline.phase
        if phase is Phase.COMPLETED:
            self.notifier.notify((portal.name, noun, task, "completed"),
                                 f"✅ {portal.label}: the {noun} completed.")
        elif phase is Phase.FAILED:
            self.notifier.notify((portal.name, noun, task, "failed"),
                                 f"❌ {portal.label}: the {noun} failed at {progress.progress}%: "
                                 f"{progress.error[:300]}")
        elif phase is Phase.CANCELLED:
            self.notifier.notify((portal.name, noun, task, "cancelled"), f"⚠️ {portal.label}: the {noun} was cancelled.")
        else:
            stalled = stalled_for(timeline, now, self.config.stall_minutes * 60)
            if stalled is not None:
                self.notifier.notify((portal.name, noun, task, "stalled"),
                                     f"⚠️ {portal.label}: the {noun} has made no progress for "
                                     f"{timewords.duration(stalled)} (at {progress.progress}%).")

    # ------------------------------------------------------------ backups

    def backups_poller(self, portal: str) -> Poller[tuple[list[HistoryRecord], Schedule | None]]:
        key = (portal, "backups")
        with self._lock:
            poller = self._pollers.get(key)
            if poller is None:
                client = self._clients[portal]
                poller = Poller(lambda: (client.get_backup_history(), client.get_backup_schedule()),
                                max(BACKUPS_INTERVAL, self.config.refresh_seconds), clock=self.clock,
                                listeners=(lambda poll, name=portal: self._notify_overdue(name, poll),))
                self._pollers[key] = poller
            return poller

    def _notify_overdue(self, portal: str, poll: Poll[tuple[list[HistoryRecord], Schedule | None]]) -> None:
        if not self.notifier.enabled or not poll.ok:
            return
        _, schedule = poll.result  # type: ignore[misc]
        late = overdue_since(schedule, poll.at) if schedule else None
        if late is not None:
            label = self.config.portal(portal).label
            self.notifier.notify((portal, "schedule", str(int(late)), "overdue"),
                                 f"⚠️ {label}: a scheduled backup is overdue (expected "
                                 f"{timewords.duration(poll.at - late)} ago).")

    def runs(self, portal: str) -> list[Run]:
        """The operations recorded on a portal that have ended, for the durations of past operations."""
        with self._lock:
            return [run for key, t in self._timelines.items() if key[0] == portal for run in t.runs]

    def overview(self, portal: str) -> tuple[Timeline, Timeline | None, Any]:
        """Fresh restore and backup histories and the backup list (None without a key), for /portals."""
        self.progress_poller(portal, Operation.RESTORE).poll()
        restore = self.recorded(portal, Operation.RESTORE)
        if not self.config.portal(portal).api_key:
            return restore, None, None
        self.progress_poller(portal, Operation.BACKUP).poll()
        poll = self.backups_poller(portal).poll()
        return restore, self.recorded(portal, Operation.BACKUP), poll.result if poll else None
