"""The watcher that stops: a copy that only reads the history (``watcher = "external"``, or a copy standing
by) tells every viewer that nobody watches any more, since when, and that what they see is as of then;
/healthz says 503; the channels are told once. With no watcher ever run, the
pages say so and how to start one, instead of "Checking the portal…" for ever. Real watchers, real HTTP
to the simulator and to a webhook receiver, a SQLite file; only time is in the test's hands."""

from __future__ import annotations

import json
from pathlib import Path

from lib import clock as app_clock
from lib.db.store import HistoryStore
from lib.jobs.forecast import Past
from lib.portal.models import Operation
from lib.settings.config import load
from lib.views.progress import live_view
from lib.watching.duty import OnDuty
from lib.watching.health import Unwatched
from lib.watching.lease import TTL
from simulator import Simulator
from tests.apptest import app, texts
from tests.canned import Canned
from tests.factories import EN, KEY, T0, ManualClock
from tests.servers import wait_until


class Mono:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def copy(config, url: str, clock: ManualClock, mono: Mono, **kw) -> OnDuty:
    return OnDuty(config, HistoryStore(url, clock=clock), clock=clock, beat=3600, mono=mono, wall=clock, **kw)


def test_a_watcher_gone_quiet_is_said_everywhere_and_told_once(tmp_path: Path) -> None:
    clock = ManualClock(T0)
    url = f"sqlite:///{tmp_path}/history.sqlite3"
    with Canned() as hook, Simulator("restore", api_key=KEY, clock=clock) as sim:
        hook.answer(200)
        config = load({"portals": {"prod": {"url": sim.url, "label": "Production"}},
                       "monitor": {"refresh_seconds": 2}, "notify": {"webhook_url": f"{hook.url}/hook"},
                       "history": {"url": url}})
        mono_a, mono_r, mono_b = Mono(), Mono(), Mono()
        a = copy(config, url, clock, mono_a).start()
        reader = copy(config, url, clock, mono_r, acquire=False).start()
        other = copy(config, url, clock, mono_r, acquire=False).start()  # a second app replica that only reads
        b = None
        try:
            assert a.watcher is not None and reader.unwatched() is None
            a.watcher.sync()  # the first check lands before the clock moves
            for _ in range(5):
                clock.advance(60)
                a.watcher.sync()
            assert a.store.flush()
            mono_r.now += TTL  # a crashed: nothing from it for the TTL
            reader.lease.step()
            other.lease.step()
            assert reader.unwatched() == Unwatched(T0)  # its last renewal
            wait_until(lambda: hook.posted, "the channel is told that nobody watches")
            reader.lease.step()
            other.lease.step()
            status, body = reader.health(names=False)
            assert status == 503 and body["watching"] is False
            timeline = reader.progress("prod", Operation.RESTORE)
            assert timeline.phase.running
            shown = live_view(timeline, Past(None, None), EN, 600, clock(), reader.unwatched()).status
            assert shown.headline == ("Not watched since 08:00: the watcher has stopped writing to the history. "
                                      "What you see is as of then.")
            assert shown.facts[0].startswith("Last known: Restoring — ")
            words = " ".join([shown.headline, *shown.facts, shown.eta, shown.notice]
                             + [f"{n.label} {n.value}" for n in shown.numbers])
            assert "just now" not in words and "Done around" not in words and "Time left" not in words
            assert [n.label for n in shown.numbers] == ["Done (last known)", "Running for (last known)"]
            assert "python -m lib.watch" in shown.notice
            b = copy(config, url, clock, mono_b).start()  # a copy that may watch starts: it takes over
            assert b.watcher is not None
            mono_r.now += 2
            reader.lease.step()
            assert reader.unwatched() is None  # watched again
        finally:
            for duty in (a, reader, other, b):
                if duty is not None:
                    duty.stop()
                    duty.store.close()
    (told,) = [json.loads(p)["text"] for p in hook.posted]  # once, by one of the two copies that only read
    assert told.startswith("⚠️ Nobody is watching the portals: the watcher stopped writing to the history at ")
    assert "08:00, so no alerts will come until it runs again (python -m lib.watch)." in told


def test_no_watcher_ever_run_says_so_and_how_to_start_one(tmp_path: Path) -> None:
    sim_url = "https://portal.example.com"
    at = app(portals={"prod": {"url": sim_url, "label": "Production"}},
             history={"url": f"sqlite:///{tmp_path}/h.sqlite3", "watcher": "external"})
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    page = texts(at)
    assert "Nothing has written to the history yet: no watcher has run." in page
    assert "python -m lib.watch --secrets" in page
    assert "Checking the portal" not in page
    for other in ("app_pages/portals.py", "app_pages/history.py"):
        at.switch_page(other).run()
        assert not at.exception, [e.value for e in at.exception]
        assert "Nothing has written to the history yet" in texts(at)


def test_a_watcher_that_stopped_is_said_on_the_pages(tmp_path: Path, portal: Simulator,
                                                     manual_clock: ManualClock) -> None:
    url = f"sqlite:///{tmp_path}/h.sqlite3"
    tables = {"portals": {"prod": {"url": portal.url, "api_key": KEY, "label": "Production"}},
              "monitor": {"refresh_seconds": 2}}
    headless = OnDuty(load(tables | {"history": {"url": url}}), HistoryStore(url, clock=manual_clock),
                      role="headless", clock=manual_clock, beat=3600, wall=manual_clock).start()
    assert headless.watcher is not None
    headless.watcher.sync()  # the first check lands before time moves on
    for _ in range(4):
        manual_clock.advance(60)
        headless.watcher.sync()
    stopped_at = manual_clock()
    headless.stop()  # a clean stop, or a crash: the same for the viewer
    headless.store.close()
    app_clock.use(manual_clock)
    manual_clock.advance(3600)
    stopped = EN.clock(stopped_at, manual_clock())
    at = app(**tables, history={"url": url, "watcher": "external"})
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    page = texts(at)
    assert f"Not watched since {stopped}: the watcher has stopped writing to the history." in page
    assert "Last known: Restoring — " in page and "Done (last known)" in page
    assert "just now" not in page and "Done around" not in page
    at.switch_page("app_pages/backups.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert f"Not watched since {stopped}" in texts(at)
