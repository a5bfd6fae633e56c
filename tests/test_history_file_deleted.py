"""The history file deleted while the app runs (a cleanup script, a redeploy that wipes the folder): the
store notices that its path no longer names the file it has open, says so in one sentence (for a day), and starts a
new file with what the watcher knows, instead of writing on into the deleted file. A real watcher, HTTP
to the simulator, a real SQLite file."""

from __future__ import annotations

from pathlib import Path

from lib import clock as app_clock
from lib.db.store import HistoryStore
from lib.portal.models import Operation
from lib.settings.config import AppConfig, PortalConfig
from lib.watching.watcher import Watcher
from simulator import ManualClock, Simulator
from tests.factories import EN, KEY
from tests.servers import wait_until


def watching(sim: Simulator, url: str, clock: ManualClock) -> tuple[Watcher, HistoryStore]:
    """A watcher of "prod" with no thread of its own: the test steps it with ``sync()``."""
    config = AppConfig((PortalConfig("prod", sim.url, "Production", KEY),), refresh_seconds=5, history_url=url)
    store = HistoryStore(url, clock=clock)
    return Watcher(config, store, clock=clock), store


def test_a_deleted_history_file_is_made_again_with_what_is_known(tmp_path: Path) -> None:
    clock = ManualClock()
    path = tmp_path / "history.sqlite3"
    url = f"sqlite:///{path}"
    with Simulator("restore", api_key=KEY, clock=clock) as sim:
        watcher, store = watching(sim, url, clock)
        try:
            for _ in range(8):
                clock.advance(30)
                watcher.sync()
            assert store.flush() and store.replaced is None
            for name in ("history.sqlite3", "history.sqlite3-wal", "history.sqlite3-shm"):
                (tmp_path / name).unlink(missing_ok=True)  # the folder is wiped
            wait_until(lambda: (clock.advance(30), watcher.sync(), store.flush(), store.replaced)[-1],
                       "the store notices", timeout=10)
            found_at = clock()
            at = EN.clock(found_at, app_clock.now())  # the pages say times against the app's clock
            assert EN.say(store.replaced) == (f"At {at} the history file was found deleted; a "
                                              "new one was started with what this app knew then (what was recorded "
                                              "before that is gone).")
            assert path.exists()
            known = watcher.progress("prod", Operation.RESTORE)
            clock.advance(86_400 - 31)
            assert store.replaced is not None  # the pages say it for a day…
            clock.advance(31)
            assert store.replaced is None  # …and then no more
        finally:
            watcher.stop()
            store.close()
    again = HistoryStore(url)
    (op,) = again.operations()
    assert op.id == known.run_id and op.outcome == "running" and op.first_seen == known.first_seen
    assert [p.at for p in again.points_of(op.id)] == [p.at for p in known.points]
    again.close()


def test_a_wiped_history_folder_is_made_again(tmp_path: Path) -> None:
    """A redeploy that removes the whole folder, not only the file: the folder and the file come back."""
    import shutil

    clock = ManualClock()
    folder = tmp_path / "data"
    url = f"sqlite:///{folder}/history.sqlite3"
    with Simulator("restore", api_key=KEY, clock=clock) as sim:
        watcher, store = watching(sim, url, clock)
        try:
            for _ in range(4):
                clock.advance(30)
                watcher.sync()
            assert store.flush()
            shutil.rmtree(folder)
            wait_until(lambda: (clock.advance(30), watcher.sync(), store.flush())[-1] and store.replaced is not None,
                       "a new file is written", timeout=10)
            assert (folder / "history.sqlite3").exists() and store.problem is None
        finally:
            watcher.stop()
            store.close()
    again = HistoryStore(url)
    assert [op.outcome for op in again.operations()] == ["running"]
    again.close()


def test_a_new_history_file_gets_what_the_backup_list_and_the_trail_said(tmp_path: Path) -> None:
    """Not only the operations: since when the backup list is known, and the audit trail, are written into
    the new file at the next answer of the list (else the strip says "not known" for days it knew)."""
    from simulator import Options

    clock = ManualClock()
    path = tmp_path / "history.sqlite3"
    url = f"sqlite:///{path}"
    with Simulator("idle", api_key=KEY, clock=clock, options=Options(days=10)) as sim:
        watcher, store = watching(sim, url, clock)
        try:
            watcher.sync()
            assert store.flush() and store.backups_known_since("prod") is not None
            events = len(store.audit_events("prod", 0))
            for name in ("history.sqlite3", "history.sqlite3-wal", "history.sqlite3-shm"):
                (tmp_path / name).unlink(missing_ok=True)
            wait_until(lambda: (clock.advance(30), watcher.sync(), store.flush(), store.replaced)[-1],
                       "the store notices", timeout=10)
            clock.advance(600)  # the list's next answer
            watcher.sync()
            assert store.flush()
        finally:
            watcher.stop()
            store.close()
    again = HistoryStore(url)
    assert again.backups_known_since("prod") is not None
    assert events > 0 and len(again.audit_events("prod", 0)) >= events
    again.close()
