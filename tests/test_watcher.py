"""The watcher: it watches with nobody looking, at the right pace, one request per interval however
many viewers look, never makes a viewer wait on a portal, runs once per database, and survives a restart
without losing history or repeating a notification. Against the simulator over loopback HTTP."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from lib.db.store import HistoryStore
from lib.portal.models import Operation
from lib.settings.config import AppConfig, PortalConfig
from lib.ui import state
from lib.watching.endpoint import BACKUPS_IDLE, BACKUPS_LOOKED
from lib.watching.watcher import Watcher
from simulator import ManualClock, Simulator
from tests.canned import Canned
from tests.factories import KEY
from tests.servers import wait_until


def config(*sims: Simulator, refresh: float = 5.0, idle: float = 60.0, webhook: str | None = None,
           url: str = "sqlite://") -> AppConfig:
    portals = tuple(PortalConfig(f"p{i}", sim.url, f"Portal {i}", KEY) for i, sim in enumerate(sims))
    return AppConfig(portals, refresh_seconds=refresh, idle_seconds=idle, webhook_url=webhook, history_url=url)


@pytest.fixture
def watchers() -> Iterator[list[Watcher]]:
    made: list[Watcher] = []
    yield made
    for w in made:
        w.stop()


def watch(made: list[Watcher], cfg: AppConfig, clock: ManualClock, *, start: bool = True) -> Watcher:
    w = Watcher(cfg, HistoryStore(cfg.history_url, clock=clock), clock=clock)
    made.append(w)
    if start:
        w.start().sync()  # the first check lands before the test moves the clock
    return w


def restore_requests(sim: Simulator, w: Watcher, clock: ManualClock, seconds: int, *, step: float = 2.5,
                     looks: int = 0, every: float = 5.0) -> int:
    """Requests for restore progress over ``seconds``, with ``looks`` viewers each ticking every ``every`` s."""
    sim.reset_counts()
    for i in range(int(seconds / step)):
        clock.advance(step)
        w.sync()
        if looks and i % int(every / step) == 0:
            for _ in range(looks):
                w.progress("p0", Operation.RESTORE, look=every)
    return sim.requests("getrestoreprogress")


@pytest.mark.parametrize("viewers", [0, 1, 10, 50])
def test_one_request_per_interval_while_a_job_runs_whatever_the_viewers(
        manual_clock: ManualClock, watchers: list[Watcher], viewers: int) -> None:
    with Simulator("restore", api_key=KEY, clock=manual_clock) as sim:
        w = watch(watchers, config(sim), manual_clock)
        w.sync()
        assert restore_requests(sim, w, manual_clock, 300, looks=viewers) == 60  # 300 s / 5 s


@pytest.mark.parametrize(("viewers", "expected"), [(0, 5), (1, 60), (50, 60)])
def test_idle_pace_with_nobody_looking_and_the_full_pace_for_a_viewer(
        manual_clock: ManualClock, watchers: list[Watcher], viewers: int, expected: int) -> None:
    with Simulator("idle", api_key=KEY, clock=manual_clock) as sim:
        w = watch(watchers, config(sim), manual_clock)
        w.sync()
        assert restore_requests(sim, w, manual_clock, 300, looks=viewers) == expected


def test_backup_list_every_ten_minutes_or_every_minute_while_looked_at(
        manual_clock: ManualClock, watchers: list[Watcher]) -> None:
    with Simulator("idle", api_key=KEY, clock=manual_clock) as sim:
        w = watch(watchers, config(sim), manual_clock)
        w.sync()
        sim.reset_counts()
        for _ in range(int(2 * BACKUPS_IDLE)):
            manual_clock.advance(1)
            w.sync()
        assert sim.requests("getbackuphistory") == 2
        sim.reset_counts()
        for i in range(int(5 * BACKUPS_LOOKED)):
            manual_clock.advance(1)
            w.sync()
            if i % 10 == 0:
                w.backups("p0", look=10)
        assert sim.requests("getbackuphistory") == 5


def test_watching_needs_no_viewer_and_sees_a_job_end(manual_clock: ManualClock, watchers: list[Watcher]) -> None:
    with Simulator("restore", api_key=KEY, clock=manual_clock, speed=10) as sim:
        w = watch(watchers, config(sim), manual_clock)
        for _ in range(80):
            manual_clock.advance(1)
            w.sync()
        timeline = w.progress("p0", Operation.RESTORE)  # read once, at the end
        assert timeline.phase.value == "completed"
        assert [op.outcome for op in w.store.operations()] == ["completed"]


@pytest.mark.slow
def test_no_viewer_waits_on_a_slow_portal_and_it_holds_up_no_other(watchers: list[Watcher]) -> None:
    clock = ManualClock()
    with Simulator("restore", api_key=KEY, clock=clock, latency=60) as slow, \
            Simulator("restore", api_key=KEY, clock=clock) as quick:
        cfg = AppConfig((PortalConfig("slow", slow.url, "Slow", None), PortalConfig("quick", quick.url, "Quick", None)),
                        history_url="sqlite://")
        w = watch(watchers, cfg, clock, start=False).start()  # not waiting for the slow portal's first answer
        first = w.progress("slow", Operation.RESTORE, look=5)  # the very first view waits up to 3 s, once
        assert first.last_poll_at is None and w.latest("slow", "restore") is None
        assert slow.requests("getrestoreprogress") == 1  # asked, and still waiting for the answer
        assert w.progress("quick", Operation.RESTORE, look=5).last_poll_at is not None  # the other one answered
        started = time.monotonic()
        for _ in range(20):  # later ticks read what is known and never wait
            assert w.progress("slow", Operation.RESTORE, look=5).last_poll_at is None
        assert time.monotonic() - started < 1.0  # 20 waits of 3 s would be a minute
        assert w.latest("slow", "restore") is None and slow.requests("getrestoreprogress") == 1


def test_new_settings_replace_the_copy_and_the_watch_passes_to_the_new_one(manual_clock: ManualClock,
                                                                          tmp_path: Path) -> None:
    """New secrets (or "Clear cache"): the process's old copy is released, hands the watch over, and the
    new one takes it; one watcher thread runs throughout."""
    url = f"sqlite:///{tmp_path}/history.sqlite3"
    with Simulator("idle", api_key=KEY, clock=manual_clock) as sim:
        first = state.source_for(config(sim, url=url))
        assert first.watcher is not None
        second = state.source_for(config(sim, refresh=10, url=url))
        assert first.watcher is None  # stopped, and the lease handed over
        wait_until(lambda: second.watcher is not None, "the new copy takes the watch at its next look", 10)
        alive = [t for t in threading.enumerate() if t.name == "watcher" and t.is_alive()]
        assert len(alive) == 1


def test_every_setting_counts_in_which_copy_serves_them() -> None:
    """A changed setting the copy uses (here the secret that signs the links in emails) makes a new copy."""
    import dataclasses

    from lib.settings.config import load

    base = load({"portals": {"p": {"url": "https://a.example.com", "api_key": KEY}},
                 "email": {"host": "smtp.example.com", "from": "a@example.com", "secret": "x" * 32},
                 "notify": {"app_url": "https://app.example.com"}})
    other = dataclasses.replace(base, mail=dataclasses.replace(base.mail, secret="y" * 32))
    assert state._fingerprint(base) == state._fingerprint(dataclasses.replace(base))
    assert state._fingerprint(base) != state._fingerprint(other)
    assert state._fingerprint(base) != state._fingerprint(dataclasses.replace(base, remind_hours=6.0))


def test_notified_once_with_no_browser_and_not_again_after_a_restart(
        manual_clock: ManualClock, watchers: list[Watcher], tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/history.sqlite3"
    with Canned() as hook, Simulator("restore", api_key=KEY, clock=manual_clock, speed=10) as sim:
        hook.answer(200)
        cfg = config(sim, webhook=hook.url + "/hook", url=url)
        first = watch(watchers, cfg, manual_clock)
        for _ in range(40):
            manual_clock.advance(1)
            first.sync()
        first.stop()  # the app stops mid-restore
        second = watch(watchers, cfg, manual_clock)
        assert second.progress("p0", Operation.RESTORE).progress_points  # the history from before is there
        for _ in range(40):
            manual_clock.advance(1)
            second.sync()
        assert hook.got_post.wait(10)
        assert second.notifier.deliver_due() == 0
        second.stop()
        third = watch(watchers, cfg, manual_clock)  # once more, after the end
        for _ in range(10):
            manual_clock.advance(1)
            third.sync()
        assert third.notifier.deliver_due() == 0
        (op,) = third.store.operations()
        assert op.outcome == "completed"
    assert [json.loads(body)["text"].splitlines()[0] for body in hook.posted] == ["✅ Portal 0: the restore completed."]
