"""The lease: one copy per history database watches, the others stand by and take over when it stops or
goes quiet, judged on their own clocks. Real databases (a SQLite file, a throwaway PostgreSQL); each
copy has its own store, as separate processes would; time is a fake that tests move. The lease thread
is given a beat of an hour, so only the test's own ``step()`` calls move it."""

from __future__ import annotations

import pytest

from lib.db import lease as lease_sql
from lib.db.lease import Me
from lib.db.store import HistoryStore
from lib.watching.lease import BEAT, SKEW, TTL, Lease
from tests.factories import T0


class Clock:
    def __init__(self, now: float = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class Copy:
    """One copy: its own store, lease and clocks; ``duty`` records what it was told."""

    def __init__(self, url: str, name: str, *, host: str = "host-a", acquire: bool = True, wall: Clock | None = None):
        self.store = HistoryStore(url)
        self.mono, self.wall = Clock(0.0), wall or Clock()
        self.duty: list[bool] = []
        self.lease = Lease(self.store, Me(name, "app", host, 100), acquire=acquire, on_duty=self.duty.append,
                           health=lambda: '{"portals": {}}', beat=3600, wall=self.wall, mono=self.mono)

    def step(self, seconds: float = 0.0) -> Copy:
        self.mono.now += seconds
        self.wall.now += seconds
        self.lease.step()
        return self

    def stop(self) -> None:
        self.lease.stop()
        self.store.close()


@pytest.fixture
def copies(url: str):
    made: list[Copy] = []

    def make(name: str, **kw) -> Copy:
        copy = Copy(url, name, **kw)
        made.append(copy)
        return copy

    yield make
    for copy in made:
        copy.stop()


def test_the_first_copy_watches_at_once_and_the_next_stands_by(copies) -> None:
    a = copies("a")
    a.lease.start()
    assert a.duty == [True] and a.lease.holding
    b = copies("b")
    b.lease.start()
    assert b.duty == [] and not b.lease.acting
    holder = b.lease.holder()
    assert holder is not None and (holder.host, holder.pid, holder.mine, holder.alive) == ("host-a", 100, False, True)


def test_a_clean_stop_hands_over_at_once(copies) -> None:
    a, b = copies("a"), copies("b")
    a.lease.start()
    b.lease.start()
    a.lease.stop()
    assert a.duty == [True, False]
    b.step(BEAT)  # the next look, one beat later
    assert b.duty == [True] and b.lease.holding


def test_a_quiet_holder_is_taken_over_after_the_ttl_on_the_takers_own_clock(copies) -> None:
    a, b = copies("a"), copies("b", host="host-b")
    a.lease.start()
    b.lease.start()
    for _ in range(int(TTL // BEAT)):
        a.step(BEAT)  # renewing
        b.step(BEAT)
    assert b.duty == []  # a lease renewed every beat is never taken, however long
    b.step(TTL - 1)  # a is killed (no more renewals): not yet…
    assert b.duty == []
    b.step(1)
    assert b.duty == [True] and b.lease.holding  # …now


def test_clocks_that_disagree_cannot_make_a_second_holder(copies) -> None:
    a = copies("a", wall=Clock(T0 - 50))  # a's clock is 50 s behind b's: its renewals look old to b
    b = copies("b", host="host-b")
    a.lease.start()
    b.lease.start()
    for _ in range(20):
        a.step(BEAT)
        b.step(BEAT)
    assert b.duty == [] and a.lease.holding


def test_after_a_reboot_a_stale_lease_is_taken_at_once(copies) -> None:
    old = copies("old")
    old.lease.start()  # the machine goes down without a word, and comes back a while later
    new = copies("new", wall=Clock(T0 + TTL + 1))  # same host: its clock can be trusted
    new.lease.start()
    assert new.duty == [True]
    renewed = T0 + TTL + 1
    late = copies("late", host="host-c", wall=Clock(renewed + TTL + SKEW - 5))
    late.lease.start()  # another host: its clock may be off by up to SKEW, so not this one…
    assert late.duty == []
    later = copies("later", host="host-d", wall=Clock(renewed + TTL + SKEW + 5))
    later.lease.start()  # …but this one
    assert later.duty == [True]


def test_a_paused_holder_that_wakes_up_stands_by(copies) -> None:
    a, b = copies("a"), copies("b", host="host-b")
    a.lease.start()
    b.lease.start()
    b.step(TTL)  # a is paused (SIGSTOP) past its lease: b takes over
    assert b.lease.holding and a.lease.acting  # a has not noticed yet: for a moment both think they watch
    me_a = a.lease.me
    assert not a.store.at_once(lambda c: lease_sql.claim(c, me_a, "k", "text", T0, tries=4, grace=120))
    assert b.store.at_once(lambda c: lease_sql.claim(c, b.lease.me, "k", "text", T0, tries=4, grace=120))
    a.step(BEAT)  # a wakes up: its renewal fails
    assert a.duty == [True, False] and not a.lease.holding


def test_an_app_that_must_not_watch_never_takes_the_lease(copies) -> None:
    reader = copies("r", acquire=False)
    reader.lease.start()
    reader.step(TTL * 3)
    assert reader.duty == [] and reader.lease.holder() is None


@pytest.mark.slow  # a real PostgreSQL stopped and started
def test_with_the_database_away_a_copy_watches_alone_then_stands_by_again(pg_cluster, pg_url: str) -> None:
    a, b = Copy(pg_url, "a"), Copy(pg_url, "b", host="host-b")
    try:
        a.lease.start()
        b.lease.start()
        pg_cluster.stop()
        try:
            b.step(BEAT)
            assert b.duty == []  # not at once…
            b.step(TTL)
            assert b.duty == [True] and b.lease.holder().alone  # …but after the TTL: better twice than never
            a.step(BEAT)
            assert a.lease.acting  # the holder goes on watching too
        finally:
            pg_cluster.start()
        a.step(BEAT)
        b.step(BEAT)
        assert a.lease.holding and b.duty == [True, False]  # back: one watches again
    finally:
        a.stop()
        b.stop()
