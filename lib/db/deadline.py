"""A deadline on every PostgreSQL round trip, kept by cutting the connection that overruns it.

PostgreSQL's ``statement_timeout`` needs the server to hear the statement, and TCP's user timeout needs
bytes left unacknowledged: a host or proxy that accepts the bytes and never answers (a hung firewall,
a load balancer with a dead backend) defeats both, and the thread waiting on it would wait forever,
holding its connection. Here every checkout, statement and commit is timed; one that has not come back
after :attr:`Deadline.seconds` has its socket shut down, so the driver raises, SQLAlchemy drops the
connection, and the history, the lease and the messages try again later on a fresh one.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
import time
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.exc import DisconnectionError

log = logging.getLogger(__name__)


class Deadline:
    def __init__(self, seconds: float):
        self.seconds = seconds
        self._busy: dict[int, tuple[float, int]] = {}  # id(driver connection) -> (since, its socket)
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self.cut = 0  # connections cut so far

    def attach(self, engine: Engine) -> None:
        event.listen(engine, "checkout", self._checkout)
        event.listen(engine, "checkin", lambda dbapi, _record: self._idle(dbapi))
        event.listen(engine, "before_cursor_execute", lambda conn, *_: self._start(_driver(conn)))
        event.listen(engine, "after_cursor_execute", lambda conn, *_: self._idle(_driver(conn)))
        event.listen(engine, "commit", lambda conn: self._start(_driver(conn)))  # until the checkin
        event.listen(engine, "rollback", lambda conn: self._start(_driver(conn)))

    def _checkout(self, dbapi: Any, _record: Any, _proxy: Any) -> None:
        """A ping under the deadline (instead of SQLAlchemy's pre-ping, which nothing could interrupt)."""
        self._start(dbapi)
        try:
            dbapi.execute("SELECT 1")
            dbapi.rollback()
        except Exception as exc:  # any failure: the pool makes a fresh connection
            raise DisconnectionError(str(exc)) from exc
        finally:
            self._idle(dbapi)

    def _start(self, dbapi: Any) -> None:
        try:
            fd = dbapi.pgconn.socket
        except Exception:  # noqa: BLE001 - closed already: nothing to guard
            return
        with self._lock:
            self._busy[id(dbapi)] = (time.monotonic(), fd)
            if self._thread is None:
                self._thread = threading.Thread(target=self._watch, name="db-deadline", daemon=True)
                self._thread.start()

    def _idle(self, dbapi: Any) -> None:
        with self._lock:
            self._busy.pop(id(dbapi), None)

    def _watch(self) -> None:
        while True:
            time.sleep(min(1.0, self.seconds / 4))
            now = time.monotonic()
            with self._lock:
                late = [(key, fd) for key, (since, fd) in self._busy.items() if now - since > self.seconds]
                for key, _ in late:
                    del self._busy[key]
            for _, fd in late:
                self._cut(fd)

    def _cut(self, fd: int) -> None:
        with contextlib.suppress(OSError):
            with socket.socket(fileno=os.dup(fd)) as sock:
                sock.shutdown(socket.SHUT_RDWR)
            self.cut += 1
            log.warning("the history database did not answer within %g s: the connection was dropped",
                        self.seconds)


def _driver(conn: Any) -> Any:
    return conn.connection.dbapi_connection
