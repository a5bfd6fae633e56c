"""A restart while the history database is down, then it comes back: the running restore stays one
operation with its real start and duration, "how it ended" says so, and the outcome is told once.
Real watchers (one copy, then a fresh one as after a restart), HTTP to the simulator and a webhook
receiver, a real PostgreSQL stopped and started; only time is in the test's hands."""

from __future__ import annotations

import json

import pytest

from lib.db.store import HistoryStore
from lib.portal.models import Operation
from lib.settings.config import load
from lib.views.status import ended_words
from lib.watching.lease import BEAT, TTL
from simulator import Simulator
from tests.canned import Canned
from tests.factories import EN, KEY, T0, ManualClock, Mono, copy
from tests.pg import Cluster
from tests.servers import wait_until

pytestmark = pytest.mark.slow


def test_a_restart_while_the_database_is_down(pg_cluster: Cluster, pg_url: str) -> None:
    clock = ManualClock(T0)
    with Canned() as hook, Simulator("restore", api_key=KEY, clock=clock) as sim:
        hook.answer(200)
        config = load({"portals": {"prod": {"url": sim.url, "label": "Production"}},
                       "monitor": {"refresh_seconds": 2}, "notify": {"webhook_url": f"{hook.url}/hook"},
                       "history": {"url": pg_url}})
        first = copy(config, pg_url, clock, Mono())
        first.start()
        assert first.watcher is not None
        first.watcher.sync()  # seen at 0 %: its start is known
        for _ in range(10):  # it runs for 5 minutes
            clock.advance(30)
            first.watcher.sync()
        started = first.watcher.progress("prod", Operation.RESTORE).first_seen
        assert started is not None and first.store.flush()
        first.stop()  # the app restarts…
        first.store.close()
        pg_cluster.stop()  # …while the database is down
        mono = Mono()
        again = copy(config, pg_url, clock, mono)
        try:
            again.start()
            mono.now += TTL + 1  # nobody can tell who watches: after the TTL it watches on its own
            again.lease.step()
            assert again.watcher is not None
            again.watcher.sync()  # its first check lands before time moves on
            for _ in range(4):
                clock.advance(15)
                again.watcher.sync()
        finally:
            pg_cluster.start()
        def beat() -> bool:  # a beat of the lease (it takes the watch once it can read it) and a check
            mono.now += BEAT
            again.lease.step()
            clock.advance(15)
            again.watcher.sync()
            return again.store.flush() and again.lease.holding

        wait_until(lambda: beat() and
                   again.watcher.progress("prod", Operation.RESTORE).first_seen == started,
                   "the running restore is taken up with its real start once the database is back", timeout=40)
        for _ in range(20):  # to its end
            clock.advance(30)
            again.watcher.sync()
        past = again.watcher.past("prod", Operation.RESTORE).last
        assert past is not None and past.outcome == "completed" and past.started == started
        assert "after" in ended_words(past, "restore", clock(), EN) and "at least" not in ended_words(
            past, "restore", clock(), EN)
        wait_until(lambda: hook.posted, "the outcome is told")
        again.stop()
        again.store.close()
    store = HistoryStore(pg_url)
    (op,) = store.operations()
    assert (op.started, op.outcome) == (started, "completed")
    store.close()
    # told once, with its real duration (from its start before the restart)
    assert [json.loads(b)["text"] for b in hook.posted] == ["✅ Production: the restore completed.\nIt took 10 min."]


def test_an_overdue_alert_sent_before_a_restart_while_away_is_not_sent_again(pg_cluster: Cluster,
                                                                            pg_url: str) -> None:
    clock = ManualClock(T0)
    with Canned() as hook, Simulator("overdue", api_key=KEY, clock=clock) as sim:
        hook.answer(200)
        config = load({"portals": {"prod": {"url": sim.url, "api_key": KEY, "label": "Production"}},
                       "monitor": {"refresh_seconds": 2}, "notify": {"webhook_url": f"{hook.url}/hook"},
                       "history": {"url": pg_url}})
        first = copy(config, pg_url, clock, Mono())
        first.start()
        assert first.watcher is not None
        first.watcher.sync()
        wait_until(lambda: hook.posted and not first.watcher.notifier.waiting, "the overdue backup is told")
        first.stop()
        first.store.close()
        pg_cluster.stop()
        mono = Mono()
        again = copy(config, pg_url, clock, mono)
        try:
            again.start()
            mono.now += TTL + 1
            again.lease.step()
            assert again.watcher is not None
            again.watcher.sync()  # its first check lands before time moves on
            clock.advance(600)
            again.watcher.sync()  # decided again here: it waits for the database to claim it
            assert again.watcher.notifier.waiting == 1
        finally:
            pg_cluster.start()

        def beat() -> bool:
            mono.now += BEAT
            again.lease.step()
            return again.lease.holding

        wait_until(beat, "the copy holds the watch once the database answers", 30)
        wait_until(lambda: (clock.advance(10), not again.watcher.notifier.waiting)[-1],
                   "the claim, tried again, finds it sent already", 30)
        again.stop()
        again.store.close()
    texts = [json.loads(b)["text"] for b in hook.posted]
    assert len(texts) == 1 and texts[0].startswith("⚠️ Production: a scheduled backup is overdue"), texts
