"""A database host that drops everything from the start (a loopback server that accepts connections and
never answers a byte, as a firewalled hosted PostgreSQL looks): the app still starts watching, and the
portal is asked at its interval, however often the history tries the database again (reads that would
wait for it are kept off the checks' path). Counted at the simulator, over real time."""

from __future__ import annotations

import contextlib
import itertools
import socket
import threading
import time
from collections.abc import Iterator

import pytest

from lib.db.store import HistoryStore
from lib.portal.models import Operation
from lib.settings.config import load
from lib.watching.duty import OnDuty
from simulator import Simulator
from tests.servers import wait_until

pytestmark = pytest.mark.slow


@pytest.fixture
def blackhole() -> Iterator[int]:
    server = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = [server]

    def swallow(conn: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while conn.recv(65536):
                pass

    def accept() -> None:
        with contextlib.suppress(OSError):
            while True:
                conn, _ = server.accept()
                held.append(conn)
                threading.Thread(target=swallow, args=(conn,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    yield server.getsockname()[1]
    for sock in held:
        with contextlib.suppress(OSError):
            sock.close()


def test_checks_keep_their_pace_with_a_blackholed_database(blackhole: int) -> None:
    url = f"postgresql+psycopg://postgres@127.0.0.1:{blackhole}/history"
    with Simulator("restore", speed=3) as sim:  # the percent moves every couple of seconds: writes all along
        config = load({"portals": {"prod": {"url": sim.url}}, "monitor": {"refresh_seconds": 2},
                       "history": {"url": url}})
        store = HistoryStore(url)
        duty = OnDuty(config, store, ttl=3.0).start()
        try:
            wait_until(lambda: duty.watcher is not None, "it watches on its own", 60)
            sim.reset_counts()
            began, seen = time.monotonic(), set[float]()

            def forty_seconds() -> bool:  # every check's time, as the watcher recorded it
                seen.update(duty.progress("prod", Operation.RESTORE).poll_times)
                return time.monotonic() - began >= 40

            wait_until(forty_seconds, "40 s of checks", 60, every=0.5)
            times = sorted(seen)
            gaps = [b - a for a, b in itertools.pairwise(times)]
            # a read waiting on the database in a check's path holds it for the connect timeout (3 s): 16 in 40 s
            assert sorted(gaps)[-2] < 4.5, gaps  # one hiccup of a busy machine is not that
            assert sim.requests("getrestoreprogress") >= 18
            assert str(store.problem or "").startswith("History is not being saved")
        finally:
            duty.stop()
            store.close()
