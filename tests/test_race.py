"""Two copies that both think they watch (the holder was paused past its lease, another took over, and the
first has not noticed yet): both poll, both record the restore's end, both decide to tell it. The
database still holds one operation and lets one message out. Real watchers, real HTTP to the simulator,
a real webhook receiver, a SQLite file and a throwaway PostgreSQL; only time is in the test's hands."""

from __future__ import annotations

import json

from lib.db import schema
from lib.db.store import HistoryStore
from lib.jobs.phases import Phase
from lib.portal.models import Operation
from lib.settings.config import load
from lib.watching.lease import BEAT, TTL
from simulator import Simulator
from tests.canned import Canned
from tests.factories import KEY, T0, ManualClock, Mono, copy
from tests.pg import count_rows
from tests.servers import wait_until


def test_two_holders_overlapping_write_one_operation_and_send_one_message(url: str) -> None:
    clock = ManualClock(T0)
    with Canned() as hook, Simulator("restore", api_key=KEY, clock=clock) as sim:
        hook.answer(200)
        config = load({"portals": {"prod": {"url": sim.url, "label": "Production"}},
                       "monitor": {"refresh_seconds": 2}, "notify": {"webhook_url": f"{hook.url}/hook"},
                       "history": {"url": url}})
        mono_a, mono_b = Mono(), Mono()
        a, b = copy(config, url, clock, mono_a), copy(config, url, clock, mono_b)
        a.start()
        b.start()
        try:
            assert a.watcher is not None and b.watcher is None  # one watches, the other stands by
            a.watcher.sync()  # its first check lands before the clock moves
            clock.advance(400)  # 400 s into the 10-minute restore
            a.watcher.sync()
            assert a.store.flush()
            mono_b.now += TTL  # a is paused: b hears nothing from it for the TTL, and takes over
            b.lease.step()
            assert b.watcher is not None and a.watcher is not None  # a has not noticed: two watchers
            b.watcher.sync()  # b's first check lands before time moves on (else it may answer for 400 s at 700 s)
            clock.advance(300)  # the restore ends; both see it
            a.watcher.sync()
            b.watcher.sync()
            for watcher in (a.watcher, b.watcher):  # both recorded the end, and both decided to tell it
                assert watcher.progress("prod", Operation.RESTORE).phase is Phase.COMPLETED
                assert watcher.notifier.decisions == 1
            wait_until(lambda: hook.posted and not a.watcher.notifier.waiting and not b.watcher.notifier.waiting,
                       "both copies have dealt with their message")
            mono_b.now += BEAT
            b.lease.step()  # b renews, as it does every beat
            mono_a.now += BEAT  # a wakes up: its renewal fails, and it stands by
            a.lease.step()
            assert a.watcher is None and b.watcher is not None
        finally:
            a.stop()
            b.stop()
    assert [json.loads(b)["text"].splitlines()[0] for b in hook.posted] == ["✅ Production: the restore completed."]
    assert count_rows(url, schema.operations) == 1 and count_rows(url, schema.notifications) == 1
    store = HistoryStore(url)
    (op,) = store.operations()
    assert (op.outcome, op.task_id) == ("completed", sim.task_id)
    store.close()
