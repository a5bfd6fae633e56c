"""The history database goes away mid-restore and comes back: the pages keep working, one sentence says
history is not being saved while it is away, and every change point reaches the database afterwards."""

from __future__ import annotations

import pytest

from lib.db.store import HistoryStore
from simulator import ManualClock, Simulator
from tests.apptest import make_app, texts, timeline_of
from tests.factories import KEY
from tests.pg import Cluster

pytestmark = pytest.mark.slow
NOT_SAVED = "History is not being saved: 127.0.0.1 is not reachable."


def test_postgres_stopped_and_started_mid_restore(pg_cluster: Cluster, pg_url: str, manual_clock: ManualClock,
                                                  tick) -> None:
    with Simulator("restore", api_key=KEY, clock=manual_clock) as sim:
        at = make_app(sim, history={"url": pg_url})
        tick(at, 40)
        tick(at, 60)
        assert NOT_SAVED not in texts(at)
        pg_cluster.stop()
        try:
            for _ in range(6):  # a minute of checks, a point almost every one
                tick(at, 10)
                page = texts(at)
                assert "Restoring — " in page and NOT_SAVED in page  # the page works, and says so once
                assert page.count(NOT_SAVED) == 1
            away = [p.percent for p in timeline_of(at).progress_points]
            for path in ("app_pages/backup.py", "app_pages/backups.py", "app_pages/portals.py"):
                tick(at.switch_page(path))
            at.switch_page("app_pages/restore.py")
        finally:
            pg_cluster.start()
        tick(at, 10)
        assert NOT_SAVED not in texts(at)
    store = HistoryStore(pg_url)  # what waited in memory was written, in order
    (op,) = store.operations()
    stored = [p.percent for p in store.points_of(op.id)]
    assert stored[: len(away)] == away and len(stored) >= len(away) + 1
    assert len(away) >= 8  # points were recorded while the database was away
