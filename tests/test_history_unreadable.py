"""While the history cannot be read, /history says so (and shows what this app read last) instead of
"No operation recorded yet…", and so do the other pages that read it; and writes that keep failing never
stop reads from being tried."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from lib.db.store import HistoryStore
from lib.jobs.recorded import RecordedOperation
from simulator import ManualClock, Simulator
from tests.apptest import make_app, texts
from tests.factories import KEY, T0
from tests.pg import Cluster
from tests.servers import wait_until

CANNOT = "The history cannot be read right now: 127.0.0.1 is not reachable."


def _op(op_id: str) -> RecordedOperation:
    return RecordedOperation(id=op_id, portal="prod", kind="restore", scope="any", task_id=op_id, first_seen=T0,
                             first_percent=0,
                             started=T0, last_seen=T0 + 60, last_percent=100, outcome="completed", ended=T0 + 60,
                             portal_text="")


def test_a_write_that_keeps_failing_does_not_stop_reads(tmp_path: Path) -> None:
    store = HistoryStore(f"sqlite:///{tmp_path}/h.sqlite3", clock=lambda: T0)
    store.begin_operation(_op("one"))
    assert store.flush()
    store._submit(lambda conn: conn.execute(text("SELECT * FROM no_such_table")))  # fails every time it is tried
    assert not store.flush()
    assert [op.id for op in store.operations()] == ["one"]  # read all the same
    assert store.unreadable is None
    store.close()


@pytest.mark.slow
def test_history_page_while_postgres_is_down(pg_cluster: Cluster, pg_url: str, manual_clock: ManualClock,
                                             tick) -> None:
    with Simulator("restore", api_key=KEY, clock=manual_clock) as sim:
        at = make_app(sim, history={"url": pg_url})
        tick(at, 40)
        tick(at.switch_page("app_pages/history.py"))
        assert "No operation recorded yet" not in texts(at) and at.dataframe
        pg_cluster.stop()
        try:
            tick(at, 70)  # the history page's own timer
            page = texts(at)
            assert CANNOT in page
            assert "No operation recorded yet" not in page
            assert at.dataframe and len(at.dataframe[0].value) == 1  # what this app read last
        finally:
            pg_cluster.start()
        # read again on its own schedule (a few seconds after the failure), not only when something is written
        wait_until(lambda: CANNOT not in texts(tick(at)), "the history is read again", timeout=30)


@pytest.mark.slow
def test_all_portals_page_while_postgres_is_down(pg_cluster: Cluster, pg_url: str, manual_clock: ManualClock,
                                                 tick) -> None:
    """Its "last backup" comes from the history: the page says that it shows what was read last."""
    with Simulator("restore", api_key=KEY, clock=manual_clock) as sim:
        at = make_app(sim, history={"url": pg_url})
        tick(at, 40)
        tick(at.switch_page("app_pages/portals.py"))
        assert CANNOT not in texts(at)
        pg_cluster.stop()
        try:
            wait_until(lambda: CANNOT in texts(tick(at, 15)), "the page says the history cannot be read", timeout=30)
        finally:
            pg_cluster.start()
        wait_until(lambda: CANNOT not in texts(tick(at, 15)), "the history is read again", timeout=30)


def test_a_history_that_cannot_be_read_says_why_in_the_words_saving_uses() -> None:
    from lib.db.rows import why_not_read, why_not_saved
    from lib.i18n import ENGLISH

    url = "postgresql://monitor:s3cret@db.example.com/history"
    for exc, why in ((Exception('FATAL: password authentication failed for user "monitor"'),
                      "db.example.com refused the user name or password"),
                     (OSError("could not write: No space left on device"), "the disk is full")):
        read, saved = ENGLISH.say(why_not_read(exc, url)), ENGLISH.say(why_not_saved(exc, url))
        assert read.startswith(f"The history cannot be read right now: {why}.") and why in saved
        assert "s3cret" not in read and "Exception" not in read and "OSError" not in read


def test_what_was_read_last_is_kept_per_query_and_per_value() -> None:
    """Two portals' reads are two answers: a page never shows one portal's rows for another's."""
    from sqlalchemy import select

    from lib.db.lastread import LastRead
    from lib.db.schema import operations

    def query(portal: str, limit: int = 50):
        return select(operations).where(operations.c.portal == portal).limit(limit)

    assert LastRead.key(query("a")) == LastRead.key(query("a"))
    assert len({LastRead.key(query("a")), LastRead.key(query("b")), LastRead.key(query("a", 10))}) == 3
