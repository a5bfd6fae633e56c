"""Portal text made harmless (text), download links checked (links), and CSV exports (export)."""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lib.links import safe_download
from lib.portal.errors import PortalUnreachable
from lib.portal.models import BackupFile, StorageType
from lib.text import MAX_LEN, clean, md_escape
from lib.views.export import backups_csv, timeline_csv
from tests.factories import EN, HOSTILE_TEXTS, completed, en, progress, timeline

JOINER = "\u2060"
SPECIAL = set("\\`*_{}[]()<>#+-.!|~:$&\"'=^@/")

def unescape(text: str) -> str:
    """Undo md_escape's additions: the joiners, the hard line breaks, the backslashes."""
    return re.sub(r"\\(.)", r"\1", text.replace(JOINER, "").replace("  \n", "\n"), flags=re.S)


def bare(text: str) -> str:
    """What is left after removing every backslash-escaped pair: no markup sign may survive here."""
    return re.sub(r"\\.", "", text, flags=re.S)


# ---------------------------------------------------------------- text.clean


def test_clean_drops_control_and_format_characters() -> None:
    assert clean("a\x00b\x1b[31mc\x7fd\x85e") == "a b [31mc d e"
    assert clean("invoice\u202Etxt.exe") == "invoice txt.exe"  # right-to-left override
    assert clean("ze\u200bro\u200cwi\u200ddth\ufeff\u2060") == "ze ro wi dth"
    assert clean("bidi \u2066isolate\u2069 \u200emark") == "bidi isolate mark"
    assert clean("a\u202eb\u200bc\x07d\x1b[31m") == "a b c d [31m"  # direction, zero width, bell, escape
    assert clean("  spaced \t\t out  ") == "spaced out"
    assert clean("line 1\nline 2") == "line 1\nline 2"  # line breaks stay


def test_clean_caps_long_text_with_an_ellipsis() -> None:
    out = clean("x" * 10_000)
    assert MAX_LEN == 400
    assert len(out) == MAX_LEN and out.endswith("…") and out[:-1] == "x" * (MAX_LEN - 1)
    assert len(clean("word " * 2000, 50)) <= 50 and clean("word " * 2000, 50).endswith("…")
    assert clean("short", 50) == "short"


@pytest.mark.slow
@settings(max_examples=200, deadline=None)
@given(st.text(max_size=600), st.integers(2, 500))
def test_clean_never_leaves_invisible_tricks_and_respects_the_limit(text: str, limit: int) -> None:
    out = clean(text, limit)
    assert len(out) <= limit
    assert all(ch in "\n" or unicodedata.category(ch) not in ("Cc", "Cf", "Co", "Cs") for ch in out)
    assert "\t" not in out and out == out.strip()


# ---------------------------------------------------------------- text.md_escape


@pytest.mark.parametrize("text", HOSTILE_TEXTS)
def test_md_escape_leaves_no_live_markup(text: str) -> None:
    out = md_escape(text)
    assert not (set(bare(out)) & SPECIAL), bare(out)
    assert "://" not in out.replace(JOINER, "")  # the scheme separator is broken up
    assert "www." not in out and "](" not in out and "<" not in bare(out)
    assert unescape(out) == clean(text)  # shown literally: nothing lost, nothing added


def test_md_escape_breaks_autolinks_but_keeps_times_and_numbers_readable() -> None:
    out = md_escape("https://evil.example and 10:41, v3.5")
    assert out.startswith("https\\:" + JOINER + "\\/\\/evil\\.example")  # the scheme broken, the name kept
    assert "10\\:41" in out and "3\\.5" in out  # no joiner inside times and decimals
    assert JOINER in md_escape("https://evil.example") and JOINER not in md_escape("at 10:41, 3.5%")


def test_md_escape_cleans_and_caps_first() -> None:
    out = md_escape("\u202E" + "<" * 10_000)
    assert "\u202E" not in out and out.endswith("…")
    assert out.count("<") == MAX_LEN - 1 and out.count("\\<") == MAX_LEN - 1


def test_md_escape_keeps_line_breaks_as_hard_breaks() -> None:
    assert md_escape("a\nb") == "a  \nb"


@pytest.mark.slow
@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_md_escape_round_trips_any_text(text: str) -> None:
    out = md_escape(text)
    assert not (set(bare(out)) & SPECIAL)
    assert unescape(out) == clean(text)


# ---------------------------------------------------------------- links.safe_download

PORTAL = "https://docs.example.com"


@pytest.mark.parametrize(("link", "expected"), [
    ("/storage/backup/a.tar.gz", "https://docs.example.com/storage/backup/a.tar.gz"),
    ("  /storage/b.gz  ", "https://docs.example.com/storage/b.gz"),
    ("https://docs.example.com/x/y.gz?sig=1", "https://docs.example.com/x/y.gz?sig=1"),
    ("/backup/f.tar.gz", "https://docs.example.com/backup/f.tar.gz"),
])
def test_safe_download_allows_the_portals_own_links(link: str, expected: str) -> None:
    assert safe_download(link, PORTAL) == expected


def test_relative_links_land_on_the_portal_even_with_a_trailing_slash() -> None:
    assert safe_download("/a.gz", PORTAL + "/") == "https://docs.example.com/a.gz"


@pytest.mark.parametrize("link", [
    "",
    "   ",
    "https://evil.example/a.gz",
    "https://docs.example.com.evil.example/a.gz",
    "https://docs.example.com@evil.example/a.gz",
    "https://user:pw@docs.example.com/a.gz",
    "https://user@docs.example.com/a.gz",
    "http://docs.example.com/a.gz",  # a downgrade from https
    "//evil.example/a.gz",  # protocol-relative
    "javascript:alert(1)",
    "JavaScript:alert(document.cookie)",
    "data:text/html;base64,PHNjcmlwdD4=",
    "data:text/html,x",
    "vbscript:msgbox(1)",
    "file:///etc/passwd",
    "ftp://docs.example.com/a.gz",
    "storage/a.gz",  # relative without a slash: not a path we know
    "/\\evil.example/a.gz",
    "/a.gz\r\nSet-Cookie: x=1",
    "/a\nb",
    "java\tscript:alert(1)",
    "https://docs.example.com/a\x00.gz",
])
def test_safe_download_refuses_everything_else(link: str) -> None:
    assert safe_download(link, PORTAL) is None


def test_plain_http_portal_may_link_over_http() -> None:
    assert safe_download("http://127.0.0.1:8080/a.gz", "http://127.0.0.1:8080") == "http://127.0.0.1:8080/a.gz"
    assert safe_download("https://127.0.0.1/a.gz", "http://127.0.0.1:8080") == "https://127.0.0.1/a.gz"


@pytest.mark.slow
@settings(max_examples=200, deadline=None)
@given(st.text(max_size=80))
def test_whatever_is_allowed_stays_on_the_portal(link: str) -> None:
    out = safe_download(link, PORTAL)
    if out is not None:
        assert out.lower().startswith("https://docs.example.com")
        assert out.lower().split("/")[2] == "docs.example.com"


# ---------------------------------------------------------------- export

def rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_timeline_csv_header_names_the_zone_and_rows_follow_the_points() -> None:
    t = timeline((0, PortalUnreachable("timeout")), (5, progress(10, tenant=7)), (65, progress(42, tenant=7)),
                 (70, PortalUnreachable("dns")))
    out = rows(timeline_csv(t, en(ZoneInfo("Europe/Berlin"))))
    assert out[0] == ["time (Europe/Berlin)", "percent", "phase", "tenant", "task", "error", "check failed"]
    assert len(out) == 1 + len(t.points)
    assert out[1][:4] == ["2027-01-15 09:00:00", "", "idle", ""] and "did not answer" in out[1][6]
    assert out[2] == ["2027-01-15 09:00:05", "10", "restoring data", "7", "task-1", "", ""]
    assert out[4][1] == "42" and "DNS" in out[4][6]
    assert rows(timeline_csv(t, EN))[0][0] == "time (UTC)"


@pytest.mark.parametrize("prefix", ["=", "+", "-", "@", "\t", "\r"])
def test_timeline_csv_defuses_formulas_in_portal_errors(prefix: str) -> None:
    evil = prefix + 'HYPERLINK("https://evil.example","x")'
    t = timeline((0, completed(40, error=evil)))
    (_, row) = rows(timeline_csv(t, EN))
    assert row[5] == "'" + evil


def test_timeline_csv_defuses_formulas_in_the_task_id() -> None:
    t = timeline((0, progress(40, task="=cmd|'/c calc'!A1")))
    (_, row) = rows(timeline_csv(t, EN))
    assert row[4] == "'=cmd|'/c calc'!A1"


def record(file_name: str = "backup.tar.gz", *, expires: datetime | None = None, rid: str = "r1") -> BackupFile:
    return BackupFile(rid, file_name, StorageType.DATASTORE, datetime(2027, 1, 15, 2, 0, tzinfo=UTC), expires)


def test_backups_csv_header_zone_and_never_expiring() -> None:
    text = backups_csv([record(), record(expires=datetime(2027, 1, 16, 2, 0, tzinfo=UTC), rid="r2")],
                       en(ZoneInfo("Asia/Tokyo")))
    out = rows(text)
    assert out[0] == ["Created (Asia/Tokyo)", "Stored in", "File", "Expires (Asia/Tokyo)", "Id"]
    assert out[1] == ["2027-01-15 11:00", "temporary storage (24 h)", "backup.tar.gz", "never", "r1"]
    assert out[2][3] == "2027-01-16 11:00"
    assert rows(backups_csv([], EN)) == [["Created (UTC)", "Stored in", "File", "Expires (UTC)", "Id"]]


@pytest.mark.parametrize("name", ["=1+1", "+SUM(A1)", "-2+3", "@SUM(A1)", "=cmd|x"])
def test_backups_csv_defuses_formulas_in_file_names(name: str) -> None:
    (_, row) = rows(backups_csv([record(name)], EN))
    assert row[2] == "'" + name


@pytest.mark.parametrize("name", ["\tx", "\rx", "\t=1+1"])
def test_backups_csv_drops_leading_control_characters(name: str) -> None:
    (_, row) = rows(backups_csv([record(name)], EN))
    assert row[2][:1] not in ("\t", "\r", "=") and row[2].lstrip("'") == name.strip()


def test_backups_csv_leaves_ordinary_names_alone() -> None:
    (_, row) = rows(backups_csv([record("backup-2027.tar.gz")], EN))
    assert row[2] == "backup-2027.tar.gz"


def test_backups_csv_defuses_formulas_in_the_id() -> None:
    (_, row) = rows(backups_csv([record(rid="=HYPERLINK(\"https://evil.example\")")], EN))
    assert row[4].startswith("'=")
