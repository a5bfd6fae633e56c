"""A history database that takes the bytes and never answers (a loopback TCP proxy in front of a real
PostgreSQL that stops forwarding): the portal is still asked at its interval and the page's history
stays fresh; the page says history is not being saved; once the database answers again, what was seen
meanwhile is written. Counted at the simulator, over real time."""

from __future__ import annotations

import contextlib
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
from tests.pg import Cluster
from tests.servers import wait_until

pytestmark = pytest.mark.slow
INTERVAL = 2.0


class Proxy:
    """Forwards loopback TCP to PostgreSQL until :meth:`hang`: then connections stay open and every byte
    sent is taken and dropped, so nothing ever comes back (new connections too)."""

    def __init__(self, target: int):
        self.target = target
        self.forwarding = threading.Event()
        self.forwarding.set()
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port = self._server.getsockname()[1]
        self._socks: list[socket.socket] = [self._server]
        threading.Thread(target=self._accept, daemon=True).start()

    def hang(self) -> None:
        self.forwarding.clear()

    def resume(self) -> None:
        self.forwarding.set()

    def close(self) -> None:
        for sock in self._socks:
            with contextlib.suppress(OSError):
                sock.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._server.accept()
                upstream = socket.create_connection(("127.0.0.1", self.target))
            except OSError:
                return
            self._socks += [client, upstream]
            for src, dst in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(src, dst), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := src.recv(65536):
                if self.forwarding.is_set():
                    dst.sendall(data)
        with contextlib.suppress(OSError):
            dst.shutdown(socket.SHUT_RDWR)


@pytest.fixture
def proxy(pg_cluster: Cluster) -> Iterator[Proxy]:
    found = Proxy(pg_cluster.port)
    yield found
    found.close()


def test_a_database_that_hangs_slows_neither_the_checks_nor_the_page(pg_cluster: Cluster, proxy: Proxy) -> None:
    name = pg_cluster.new_database().rsplit("/", 1)[1]
    url = f"postgresql+psycopg://postgres@127.0.0.1:{proxy.port}/{name}"
    with Simulator("restore", speed=3) as sim:  # the percent moves every couple of seconds: writes all along
        config = load({"portals": {"prod": {"url": sim.url}}, "monitor": {"refresh_seconds": INTERVAL},
                       "history": {"url": url}})
        store = HistoryStore(url)
        duty = OnDuty(config, store).start()
        try:
            wait_until(lambda: store.writes[0] > 3 and not store.pending, "history is written while all is well")
            proxy.hang()
            hung = time.time()
            sim.reset_counts()
            wait_until(lambda: sim.requests("getrestoreprogress") >= 10, "ten checks, one every 2 s", 40)
            assert time.time() - duty.progress("prod", Operation.RESTORE).last_poll_at < 2 * INTERVAL
            wait_until(lambda: str(store.problem or "").startswith("History is not being saved"), "the page says so",
                       30)
            assert store.pending > 0  # what was seen waits for the database…
            proxy.resume()
            wait_until(lambda: not store.pending and not store.problem, "…and is written once it answers", 60)
        finally:
            duty.stop()
            store.close()
    again = HistoryStore(f"postgresql+psycopg://postgres@127.0.0.1:{pg_cluster.port}/{name}")
    (op,) = again.operations()
    assert any(p.at > hung for p in again.points_of(op.id))  # the points seen while it hung are there
    again.close()
