"""A history database the app cannot use is one sentence naming 'history.url', like every other settings
mistake, never Streamlit's "This app has encountered an error"; a database written by a newer version
says to upgrade the app, never that the history will be written later."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from lib.db.store import HistoryStore
from lib.settings.config import load
from lib.settings.errors import ConfigError
from simulator import Simulator
from tests.apptest import app, make_app, texts
from tests.factories import EN


def _said(url: str) -> str:
    with pytest.raises(ConfigError) as caught:
        load({"portals": {"p": {"url": "https://portal.example.com"}}, "history": {"url": url}})
    return EN.say(caught.value.said)


def test_a_driver_that_is_not_installed() -> None:
    said = _said("mysql://user:s3cret@db.example.com/history")
    assert said.startswith("'history.url' needs a database driver that is not installed (MySQLdb)")
    assert "s3cret" not in said


def test_a_kind_of_database_no_one_can_keep_history_in() -> None:
    assert _said("redis://cache.example.com:6379/0").startswith(
        "'history.url' names a kind of database this app cannot keep its history in (redis)")


def test_a_sqlite_path_under_a_file(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("x")
    assert _said(f"sqlite:///{tmp_path}/notes.txt/history.sqlite3") == (
        "'history.url' puts the SQLite file inside notes.txt, which is a file, not a folder; choose another path.")


@pytest.mark.parametrize("url", ["mysql://u:p@db.example.com/h", "redis://cache.example.com", "sqlite:///{tmp}/f/h.db"])
def test_the_page_says_it_in_one_sentence(url: str, tmp_path: Path) -> None:
    (tmp_path / "f").write_text("a file")
    at = app(portals={"prod": {"url": "https://portal.example.com"}}, history={"url": url.format(tmp=tmp_path)})
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    page = texts(at)
    assert "The app's settings need fixing." in page and "'history.url'" in page


def test_a_newer_database_says_to_upgrade_the_app(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/h.sqlite3"
    store = HistoryStore(url)
    assert store.open()
    store.close()
    with sqlite3.connect(tmp_path / "h.sqlite3") as conn:
        conn.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    with Simulator("restore") as sim:
        at = make_app(sim, history={"url": url})
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        for page in ("app_pages/restore.py", "app_pages/history.py"):
            at.switch_page(page).run()
            words = texts(at)
            assert "written by a newer version of this app (schema 99)" in words and "upgrade this app" in words
            assert "when the database is back" not in words
