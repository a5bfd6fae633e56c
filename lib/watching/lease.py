"""One watcher per history database: every copy (app or headless) runs this, and the one holding the lease
watches while the others stand by.

The holder renews the lease every :data:`BEAT` seconds. A copy standing by looks as often, and takes
the lease when it was handed over (a clean stop: at once), or when its holder has not renewed it for
:data:`TTL` seconds (a crash, SIGKILL, a paused process, a host gone). "Not renewed" is judged by the
beat counter as this copy saw it change, on this copy's own monotonic clock, so clocks that disagree
between hosts cannot make two holders; a lease whose last renewal is older than :data:`TTL` plus
:data:`SKEW` by the wall clock (say, after a reboot) is taken at once.

When the database cannot be reached no copy can know who watches: the holder goes on watching, and a
copy standing by starts watching on its own after :data:`TTL` seconds (messages still wait for the
database, so none can be sent twice). Once it answers, all but the holder stand by again.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable

from lib.db import lease
from lib.db.lease import LeaseRow, Me
from lib.db.store import HistoryStore, StoreAway
from lib.watching.health import Holder, Unwatched

#: a holder not heard from for this long is gone, and another copy takes over
TTL = 15.0
#: the holder renews, and the copies standing by look, this often
BEAT = 2.0
#: how far two hosts' clocks may disagree: a lease renewed longer ago than TTL + SKEW is gone at once
SKEW = 60.0
log = logging.getLogger(__name__)


def me(role: str) -> Me:
    """This copy: a fresh id, and the host and process people can look for."""
    return Me(uuid.uuid4().hex, role, socket.gethostname()[:255], os.getpid())


class Lease:
    def __init__(self, store: HistoryStore, who: Me, *, acquire: bool, on_duty: Callable[[bool], None],
                 health: Callable[[], str] = lambda: "{}", on_step: Callable[[], None] = lambda: None,
                 ttl: float = TTL, beat: float = BEAT,
                 wall: Callable[[], float] = time.time, mono: Callable[[], float] = time.monotonic):
        """``acquire``: False for an app that must never watch (``watcher = "external"``); ``on_duty`` is
        told True when this copy starts watching and False when it stops; ``health`` is the JSON the
        holder publishes for the others' /healthz; ``on_step`` is called after every round."""
        self.store, self.me = store, who
        self._acquire, self._on_duty, self._health, self._on_step = acquire, on_duty, health, on_step
        self._ttl, self._beat, self._wall, self._mono = ttl, beat, wall, mono
        self._holding = self._alone = self._acting = False
        self.row: LeaseRow | None = None  # the lease as last read
        self.read_once = False  # the lease was read at least once (before that, nothing is known)
        self._seen: tuple[str, int] | None = None  # (holder, beat) as last seen change
        self._seen_at = self._db_at = mono()  # when that changed; when the database last answered
        self._lock = threading.RLock()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def holding(self) -> bool:
        return self._holding

    @property
    def may_watch(self) -> bool:
        """False for a copy that must never watch (``watcher = "external"``)."""
        return self._acquire

    @property
    def acting(self) -> bool:
        """Whether this copy watches (it holds the lease, or the database is away and it watches alone)."""
        return self._acting

    def start(self) -> Lease:
        """One look now (so a copy alone on its database watches at once), then one every beat."""
        self.step()
        self._thread = threading.Thread(target=self._run, name="watch-lease", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop watching, then hand the lease over at once."""
        self._stopping.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(self._ttl)
        with self._lock:
            self._duty(False)
            if self._holding:
                self._holding = False
                try:
                    self.store.at_once(lambda conn: lease.release(conn, self.me, self._wall()))
                    log.info("the watch is handed over")
                except StoreAway:
                    log.warning("the watch could not be handed over (the database is away): another copy "
                                "takes it within %g s", self._ttl)

    def _run(self) -> None:
        while not self._stopping.wait(self._beat):
            self.step()

    def step(self) -> None:
        """One round: renew (holder) or look and maybe take over (the others); then watch or stand by."""
        with self._lock:
            if self._stopping.is_set() and self._thread is not None:
                return
            try:
                self._round()
                self._db_at, self._alone, self.read_once = self._mono(), False, True
            except StoreAway:
                self._away()
            self._duty(self._holding or self._alone)
        self._on_step()

    def _round(self) -> None:
        now = self._wall()
        if self._holding and not self.store.at_once(lambda conn: lease.renew(conn, self.me, now, self._health())):
            self._holding = False
            log.warning("another copy has taken over the watch: this copy stands by")
        row = self.store.at_once(lease.read)
        self._observe(row)
        if row is not None and row.holder == self.me.id:
            self._holding = True
        elif self._acquire and self._gone(row):
            health = self._health()
            if self.store.at_once(lambda conn: lease.take(conn, self.me, row, now, health)):
                self._holding = True
                self._observe(self.store.at_once(lease.read))
                log.info("this copy (%s on %s, process %d) now holds the watch", self.me.role, self.me.host,
                         self.me.pid)

    def _gone(self, row: LeaseRow | None) -> bool:
        return row is None or not row.holder or self._quiet(row)

    def _observe(self, row: LeaseRow | None) -> None:
        self.row = row
        seen = None if row is None else (row.holder, row.beat)
        if seen != self._seen:
            self._seen, self._seen_at = seen, self._mono()

    def _away(self) -> None:
        if self._acquire and not self._holding and not self._alone and self._mono() - self._db_at > self._ttl:
            self._alone = True
            log.warning("the history database cannot be reached: this copy watches on its own until it is back")

    def _duty(self, acting: bool) -> None:
        if acting != self._acting:
            self._acting = acting
            self._on_duty(acting)

    # ------------------------------------------------------------ what the others see

    def holder(self) -> Holder | None:
        """Who holds the watch, as last seen (None when nobody ever did)."""
        if self._alone:
            return Holder(self.me.role, self.me.host, self.me.pid, self._wall(), True, True, alone=True)
        row = self.row
        if row is None or not row.holder:
            return None
        mine = row.holder == self.me.id
        alive = self._holding if mine else not self._quiet(row)
        return Holder(row.role, row.host, row.pid, row.since, mine, alive)

    def unwatched(self) -> Unwatched | None:
        """Whether nobody watches, as this copy can tell: the holder stopped (handed over, or has not
        renewed for :data:`TTL`), or no copy ever held the watch. None while this copy watches, while
        another does, and while the lease cannot be read (then nothing is known)."""
        if self._acting or not self.read_once or self.database_away:
            return None
        row = self.row
        if row is None:
            return Unwatched(None)
        if not row.holder or (row.holder != self.me.id and self._quiet(row)):
            return Unwatched(row.renewed)
        return None

    def _quiet(self, row: LeaseRow) -> bool:
        """The holder has not renewed for TTL on this copy's clock (or, for a copy that has just started,
        by the wall clock: a lease last renewed long ago)."""
        if self._mono() - self._seen_at >= self._ttl:
            return True
        late = self._wall() - row.renewed
        return late > self._ttl + SKEW or (row.host == self.me.host and late > self._ttl)

    def holder_now(self) -> float | None:
        """The holder's clock now, as far as this copy can tell (its last renewal, plus the time since)."""
        row = self.row
        return None if row is None else row.renewed + (self._mono() - self._seen_at)

    @property
    def database_away(self) -> bool:
        return self._mono() - self._db_at > self._beat * 2
