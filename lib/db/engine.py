"""The database engine for a history URL: SQLite with WAL (one shared connection for an in-memory one), or
PostgreSQL with short timeouts, TCP keepalives and a deadline on every round trip."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.pool import StaticPool

from lib.db.deadline import Deadline

#: PostgreSQL: seconds to connect, and for any statement (a database that hangs or drops packets is
#: given up on after this, and tried again later; the checks never wait for it)
CONNECT_TIMEOUT, STATEMENT_TIMEOUT = 3, 5


def engine_for(url: str) -> tuple[Engine, bool]:
    """The engine, and whether it is one in-memory SQLite database (one connection, shared)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        # short timeouts, TCP keepalives with a user timeout (a host that drops packets is given up on in
        # seconds, not after the quarter of an hour TCP would wait), and a deadline on every round trip
        # (a host that takes the bytes and never answers)
        engine = create_engine(url, pool_size=2, max_overflow=4, pool_timeout=CONNECT_TIMEOUT,
                               connect_args={"connect_timeout": CONNECT_TIMEOUT,
                                             "options": f"-c statement_timeout={STATEMENT_TIMEOUT * 1000}",
                                             "tcp_user_timeout": STATEMENT_TIMEOUT * 1000, "keepalives": 1,
                                             "keepalives_idle": 5, "keepalives_interval": 2,
                                             "keepalives_count": 2})
        Deadline(STATEMENT_TIMEOUT + 2).attach(engine)
        return engine, False
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True, pool_size=2, max_overflow=4), False
    if parsed.database in (None, "", ":memory:"):
        return create_engine("sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False}), True
    with contextlib.suppress(OSError):  # a folder that cannot be made: the store says the file cannot be opened
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": STATEMENT_TIMEOUT})

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn: Any, _record: Any) -> None:
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")  # pages read while the watcher writes
        cursor.close()

    return engine, False
