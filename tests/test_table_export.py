"""Streamlit's own table toolbar ("Download as CSV", on hover) exports the cells as they are shown: the
tables on /history and on the Backups page neutralise a leading = + - @ tab or carriage return, as the
app's own CSV buttons do, so portal text never reaches a spreadsheet as a formula."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from lib.db.store import HistoryStore
from lib.jobs.recorded import RecordedOperation
from lib.portal.models import BackupFile, StorageType
from lib.views.export import backup_table
from lib.views.history import operations_table, rows_of
from tests.apptest import app
from tests.factories import EN, T0

FORMULAS = ("=HYPERLINK(\"https://evil.example\",\"x\")", "=cmd|' /C calc'!A0", "@SUM(1+1)*cmd|' /C calc'!A0",
            "+1+1", "-2+3", "\tx", "\rx")
DANGER = ("=", "+", "-", "@", "\t", "\r")


def test_the_backups_table_is_safe_to_export() -> None:
    files = [BackupFile(f"id{i}", name, StorageType(0), datetime(2027, 1, 14, tzinfo=UTC), None)
             for i, name in enumerate(FORMULAS)]
    shown = backup_table(files, EN)["File"]
    assert not [cell for cell in shown if cell[:1] in DANGER], shown
    assert shown[0] == "'" + FORMULAS[0]


def _op(i: int, text: str) -> RecordedOperation:
    return RecordedOperation(id=f"op{i}", portal="prod", kind="backup", scope="any", task_id=f"t{i}",
                             first_seen=T0 + i, first_percent=0, started=T0 + i, ended=T0 + i + 60, outcome="failed",
                             last_percent=30, portal_text=text, last_seen=T0 + i + 60)


def test_the_history_table_is_safe_to_export() -> None:
    table = operations_table(rows_of([_op(i, t) for i, t in enumerate(FORMULAS)], []), {"prod": "=Production"}, EN)
    assert not [cell for cell in table["The portal said"] if cell[:1] in DANGER]
    assert all(cell.startswith("'=") for cell in table["Portal"])


def test_the_history_page_shows_the_safe_cells(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/h.sqlite3"
    store = HistoryStore(url)
    for i, text in enumerate(FORMULAS[:2]):
        store.begin_operation(_op(i, text))
    assert store.flush()
    store.close()
    at = app(portals={"prod": {"url": "https://portal.example.com", "label": "Production"}},
             history={"url": url, "watcher": "external"})
    at.switch_page("app_pages/history.py").run()
    assert not at.exception, [e.value for e in at.exception]
    said = list(at.dataframe[0].value["The portal said"])
    assert sorted(said) == sorted("'" + t for t in FORMULAS[:2])
