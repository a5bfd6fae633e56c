"""Secrets stay secret and portal text stays text (AppTest level; the browser test checks the DOM)."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from simulator import Simulator
from tests.apptest import app, make_app, texts
from tests.factories import HOSTILE, KEY, ManualClock


def everything(at: AppTest) -> str:
    """Every element's protobuf, so nothing the page sends can hide the key."""
    return "\n".join(str(node.proto) for node in at.main) + "\n".join(str(node.proto) for node in at.sidebar)


def test_passcode_gate_hides_everything_until_the_right_passcode(portal: Simulator, tick) -> None:
    at = tick(make_app(portal, access={"passcode": "open sesame"}))
    assert "Restoring" not in texts(at) and not at.get("plotly_chart") and not at.sidebar.selectbox
    assert portal.requests() == 0  # no portal data was even fetched
    at.text_input[0].input("wrong")
    at.button[0].click()
    tick(at)
    assert "That passcode is not right" in at.error[0].value
    assert "Restoring" not in texts(at) and "wrong" not in everything(at)
    at.text_input[0].input("open sesame")
    at.button[0].click()
    tick(at)
    assert "restore" in texts(at).lower() and at.sidebar.selectbox


def test_the_key_is_never_drawn_on_any_page(manual_clock: ManualClock, tick) -> None:
    with Simulator("backup", api_key=KEY, clock=manual_clock) as sim:
        at = make_app(sim)
        for page in ("app_pages/restore.py", "app_pages/backup.py", "app_pages/backups.py", "app_pages/portals.py"):
            tick(at.switch_page(page))  # no exception
            assert KEY not in everything(at)
            assert KEY[3:] not in everything(at)


def test_hostile_portal_text_is_escaped_not_rendered(manual_clock: ManualClock, tick) -> None:
    with Simulator("fail", api_key=KEY, clock=manual_clock, error_text=HOSTILE) as sim:
        at = make_app(sim)
        tick(at)
        tick(at, 400)
    said = next(e.value for e in at.error if "The portal says" in e.value).replace("\u2060", "")
    assert "\\<script\\>" in said and "<script>" not in said
    assert "\\[click\\]\\(javascript\\:" in said
    assert "\\*\\*bold\\*\\*" in said and "\\:red\\[red\\]" in said
    assert "https\\:\\/\\/evil" in said  # no autolink
    assert "\u202e" not in said and "\x07" not in said and "\u200b" not in said


def test_insecure_http_is_allowed_only_when_asked_and_then_said(tick) -> None:
    # 0.0.0.0 is this machine but not a loopback name: it stands in for a LAN address, and nothing leaves
    at = tick(app(portals={"lan": {"url": "http://0.0.0.0:9"}}))
    assert "not encrypted" in at.error[0].value and "allow\\_insecure\\_http" in at.error[0].value
    at.secrets["portals"] = {"lan": {"url": "http://0.0.0.0:9", "allow_insecure_http": True}}
    tick(at)
    assert any("not encrypted" in w.value for w in at.warning)
    assert "The portal refused the connection." in texts(at)
