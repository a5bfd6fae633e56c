"""One copy among any number on one history database: it watches while it holds the lease, and otherwise
stands by, reading the database like an app with ``watcher = "external"`` does.

Every copy of the app and every headless watcher builds one :class:`OnDuty`; pages read it as their
:class:`~lib.watching.source.Source` and never know which it is doing. Taking over starts a fresh
:class:`~lib.watching.watcher.Watcher`, which picks up the open operations from the database and the
messages still owed; losing the lease (another copy took over while this one was paused or cut off)
stops it. With ``acquire=False`` it never watches (an app that must not reach the portals).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import Any

from lib import i18n
from lib.db import lease as lease_sql
from lib.db.store import HistoryStore, StoreAway
from lib.jobs.forecast import Past
from lib.jobs.timeline import Timeline
from lib.portal.client import post_webhook
from lib.portal.models import BackupsAnswer, Operation
from lib.settings.config import AppConfig
from lib.watching import health, messages
from lib.watching.counts import Counts
from lib.watching.health import Holder, Unwatched
from lib.watching.lease import Lease, me
from lib.watching.notify import Notifier
from lib.watching.poller import Poll
from lib.watching.reader import DatabaseReader
from lib.watching.source import Delivery
from lib.watching.watcher import Watcher

#: with nothing new, the holder still writes what it knows this often, so the copies standing by see it live
HEARTBEAT = 60.0
#: what a copy standing by says when it cannot read the lease
AWAY = "the history database cannot be reached, so this copy cannot tell whether another copy watches"


class OnDuty:
    def __init__(self, config: AppConfig, store: HistoryStore, *, role: str = "app", acquire: bool = True,
                 clock: Callable[[], float] = time.time, keep_days: float = 180.0,
                 send: Callable[[str, dict[str, Any]], None] = post_webhook, compose: Any = None,
                 **lease: Any):
        """``lease``: the lease's timings (tests shorten them); ``compose``: the weekly summary's content
        (:data:`lib.watching.outbox.Compose`)."""
        self.config, self.store, self.clock = config, store, clock
        self.counts = Counts()  # for the life of this copy, across turns on duty
        self.reader = DatabaseReader(config, store, clock=clock)
        self._watcher: Watcher | None = None
        self._make = lambda: Watcher(config, store, clock=clock, keep_days=keep_days, send=send,
                                     heartbeat=HEARTBEAT, me=self.lease.me, counts=self.counts,
                                     compose=compose)
        self._lock = threading.Lock()
        self._send, self._told, self._teller = send, set[str](), None
        self.lease = Lease(store, me(role), acquire=acquire, on_duty=self._duty, health=self._published,
                           on_step=self._tell_unwatched, **lease)

    def start(self) -> OnDuty:
        """The lease's first look makes (or upgrades) the schema: one wait, not two, on a database that does
        not answer (the first page after a boot waits for this)."""
        self.lease.start()
        return self

    def stop(self) -> None:
        """Stop watching (what waits is written) and hand the watch over at once."""
        self.lease.stop()
        if self._teller is not None:
            self._teller.stop()

    def _duty(self, on: bool) -> None:
        with self._lock:
            watcher, self._watcher = self._watcher, None
        if watcher is not None:
            watcher.stop()
        if on:
            watcher = self._make().start()
            with self._lock:
                self._watcher = watcher

    @property
    def watcher(self) -> Watcher | None:
        """The watcher, while this copy watches."""
        return self._watcher

    @property
    def _active(self) -> Watcher | DatabaseReader:
        return self._watcher or self.reader

    # ------------------------------------------------------------ health

    def holder(self) -> Holder | None:
        return self.lease.holder()

    def _tell_unwatched(self) -> None:
        """A copy that must never watch tells the channels, once among all copies, that nobody watches."""
        gone, row = self.lease.unwatched(), self.lease.row
        channels = self.config.webhook_url or self.config.notify_urls
        if self.lease.may_watch or not channels or gone is None or gone.since is None or row is None:
            return
        key = ("watch", "unwatched", f"{row.since:.0f}-{row.beat}")  # this holder's last word
        name = "|".join(key)
        if name in self._told:
            return
        said = messages.nobody_watches(gone.since)
        try:
            first = self.store.at_once(lambda conn: lease_sql.first_to_decide(
                conn, name, json.dumps(said.to_json()), self.clock()))
        except StoreAway:
            return  # tried again at the next beat
        self._told.add(name)
        if first:
            if self._teller is None:
                self._teller = Notifier(self.config.webhook_url, self.store, send=self._send, clock=self.clock,
                                        counts=self.counts, viewer=i18n.viewer(self.config.notify_language, None),
                                        urls=self.config.notify_urls, app_url=self.config.app_url)
                self._teller.start()
            self._teller.notify(key, said)

    def unwatched(self) -> Unwatched | None:
        """Nobody watches (see :meth:`lib.watching.lease.Lease.unwatched`): every page says so."""
        return self.lease.unwatched()

    def health(self, *, names: bool) -> tuple[int, dict[str, Any]]:
        """What /healthz answers here: from this copy's own checks while it watches, else from what the
        holder published in the lease."""
        watcher = self._watcher
        holder = self.lease.holder()
        if watcher is not None:
            return health.answer(holder, watcher.checks(), self.clock(), watcher.started, names=names)
        if self.lease.database_away:
            return health.answer(holder, {}, 0.0, 0.0, names=names, problem=AWAY)
        published, now = self._read_published(), self.lease.holder_now()
        if published is None or now is None:
            return health.answer(holder, {}, 0.0, 0.0, names=names)
        checks, _at, started = published
        return health.answer(holder, checks, now, started, names=names)

    def _read_published(self) -> tuple[dict[str, health.Check], float, float] | None:
        row = self.lease.row
        try:
            return health.checks_from(json.loads(row.health)) if row is not None else None
        except ValueError:
            return None

    def _published(self) -> str:
        watcher = self._watcher
        if watcher is None:
            return "{}"
        return json.dumps(health.checks_json(watcher.checks(), self.clock(), watcher.started))

    # ------------------------------------------------------------ what pages read (Source)

    @property
    def notifier(self) -> Delivery:
        return self._active.notifier

    @property
    def outbox(self) -> Delivery:
        return self._active.outbox

    @property
    def running(self) -> bool:
        return self._active.running

    def progress(self, portal: str, operation: Operation, dump: bool | None = None, *,
                 look: float | None = None) -> Timeline:
        return self._active.progress(portal, operation, dump, look=look)

    def latest(self, portal: str, kind: str, dump: bool | None = None) -> Poll[Any] | None:
        return self._active.latest(portal, kind, dump)

    def next_check(self, portal: str, kind: str, dump: bool | None = None) -> float | None:
        return self._active.next_check(portal, kind, dump)

    def backups(self, portal: str, *, look: float | None = None) -> Poll[BackupsAnswer] | None:
        return self._active.backups(portal, look=look)

    def overview(self, portal: str, *, look: float | None = None) -> tuple[Timeline, Timeline | None, Any]:
        return self._active.overview(portal, look=look)

    def past(self, portal: str, operation: Operation, dump: bool | None = None) -> Past:
        return self._active.past(portal, operation, dump)

    def check_now(self, portal: str, kind: str, dump: bool | None = None) -> None:
        self._active.check_now(portal, kind, dump)
