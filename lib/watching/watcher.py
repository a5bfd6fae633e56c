"""The watcher: polls every configured portal on its own thread, whether or not anyone is looking.

Per portal and endpoint there is one :class:`~lib.watching.poller.Poller`, and only this watcher fetches, so
the portal gets one request per interval however many viewers there are. A viewer's tick only reads
the latest recorded history and says it is looking (:meth:`Watcher.progress`), which keeps the
interval at ``refresh_seconds``; with nobody looking and nothing running, ``idle_seconds``. Fetches
run on a small pool, so a slow portal never holds up another, and no page ever waits on a portal
(except the very first view of one, for up to :data:`FIRST_WAIT` seconds). One watcher runs per history
database: :class:`~lib.watching.duty.OnDuty` starts one only while its copy holds the database's lease.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from lib import i18n
from lib.db.lease import Me
from lib.db.store import HistoryStore
from lib.jobs.forecast import Past
from lib.jobs.phases import Phase
from lib.jobs.timeline import Problem, Timeline
from lib.portal.client import DocSpaceClient, post_webhook
from lib.portal.models import BackupsAnswer, Operation, Progress
from lib.settings.config import AppConfig
from lib.watching import endpoint_state
from lib.watching.backups_watch import BackupsWatch
from lib.watching.counts import Counts
from lib.watching.due import DueQueue
from lib.watching.endpoint import LOOK_GRACE, Endpoint
from lib.watching.health import Check, Holder, Unwatched
from lib.watching.notify import Notifier
from lib.watching.outbox import Compose, Outbox
from lib.watching.poller import Poll, Poller
from lib.watching.recording import SCOPES, Recording

#: the first view of a portal waits this long for the first answer; later views never wait
FIRST_WAIT = 3.0
PRUNE_EVERY = 6 * 3600.0

_current: Watcher | None = None
_current_lock = threading.Lock()

log = logging.getLogger(__name__)


class Watcher:
    def __init__(self, config: AppConfig, store: HistoryStore, *, clock: Callable[[], float] = time.time,
                 send: Callable[[str, dict[str, Any]], None] = post_webhook, keep_days: float = 180.0,
                 heartbeat: float | None = None, me: Me | None = None, counts: Counts | None = None,
                 compose: Compose | None = None):
        """``heartbeat``: also write what it knows this often when nothing changed, for copies that only
        read; ``me``: this copy, when copies share the database (messages are claimed before they leave);
        ``counts``: where checks and messages are counted for /metrics; ``compose``: the weekly summary's
        content (the views')."""
        self.config = config
        self.store = store
        self.clock = clock
        self.keep_days = keep_days
        self.heartbeat = heartbeat
        self.counts = counts or Counts()
        self.started = clock()
        self.notifier = Notifier(config.webhook_url, store, send=send, clock=clock, me=me, counts=self.counts,
                                 viewer=i18n.viewer(config.notify_language, None), urls=config.notify_urls,
                                 app_url=config.app_url)
        # email to subscribers (issue #22): told every notification decided, beside the webhook
        self.outbox = Outbox(config, store, clock=clock, me=me, compose=compose, counts=self.counts)
        self._clients = {p.name: DocSpaceClient(p.url, p.api_key) for p in config.portals}
        self._endpoints: dict[tuple[str, str, bool | None], Endpoint] = {}
        self._due = DueQueue()
        self._lock = threading.RLock()
        self._cond = threading.Condition(self._lock)
        self._stopping = threading.Event()
        # a thread per endpoint: portals that hang (up to 33 s a fetch) must not hold up the others
        self._pool = ThreadPoolExecutor(max_workers=min(64, 2 + 3 * len(config.portals)),
                                        thread_name_prefix="watch-fetch")
        self._thread: threading.Thread | None = None
        self._pruned = 0.0
        self._remind_after = config.remind_hours * 3600 if config.remind_hours else None
        store.new_file.append(self._rewrite)  # the history file deleted under the app: write what is known
        for portal in config.portals:
            self._endpoint(portal.name, "restore", None, default=True)
            if portal.api_key:
                self._endpoint(portal.name, "backup", None, default=True)
                self._endpoint(portal.name, "backups", None, default=True)

    # ------------------------------------------------------------ life

    def start(self) -> Watcher:
        """Watch from now on, on a thread of its own."""
        global _current
        with _current_lock:
            _current = self
        self.notifier.load()
        self.notifier.start()
        self.outbox.start()
        self._thread = threading.Thread(target=self._loop, name="watcher", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        global _current
        if self._stopping.is_set():
            return
        self._stopping.set()
        with self._cond:
            self._cond.notify_all()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(10)
        self._pool.shutdown(wait=False, cancel_futures=True)
        self.notifier.stop()
        self.outbox.stop()
        with contextlib.suppress(ValueError):
            self.store.new_file.remove(self._rewrite)
        self.store.flush()
        for client in self._clients.values():
            client.close()
        with _current_lock:
            if _current is self:
                _current = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive() and not self._stopping.is_set()

    # ------------------------------------------------------------ what viewers read

    def progress(self, portal: str, operation: Operation, dump: bool | None = None, *,
                 look: float | None = None, wait: bool = True) -> Timeline:
        """The recorded history of a restore or backup; ``look``: the viewer's interval (it is looking);
        ``wait``: False never waits for a first answer (a page of many portals draws at once)."""
        kind = operation.noun
        with self._cond:
            ep = self._endpoint(portal, kind, dump if operation is Operation.RESTORE else None)
            self._look(ep, look, wait)
            assert ep.recording is not None
            return ep.recording.snapshot

    def latest(self, portal: str, kind: str, dump: bool | None = None) -> Poll[Any] | None:
        """The last answer (or error) of one endpoint, without looking."""
        ep = self._endpoints.get((portal, kind, dump))
        return ep.poller.latest if ep is not None else None

    def next_check(self, portal: str, kind: str, dump: bool | None = None) -> float | None:
        ep = self._endpoints.get((portal, kind, dump))
        if ep is None:
            return None
        return ep.poller.due_at(ep.interval(self.clock(), self.config.refresh_seconds, self.config.idle_seconds))

    def backups(self, portal: str, *, look: float | None = None, wait: bool = True) -> Poll[BackupsAnswer] | None:
        with self._cond:
            ep = self._endpoint(portal, "backups", None)
            self._look(ep, look, wait)
            return ep.poller.latest

    def overview(self, portal: str, *, look: float | None = None) -> tuple[Timeline, Timeline | None, Any]:
        """Restore and backup histories and the backup list (None without a key or answer), for /portals.
        Never waits: every line draws at once from what is known, and fills in on later ticks."""
        restore = self.progress(portal, Operation.RESTORE, look=look, wait=False)
        if not self.config.portal(portal).api_key:
            return restore, None, None
        answer = self.backups(portal, look=look, wait=False)
        backup = self.progress(portal, Operation.BACKUP, look=look, wait=False)
        return restore, backup, answer.result if answer else None

    def past(self, portal: str, operation: Operation, dump: bool | None = None) -> Past:
        """The newest operation that ended, and what earlier runs teach about the next one."""
        ep = self._endpoints.get((portal, operation.noun, dump if operation is Operation.RESTORE else None))
        if ep is None or ep.recording is None:
            return Past(None, None)
        return Past(ep.recording.last_ended, ep.recording.learned)

    def check_now(self, portal: str, kind: str, dump: bool | None = None) -> None:
        with self._cond:
            self._hurry(self._endpoint(portal, kind, dump))

    def holder(self) -> Holder | None:
        """A watcher alone knows nothing of other copies (:class:`~lib.watching.duty.OnDuty` does)."""
        return None

    def _rewrite(self) -> None:
        """The history file was deleted under the app and made again: what is known here goes into it."""
        for ep in list(self._endpoints.values()):
            if ep.recording is not None:
                ep.recording.rewrite()
            if ep.backups is not None:
                ep.backups.rewrite()

    def unwatched(self) -> Unwatched | None:
        """This watcher watches."""
        return None

    def checks(self) -> dict[str, Check]:
        """Each portal's last answer on any endpoint watched with nobody looking, and how often it is asked."""
        now = self.clock()
        found: dict[str, Check] = {}
        with self._lock:
            for ep in self._endpoints.values():
                if not ep.default:
                    continue
                every = ep.interval(now, self.config.refresh_seconds, self.config.idle_seconds)
                was = found.get(ep.portal.name)
                if was is not None:
                    last = max((t for t in (was.last, ep.last_ok) if t is not None), default=None)
                    every = min(every, was.every)
                else:
                    last = ep.last_ok
                found[ep.portal.name] = Check(last, every)
        return found

    # ------------------------------------------------------------ the watching

    def step(self) -> list[Future[None]]:
        """Start every fetch that is due; returns them (the loop does not wait for them)."""
        now = self.clock()
        started = []
        with self._lock:
            for key in self._due.pop_due(now):
                ep = self._endpoints[key]
                if ep.in_flight or ep.forgotten(now) or self._stopping.is_set():
                    continue  # in flight: put in again when it lands; forgotten: until someone looks
                interval = ep.interval(now, self.config.refresh_seconds, self.config.idle_seconds)
                due = ep.poller.due_at(interval)
                if due > now:  # its interval grew meanwhile (a viewer stopped looking)
                    self._due.put(key, due)
                    continue
                ep.in_flight = True
                try:
                    started.append(self._pool.submit(self._fetch, ep, interval))
                except RuntimeError:  # stopping: the pool is closed
                    ep.in_flight = False
        return started

    def _schedule(self, ep: Endpoint) -> None:
        """Put the endpoint in the queue at the time it is next due (under the lock)."""
        if not ep.in_flight:
            now = self.clock()
            self._due.put(ep.key, ep.poller.due_at(ep.interval(now, self.config.refresh_seconds,
                                                               self.config.idle_seconds)))

    def _hurry(self, ep: Endpoint) -> None:
        """Check it at once (under the condition: the loop is woken)."""
        ep.poller.hurry()
        self._schedule(ep)
        self._cond.notify_all()

    def sync(self, timeout: float = 15.0) -> None:
        """Fetch whatever is due now and wait until every fetch has been recorded (tests, the CLI)."""
        for future in self.step():
            future.result(timeout)
        with self._cond:
            self._cond.wait_for(lambda: not any(ep.in_flight for ep in self._endpoints.values()), timeout)
        self.store.flush()

    def _loop(self) -> None:
        while not self._stopping.is_set():
            self.step()
            now = self.clock()
            if now - self._pruned > PRUNE_EVERY:
                self._pruned = now
                self.store.prune(self.keep_days)
            with self._cond:
                self._cond.wait(self._nap(now))

    def _nap(self, now: float) -> float:
        """Real seconds to sleep: until the next fetch is due, between 0.01 and 1."""
        with self._lock:
            due = self._due.next_at()
        return 1.0 if due is None else min(1.0, max(0.01, due - now))

    def _fetch(self, ep: Endpoint, interval: float) -> None:
        """On a pool thread: one fetch, recorded. Not under the watcher's lock, so viewers never wait
        on the portal or the database; an endpoint has one fetch at a time, so its recording has one writer.
        Reads of the history here answer from memory while the database fails: a check never waits on it."""
        self.store.checking = True
        try:
            poll = ep.poller.fetch(interval)
            self.counts.checked(ep.portal.name, ep.kind, poll.ok)
            if poll.ok:
                ep.last_ok = poll.at
            if ep.recording is not None:
                self._recorded(ep, poll)
                state = endpoint_state.timeline_state(ep.recording.timeline, ep.recording.stored)
                self._save(ep, state, endpoint_state.signature(state), poll.at)
            else:
                self._backups_answered(ep, poll)
        finally:
            self.store.checking = False
            with self._cond:
                ep.in_flight = False
                ep.answered = True
                self._schedule(ep)
                self._cond.notify_all()

    def _recorded(self, ep: Endpoint, poll: Poll[Progress | None]) -> None:
        assert ep.recording is not None
        before = ep.recording.timeline.phase
        ep.recording.record(poll)
        if ep.kind == "backup" and before is not Phase.COMPLETED and ep.recording.timeline.phase is Phase.COMPLETED:
            backups = self._endpoints.get((ep.portal.name, "backups", None))
            if backups is not None:
                with self._cond:
                    self._hurry(backups)  # the new file is in the list now

    def _save(self, ep: Endpoint, state: dict[str, Any], signature: Any, at: float) -> None:
        """Tell readers (an app with watcher = "external") what changed, and with a heartbeat, that it still looks."""
        if ep.saved is not None and ep.saved[0] == signature and (self.heartbeat is None or
                                                                  at - ep.saved[1] < self.heartbeat):
            return
        state = state | {"at": at, "retry_at": ep.poller.latest.retry_at if ep.poller.latest else None}
        self.store.save_state(endpoint_state.key(ep.portal.name, ep.kind, SCOPES[ep.dump]), state, at)
        ep.saved = (signature, at)

    def _backups_answered(self, ep: Endpoint, poll: Poll[BackupsAnswer]) -> None:
        problem = None if poll.ok else Problem.of(poll.result)  # type: ignore[arg-type]
        state = {"failures": poll.failures,
                 "problem": None if problem is None else endpoint_state.problem_json(problem),
                 "answer": endpoint_state.backups_state(*poll.result) if poll.ok else None}  # type: ignore[misc]
        self._save(ep, state, json.dumps(state, sort_keys=True), poll.at)
        with self._cond:  # a viewer waiting for the first answer has it now, not after the audit trail
            ep.answered = True
            self._cond.notify_all()
        assert ep.backups is not None
        try:
            ep.backups.answered(poll)
        except Exception:  # the trail and the schedule must never stop the watching
            log.exception("%s: the backup list's answer could not be taken in full", ep.portal.name)

    # ------------------------------------------------------------ endpoints

    def _endpoint(self, portal: str, kind: str, dump: bool | None, *, default: bool = False) -> Endpoint:
        key = (portal, kind, dump)
        ep = self._endpoints.get(key)
        if ep is not None:
            return ep
        config = self.config.portal(portal)
        client = self._clients[config.name]
        recording, backups = None, None
        if kind == "backups":
            fetch: Callable[[], Any] = lambda: BackupsAnswer(client.get_backup_history(), client.get_backup_schedule())  # noqa: E731
            backups = BackupsWatch(config, client.get_audit_events, self.store, self._tell,
                                   remind_after=self._remind_after)
        else:
            operation = Operation.RESTORE if kind == "restore" else Operation.BACKUP
            fetch = (lambda: client.get_restore_progress(dump)) if kind == "restore" else client.get_backup_progress
            recording = Recording(config.name, config.label, operation, SCOPES[dump], self.store,
                                  self._tell, stall_floor=self.config.stall_minutes * 60,
                                  remind_after=self._remind_after)
            recording.resume()
        ep = Endpoint(config, kind, dump, Poller(fetch, clock=self.clock), recording, default, backups)
        self._endpoints[key] = ep
        self._schedule(ep)
        return ep

    def _tell(self, key: tuple[str, ...], text: i18n.Msg) -> bool:
        """A notification decided: to the webhook, and to the people who asked for it by email."""
        self.outbox.tell(key, text)
        return self.notifier.notify(key, text)

    def _look(self, ep: Endpoint, every: float | None, wait: bool = True) -> None:
        if every is None:
            return
        now = self.clock()
        ep.looks = {e: u for e, u in ep.looks.items() if u > now}
        fresh = every not in ep.looks or ep.forgotten(now)
        ep.looks[every] = now + max(2 * every, LOOK_GRACE)
        if fresh:  # a new pace (or an endpoint back from being forgotten): when is it due now?
            self._schedule(ep)
            self._cond.notify_all()
        if wait and not ep.answered and self.running and not ep.waited:
            ep.waited = True
            self._cond.notify_all()
            self._cond.wait_for(lambda: ep.answered, FIRST_WAIT)


def current() -> Watcher | None:
    """The watcher started last in this process, while it runs (tests settle it)."""
    return _current
