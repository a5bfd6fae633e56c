"""The sign-in gate in AppTest: with [auth] set, nothing about any portal is drawn or fetched until a
visitor on the list has signed in. Here ``st.user`` is seeded through ``AppTest.user``; the real
provider, cookie and redirects are exercised by tests/e2e/test_signin.py.
"""

from __future__ import annotations

from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from simulator import Simulator
from tests.apptest import make_app, texts
from tests.factories import KEY, ManualClock

COOKIE = "0123456789abcdef" * 4
CLIENT_SECRET = "client-secret-never-shown-1234"
AUTH = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": COOKIE,
        "client_id": "monitor", "client_secret": CLIENT_SECRET,
        "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration"}
ALLOW = ["alice@example.com", "@example.org"]
PAGES = ("app_pages/restore.py", "app_pages/backup.py", "app_pages/backups.py", "app_pages/portals.py")
SIGN_IN = "Sign in to see how backups and restores are going."


def signed_in(email: str, **claims: Any) -> dict[str, Any]:
    return {"is_logged_in": True, "email": email, "email_verified": True, "name": "Someone"} | claims


def gated_app(sim: Simulator, *, user: dict[str, Any] | None = None, **extra: Any) -> AppTest:
    at = make_app(sim, auth=AUTH, access={"allow": ALLOW} | extra.pop("access", {}), **extra)
    if user is not None:
        at.user = user
    return at


def everything(at: AppTest) -> str:
    return "\n".join(str(node.proto) for node in at.main) + "\n".join(str(node.proto) for node in at.sidebar)


def only_sign_in(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert [t.value for t in at.title] == ["DocSpace Backup Monitor"]
    assert sorted(texts(at).splitlines()) == ["DocSpace Backup Monitor", SIGN_IN]
    assert [b.label for b in at.button] == ["Sign in"]
    assert len(at.sidebar) == 0 and not at.get("plotly_chart") and not at.metric


@pytest.mark.parametrize("kiosk", [False, True])
def test_before_sign_in_no_page_shows_or_fetches_anything(portal: Simulator, manual_clock: ManualClock,
                                                          tick, kiosk: bool) -> None:
    at = gated_app(portal)
    at.query_params["portal"] = "prod"
    if kiosk:
        at.query_params["view"] = "kiosk"
    for page in PAGES:
        at.switch_page(page)
        tick(at, 5)
        only_sign_in(at)
        for secret in (KEY, COOKIE, CLIENT_SECRET, "Production", "prod"):
            assert secret not in everything(at), (page, secret)
    assert portal.requests() == 0


def test_a_listed_viewer_sees_the_dashboard_and_who_they_are(portal: Simulator, tick) -> None:
    at = tick(gated_app(portal, user=signed_in("Alice@Example.com")))
    assert "A restore is queued" in texts(at)
    assert portal.requests() > 0
    captions = [c.value.replace("\u2060", "").replace("\\", "") for c in at.sidebar.caption]
    assert "Signed in as Alice@Example.com" in captions
    assert "Sign out" in [b.label for b in at.sidebar.button]
    assert COOKIE not in everything(at) and CLIENT_SECRET not in everything(at)


def test_a_listed_domain_lets_its_people_in(portal: Simulator, tick) -> None:
    at = tick(gated_app(portal, user=signed_in("dave@example.org", email_verified=None)))
    assert "A restore is queued" in texts(at)


@pytest.mark.parametrize("user", [
    signed_in("bob@other.example"),
    signed_in("carol@example.org", email_verified=False),  # in the listed domain, but not verified
    signed_in("alice@example.com.evil.test"),
    {"is_logged_in": True, "name": "No Address"},
])
def test_a_viewer_not_on_the_list_sees_one_sentence_and_sign_out(portal: Simulator, tick,
                                                                 user: dict[str, Any]) -> None:
    at = gated_app(portal, user=user)
    at.query_params["view"] = "kiosk"
    for page in PAGES:
        at.switch_page(page)
        tick(at, 5)
        assert [w.value.replace("\u2060", "").replace("\\", "") for w in at.warning] == [
            f"You are signed in as **{user.get('email', 'No Address')}**, which is not on this app's list of "
            "viewers. Ask the person who shared the link to add you."]
        assert [b.label for b in at.button] == ["Sign out"]
        assert texts(at).count("\n") == 1 and len(at.sidebar) == 0
    assert portal.requests() == 0


def test_with_a_passcode_too_both_are_asked_sign_in_first(portal: Simulator, tick) -> None:
    at = tick(gated_app(portal, access={"passcode": "open sesame"}))
    only_sign_in(at)  # no passcode box before sign-in
    at.user = signed_in("alice@example.com")
    tick(at)
    assert [t.label for t in at.text_input] == ["Passcode"] and portal.requests() == 0
    at.text_input[0].input("open sesame")
    at.button[0].click()
    tick(at)
    assert "A restore is queued" in texts(at) and portal.requests() > 0


def test_named_providers_give_one_button_each(portal: Simulator, tick) -> None:
    auth = {k: v for k, v in AUTH.items() if k in ("redirect_uri", "cookie_secret")}
    provider = {k: v for k, v in AUTH.items() if k not in auth}
    at = make_app(portal, auth=auth | {"google": provider, "microsoft": provider}, access={"allow": ALLOW})
    tick(at)
    assert [b.label for b in at.button] == ["Sign in with Google", "Sign in with Microsoft"]
    assert portal.requests() == 0


@pytest.mark.parametrize(("auth", "access", "expected"), [
    ({k: v for k, v in AUTH.items() if k != "cookie_secret"}, {"allow": ALLOW}, "'auth.cookie_secret' is missing"),
    (AUTH | {"redirect_uri": "http://localhost:8501/"}, {"allow": ALLOW}, "must end with /oauth2callback"),
    (AUTH, {}, "'access.allow' is missing"),
    (AUTH, {"allow": []}, "'access.allow' is empty"),
    (AUTH, {"allow": ["alice at example.com"]}, "is not an e-mail address"),
])
def test_a_sign_in_settings_mistake_is_one_sentence(portal: Simulator, tick, auth: dict, access: dict,
                                                    expected: str) -> None:
    at = make_app(portal, auth=auth, access=access)
    tick(at)
    (error,) = at.error
    assert "The app's settings need fixing." in error.value
    assert expected in error.value.replace("\\", "").replace("\u2060", "")
    assert COOKIE not in everything(at) and CLIENT_SECRET not in everything(at)
    assert portal.requests() == 0 and not at.button
