"""lib.settings.access: the [auth] table in Streamlit's format, [access] allow, and who is let in."""

from __future__ import annotations

import copy
import re
import tomllib
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from lib.settings import access
from lib.settings.access import AllowList, Provider, SignIn, is_allowed, parse_allow
from lib.settings.config import load
from lib.settings.errors import ConfigError
from tests.conftest import ROOT

COOKIE = "c0ffee" * 8
CLIENT_SECRET = "GOCSPX-very-secret-value-1234"
GOOGLE = "https://accounts.google.com/.well-known/openid-configuration"


def unnamed() -> dict[str, Any]:
    return {"redirect_uri": "https://monitor.streamlit.app/oauth2callback", "cookie_secret": COOKIE,
            "client_id": "123.apps.googleusercontent.com", "client_secret": CLIENT_SECRET,
            "server_metadata_url": GOOGLE}


def named() -> dict[str, Any]:
    return {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": COOKIE,
            "google": {"client_id": "g", "client_secret": CLIENT_SECRET, "server_metadata_url": GOOGLE},
            "microsoft": {"client_id": "m", "client_secret": CLIENT_SECRET,
                          "server_metadata_url": "https://login.microsoftonline.com/0000/v2.0/"
                                                 ".well-known/openid-configuration",
                          "client_kwargs": {"prompt": "login"}}}


def auth_error(auth: Any) -> str:
    with pytest.raises(ConfigError) as caught:
        access.load(auth, ["alice@example.com"])
    message = caught.value.message
    assert COOKIE not in message and CLIENT_SECRET not in message
    assert "\n" not in message and message.endswith((".", ").", "\".")), message
    return message


def allow_error(allow: Any) -> str:
    with pytest.raises(ConfigError) as caught:
        parse_allow(allow)
    return caught.value.message


ALLOW = AllowList(frozenset({"alice@example.com"}), frozenset({"team.example.org"}))


# ---------------------------------------------------------------- [auth]


def test_unnamed_provider_gives_one_plain_button() -> None:
    sign_in = access.load(unnamed(), ["alice@example.com"])
    assert sign_in == SignIn((Provider(None),), AllowList(frozenset({"alice@example.com"})))
    assert sign_in.providers[0].brand == ""


def test_named_providers_in_file_order_with_readable_labels() -> None:
    providers = access.load(named(), ["@example.com"]).providers
    assert [p.name for p in providers] == ["google", "microsoft"]
    assert [p.brand for p in providers] == ["Google", "Microsoft"]
    assert Provider("my-keycloak").brand == "My Keycloak"


def test_unnamed_and_named_together() -> None:
    auth = unnamed() | {"okta": named()["google"]}
    assert [p.name for p in access.load_auth(auth)] == [None, "okta"]


def test_port_placeholder_and_optional_streamlit_keys_are_accepted() -> None:
    auth = unnamed() | {"redirect_uri": "http://127.0.0.1:{port}/oauth2callback", "expose_tokens": ["id"],
                        "client_kwargs": {"prompt": "select_account"}}
    assert access.load_auth(auth) == (Provider(None),)


def test_nothing_set_means_sign_in_off() -> None:
    assert access.load(None, None) is None


@pytest.mark.parametrize(("change", "expected"), [
    ({"redirect_uri": None}, "'auth.redirect_uri' is missing"),
    ({"redirect_uri": "https://monitor.streamlit.app/"}, "must end with /oauth2callback"),
    ({"redirect_uri": "https://monitor.streamlit.app/oauth2callback/"}, "must end with /oauth2callback"),
    ({"redirect_uri": "https://monitor.streamlit.app/callback"}, "must end with /oauth2callback"),
    ({"redirect_uri": "https://monitor.streamlit.app/oauth2callback?x=1"}, "must end with /oauth2callback"),
    ({"redirect_uri": "monitor.streamlit.app/oauth2callback"}, "must be a full address"),
    ({"redirect_uri": "https://monitor.streamlit.app:99999/oauth2callback"}, "must be a full address"),
    ({"redirect_uri": "http://monitor.example.com/oauth2callback"}, "must use https://"),
    ({"redirect_uri": 8501}, "must be an address in quotes"),
    ({"cookie_secret": None}, "'auth.cookie_secret' is missing"),
    ({"cookie_secret": "short"}, "at least 32 characters"),
    ({"cookie_secret": 12345}, "at least 32 characters"),
    ({"client_secret": None}, "'auth.client_secret' is missing"),
    ({"client_id": ""}, "'auth.client_id' must be a non-empty text"),
    ({"server_metadata_url": "accounts.google.com"}, "'auth.server_metadata_url' must be a full address"),
    ({"server_metadata_url": "http://idp.example.com/.well-known/openid-configuration"}, "must use https://"),
    ({"redirect_url": "https://x/oauth2callback"}, "Unknown setting 'auth.redirect_url'"),
    ({"expose_tokens": "refresh"}, "'auth.expose_tokens'"),
    ({"client_kwargs": "prompt=login"}, "'auth.client_kwargs' must be a table"),
])
def test_each_auth_mistake_is_one_sentence_naming_the_key(change: dict[str, Any], expected: str) -> None:
    auth = {k: v for k, v in (unnamed() | change).items() if v is not None}
    assert expected in auth_error(auth)


@pytest.mark.parametrize(("change", "expected"), [
    ({"google": {"client_id": "g", "client_secret": "s"}}, "'auth.google.server_metadata_url' is missing"),
    ({"google": {"client_id": "g", "client_secret": "s", "server_metadata_url": GOOGLE, "scope": "x"}},
     "Unknown setting 'auth.google.scope'"),
    ({"my_idp": named()["google"]}, "may use only letters, digits and '-'"),
    ({"google": "client_id=g"}, "Unknown setting 'auth.google'"),
])
def test_named_provider_mistakes(change: dict[str, Any], expected: str) -> None:
    assert expected in auth_error(named() | change)


def test_auth_without_any_provider() -> None:
    assert "names no sign-in provider" in auth_error({"redirect_uri": "https://a.streamlit.app/oauth2callback",
                                                      "cookie_secret": COOKIE})


def test_default_provider_twice_is_refused() -> None:
    assert "clashes" in auth_error(unnamed() | {"default": named()["google"]})


def test_auth_must_be_a_table() -> None:
    assert "must be a table like [auth]" in auth_error("yes")


# ---------------------------------------------------------------- [access] allow


def test_allow_parses_addresses_and_domains_case_insensitively() -> None:
    allow = parse_allow([" Alice@Example.COM ", "@Team.Example.org", "bob@other.example"])
    assert allow.addresses == {"alice@example.com", "bob@other.example"}
    assert allow.domains == {"team.example.org"}
    assert len(allow) == 3


@pytest.mark.parametrize(("allow", "expected"), [
    ([], "'access.allow' is empty"),
    ("alice@example.com", "must be a list in square brackets"),
    ({"alice": "alice@example.com"}, "must be a list in square brackets"),
    ([42], "Entry 1 of 'access.allow' must be an address in quotes"),
    (["alice@example.com", "bob"], "\"bob\" is not an e-mail address"),
    (["alice@@example.com"], "is not an e-mail address"),
    (["alice@example"], "is not an e-mail address"),
    (["alice smith@example.com"], "is not an e-mail address"),
    (["alice@exa mple.com"], "is not an e-mail address"),
    (["@"], "is not a domain like \"@example.com\""),
    (["@example"], "is not a domain like"),
    (["*@example.com"], "write a whole domain as \"@example.com\""),
    (["example.com"], "looks like a domain: write it as \"@example.com\""),
])
def test_each_allow_mistake_names_the_entry(allow: Any, expected: str) -> None:
    assert expected in allow_error(allow)


def test_auth_without_allow_is_a_settings_error_not_open_to_everyone() -> None:
    with pytest.raises(ConfigError, match=r"'access\.allow' is missing"):
        access.load(unnamed(), None)
    with pytest.raises(ConfigError, match=r"'access\.allow' is empty"):
        access.load(unnamed(), [])


def test_allow_without_auth_is_a_settings_error() -> None:
    with pytest.raises(ConfigError, match="sign-in is not set up"):
        access.load(None, ["alice@example.com"])


# ---------------------------------------------------------------- is_allowed


@pytest.mark.parametrize(("email", "verified", "expected"), [
    ("alice@example.com", True, True),
    ("ALICE@Example.Com", True, True),
    ("alice@example.com", None, True),  # the provider does not say: the address counts
    ("alice@example.com", False, False),  # the provider says it is not verified
    ("alice@example.com", "true", True),  # some providers send the claim as text
    ("alice@example.com", "false", False),
    ("alice@example.com", 0, False),
    ("carol@example.com", True, False),
    ("dave@team.example.org", True, True),
    ("DAVE@TEAM.EXAMPLE.ORG", None, True),
    ("dave@sub.team.example.org", True, False),  # a domain entry is that domain exactly
    ("dave@evilteam.example.org", True, False),
    ("alice@example.com.evil.test", True, False),
    ("alice@example.com@evil.test", True, False),
    ("evil.test@alice@example.com", True, False),
    ("", True, False),
    (None, True, False),
    (["alice@example.com"], True, False),
])
def test_is_allowed(email: Any, verified: Any, expected: bool) -> None:
    assert is_allowed(email, verified, ALLOW) is expected


@pytest.mark.slow
@given(st.emails())
def test_an_address_on_the_list_is_allowed_in_any_case(email: str) -> None:
    assume(not email.startswith("*@"))  # "*@x.com" is refused on purpose: a domain is written "@x.com"
    allow = parse_allow([email]) if email.rpartition("@")[2].count(".") else None
    if allow is None or not allow.addresses:
        return
    assert is_allowed(email.upper(), True, allow) and is_allowed(email, None, allow)
    assert not is_allowed(email, False, allow)


# ---------------------------------------------------------------- through config.load


def secrets() -> dict[str, Any]:
    return {"portals": {"prod": {"url": "https://docs.example.com"}}, "auth": unnamed(),
            "access": {"allow": ["alice@example.com", "@example.org"], "passcode": "open sesame"}}


def test_config_carries_providers_and_list_and_keeps_the_passcode() -> None:
    config = load(secrets())
    assert config.sign_in.providers == (Provider(None),)
    assert config.sign_in.allow.domains == {"example.org"} and config.passcode == "open sesame"
    assert COOKIE not in repr(config) and CLIENT_SECRET not in repr(config)


def test_config_without_auth_has_sign_in_off() -> None:
    assert load({"portals": secrets()["portals"]}).sign_in is None


@pytest.mark.parametrize(("path", "value", "expected"), [
    (("auth", "cookie_secret"), None, "'auth.cookie_secret' is missing"),
    (("auth", "redirect_uri"), "https://x.streamlit.app/", "must end with /oauth2callback"),
    (("access", "allow"), None, "'access.allow' is missing"),
    (("access", "allow"), ["al ice@example.com"], "\"al ice@example.com\" is not an e-mail address"),
    (("access", "allow"), [], "'access.allow' is empty"),
])
def test_config_names_sign_in_mistakes(path: tuple[str, str], value: Any, expected: str) -> None:
    bad = copy.deepcopy(secrets())
    if value is None:
        del bad[path[0]][path[1]]
    else:
        bad[path[0]][path[1]] = value
    with pytest.raises(ConfigError, match=re.escape(expected)):
        load(bad)


def test_config_refuses_allow_without_auth_and_unknown_access_keys() -> None:
    with pytest.raises(ConfigError, match="sign-in is not set up"):
        load({"access": {"allow": ["alice@example.com"]}})
    with pytest.raises(ConfigError, match=r"Unknown setting 'access\.allowed'"):
        load({"access": {"allowed": ["alice@example.com"]}})


# ---------------------------------------------------------------- the examples in docs/sign-in.md


def test_the_sign_in_page_examples_are_valid_settings() -> None:
    page = (ROOT / "docs" / "sign-in.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```toml\n(.*?)```", page, re.S)
    assert len(blocks) == 4  # the pieces, Google, Microsoft Entra ID, a generic provider (Keycloak)
    for block in blocks:
        filled = re.sub(r"<[^>]+>", "x", block.replace("…", COOKIE))
        table = tomllib.loads(filled)
        assert access.load(table["auth"], (table.get("access") or {}).get("allow", ["a@example.com"]))
