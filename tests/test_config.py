"""config.load: demo mode, every mistake names its key, and secrets never leak into messages or repr."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from lib.settings.config import REFRESH_DEFAULT, AppConfig, PortalConfig, load
from lib.settings.errors import ConfigError
from tests.factories import KEY

PASSCODE = "correct horse battery staple"
WEBHOOK = "https://hooks.example.com/services/T000/B000/XXXXSECRET"


def good() -> dict[str, Any]:
    return {
        "portals": {"prod": {"url": "https://docs.example.com", "api_key": KEY, "label": "Production"}},
        "monitor": {"refresh_seconds": 10, "stall_minutes": 15},
        "access": {"passcode": PASSCODE},
        "notify": {"webhook_url": WEBHOOK, "app_url": "https://backups.example.com"},
    }


def with_portal(**fields: Any) -> dict[str, Any]:
    secrets = good()
    secrets["portals"]["prod"] = {"url": "https://docs.example.com", "api_key": KEY} | fields
    return secrets


def error(secrets: dict[str, Any]) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        load(secrets)
    return caught.value


# ---------------------------------------------------------------- demo and the happy path


@pytest.mark.parametrize("secrets", [{}, {"portals": {}}, {"monitor": {"refresh_seconds": 5}}, {"portals": None}])
def test_demo_when_no_portal_is_configured(secrets: dict[str, Any]) -> None:
    config = load(secrets)
    assert config.demo and config.portals == () and config.refresh_seconds == REFRESH_DEFAULT


def test_a_full_config() -> None:
    config = load(good())
    assert not config.demo and config.refresh_seconds == 10.0 and config.stall_minutes == 15.0
    assert config.passcode == PASSCODE and config.webhook_url == WEBHOOK
    (portal,) = config.portals
    assert portal == PortalConfig("prod", "https://docs.example.com", "Production", KEY, False)
    assert portal.host == "docs.example.com"
    mixed = "sk-" + "A1b2C3d4E5f6G7h8" * 3  # keys are letters and digits in either case
    assert load(with_portal(api_key=mixed)).portals[0].api_key == mixed


def test_normalised_values() -> None:
    config = load(with_portal(url="  https://docs.example.com/  ", api_key=f"  {KEY} ", label="  " + "L" * 100))
    portal = config.portals[0]
    assert portal.url == "https://docs.example.com" and portal.api_key == KEY and portal.label == "L" * 80
    keyless = load({"portals": {"stage-2": {"url": "https://x.example"}}})
    bare = keyless.portals[0]
    assert bare.label == "stage-2" and bare.api_key is None and not keyless.demo


def test_several_portals_keep_their_order_and_each_its_own_rules() -> None:
    config = load({
        "portals": {"prod": {"url": "https://x.example/", "api_key": KEY, "label": " Prod "},
                    "lan": {"url": "http://10.0.0.5", "allow_insecure_http": True},
                    "local": {"url": "http://127.0.0.1:8765"}, "v6": {"url": "http://[::1]:80"}},
        "monitor": {"refresh_seconds": 1},
        "access": {"passcode": "let me in"},
    })
    prod, lan, local, v6 = config.portals
    assert prod.url == "https://x.example" and prod.label == "Prod" and prod.api_key == KEY
    assert lan.insecure and not local.insecure and not v6.insecure
    assert config.refresh_seconds == 2.0 and load({"monitor": {"refresh_seconds": 9999}}).refresh_seconds == 300.0
    assert KEY not in repr(config) and "let me in" not in repr(config)
    assert config.portal("nope") is prod and config.portal("lan") is lan


def test_portal_lookup_falls_back_to_the_first() -> None:
    config = load({"portals": {"a": {"url": "https://a.example"}, "b": {"url": "https://b.example"}}})
    assert config.portal("b").name == "b" and config.portal("zzz").name == "a" and config.portal(None).name == "a"


# ---------------------------------------------------------------- each mistake names its key


@pytest.mark.parametrize(("secrets", "names"), [
    ({"portal": {}}, "'portal'"),  # unknown top-level key
    ({"portals": {"p": {"url": "https://x.example", "apikey": KEY}}}, "'portals.p.apikey'"),
    ({"portals": {"p": {"url": "https://x.example", "key": KEY}}}, "'portals.p.key'"),
    ({"monitor": {"refresh": 5}}, "'monitor.refresh'"),
    ({"monitor": {"every": 5}}, "'monitor.every'"),
    ({"access": {"password": "x"}}, "'access.password'"),
    ({"notify": {"url": "https://x.example"}}, "'notify.url'"),
    ({"monitor": 5}, "'monitor'"),
    ({"portals": {"p": "https://x.example"}}, "'portals.p'"),
    ({"portals": {"p": {}}}, "'portals.p.url'"),  # missing url
    ({"portals": {"p": {"api_key": KEY}}}, "'portals.p.url'"),  # missing url, with a key
    ({"portals": {"p": {"url": "  "}}}, "'portals.p.url'"),
    ({"portals": {"p": {"url": 5}}}, "'portals.p.url'"),
    ({"portals": {"p": {"url": "docs.example.com"}}}, "'portals.p.url'"),  # no scheme
    ({"portals": {"p": {"url": "ftp://docs.example.com"}}}, "'portals.p.url'"),
    ({"portals": {"p": {"url": "ftp://x.example"}}}, "'portals.p.url'"),
    ({"portals": {"p": {"url": "https://docs.example.com/api/2.0"}}}, "'portals.p.url'"),  # path
    ({"portals": {"p": {"url": "https://x.example/path"}}}, "'portals.p.url'"),
    ({"portals": {"p": {"url": "https://docs.example.com?x=1"}}}, "'portals.p.url'"),  # query
    ({"portals": {"p": {"url": "https://x.example?a=1"}}}, "'portals.p.url'"),
    ({"portals": {"p": {"url": "https://docs.example.com#top"}}}, "'portals.p.url'"),  # fragment
    ({"portals": {"p": {"url": "https://admin:pw@docs.example.com"}}}, "'portals.p.url'"),  # userinfo
    ({"portals": {"p": {"url": "https://admin@docs.example.com"}}}, "'portals.p.url'"),
    ({"portals": {"p": {"url": "https://me:pw@x.example"}}}, "'portals.p.url'"),
    ({"portals": {"p": {"url": "http://docs.example.com"}}}, "'portals.p.url'"),  # plain http
    ({"portals": {"p": {"url": "http://x.example"}}}, "allow_insecure_http"),  # ... and how to allow it
    ({"portals": {"p": {"url": "http://10.0.0.5"}}}, "'portals.p.url'"),  # private is not loopback
    ({"portals": {"p": {"url": "http://localhost.evil.example"}}}, "'portals.p.url'"),
    ({"portals": {"p": {"url": "https://x.example", "allow_insecure_http": "yes"}}},
     "'portals.p.allow_insecure_http'"),
    ({"portals": {"p": {"url": "https://x.example", "api_key": "Bearer " + KEY}}}, "'portals.p.api_key'"),
    ({"portals": {"p": {"url": "https://x.example", "api_key": "bearer " + KEY}}}, "'portals.p.api_key'"),
    ({"portals": {"p": {"url": "https://x.example", "api_key": KEY[3:]}}}, "'portals.p.api_key'"),  # no sk-
    ({"portals": {"p": {"url": "https://x.example", "api_key": "abc" + KEY}}}, "'portals.p.api_key'"),
    ({"portals": {"p": {"url": "https://x.example", "api_key": "sk-short"}}}, "'portals.p.api_key'"),
    ({"portals": {"p": {"url": "https://x.example", "api_key": KEY + "!"}}}, "'portals.p.api_key'"),
    ({"portals": {"p": {"url": "https://x.example", "api_key": 12345}}}, "'portals.p.api_key'"),
    ({"portals": {"p": {"url": "https://x.example", "api_key": 42}}}, "'portals.p.api_key'"),
    ({"portals": {"p": {"url": "https://x.example", "label": ""}}}, "'portals.p.label'"),
    ({"portals": {"bad name!": {"url": "https://x.example"}}}, "'bad name!'"),
    ({"portals": {"a/b": {"url": "https://x.example"}}}, "'a/b'"),
    ({"portals": {"x" * 41: {"url": "https://x.example"}}}, "portal name"),
    ({"monitor": {"refresh_seconds": "5"}}, "'monitor.refresh_seconds'"),
    ({"monitor": {"refresh_seconds": -1}}, "'monitor.refresh_seconds'"),
    ({"monitor": {"refresh_seconds": 0}}, "'monitor.refresh_seconds'"),
    ({"monitor": {"refresh_seconds": True}}, "'monitor.refresh_seconds'"),
    ({"monitor": {"refresh_seconds": float("nan")}}, "'monitor.refresh_seconds'"),
    ({"monitor": {"stall_minutes": "ten"}}, "'monitor.stall_minutes'"),
    ({"access": {"passcode": ""}}, "'access.passcode'"),
    ({"access": {"passcode": "   "}}, "'access.passcode'"),
    ({"access": {"passcode": 1234}}, "'access.passcode'"),
    ({"notify": {"webhook_url": "http://hooks.example.com/x"}}, "'notify.webhook_url'"),
    ({"notify": {"webhook_url": "http://hooks.example"}}, "'notify.webhook_url'"),
    ({"notify": {"webhook_url": "hooks.example.com/x"}}, "'notify.webhook_url'"),
    ({"notify": {"webhook_url": 42}}, "'notify.webhook_url'"),
])
def test_every_mistake_names_its_key(secrets: dict[str, Any], names: str) -> None:
    err = error(secrets)
    assert names in err.message and err.message == str(err)
    assert KEY not in err.message and KEY[3:] not in err.message


def test_http_is_refused_for_a_remote_host_unless_allowed() -> None:
    err = error(with_portal(url="http://docs.example.com"))
    assert "allow_insecure_http" in err.message and "https://" in err.message
    portal = load(with_portal(url="http://docs.example.com", allow_insecure_http=True)).portals[0]
    assert portal.insecure and portal.url == "http://docs.example.com"
    assert not load(with_portal(url="https://docs.example.com", allow_insecure_http=True)).portals[0].insecure


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080", "http://localhost:8501", "http://[::1]:9000",
                                 "http://127.0.0.2"])
def test_http_is_fine_on_loopback(url: str) -> None:
    portal = load(with_portal(url=url)).portals[0]
    assert portal.url == url and not portal.insecure


@pytest.mark.parametrize(("given", "expected"), [(1, 2.0), (2, 2.0), (0.5, 2.0), (7.5, 7.5), (300, 300.0),
                                                 (301, 300.0), (86_400, 300.0), (float("inf"), 300.0)])
def test_refresh_seconds_is_clamped_to_2_300(given: float, expected: float) -> None:
    assert load({"monitor": {"refresh_seconds": given}}).refresh_seconds == expected


def test_stall_minutes_has_a_floor_of_one() -> None:
    assert load({"monitor": {"stall_minutes": 0.1}}).stall_minutes == 1.0


def test_webhook_may_be_https_or_a_local_relay() -> None:
    assert load({"notify": {"webhook_url": "https://outlook.office.com/webhook/x"}}).webhook_url
    assert load({"notify": {"webhook_url": "http://127.0.0.1:9999/hook"}}).webhook_url


@pytest.mark.parametrize("secrets", [
    {"portals": {"p": {"url": "https://[::1"}}},
    {"notify": {"webhook_url": "https://[::1"}},
])
def test_a_malformed_address_is_a_config_error(secrets: dict[str, Any]) -> None:
    with pytest.raises(ConfigError):
        load(secrets)


@pytest.mark.parametrize("url", ["https://docs.example.com:abc", "https://docs.example.com:99999"])
def test_an_invalid_port_names_the_url_key(url: str) -> None:
    assert "'portals.p.url'" in error({"portals": {"p": {"url": url}}}).message


# ---------------------------------------------------------------- secrets never leak

_BREAKAGES: list[tuple[str, Any]] = [
    ("top", {"extra": {}}),
    ("portal_key", {"portals": {"prod": {"url": "https://d.example", "api_key": KEY, "secret": KEY}}}),
    ("url_missing", {"portals": {"prod": {"api_key": KEY}}}),
    ("url_path", {"portals": {"prod": {"url": "https://d.example/x", "api_key": KEY}}}),
    ("url_http", {"portals": {"prod": {"url": "http://d.example", "api_key": KEY}}}),
    ("userinfo", {"portals": {"prod": {"url": f"https://u:{PASSCODE.replace(' ', '')}@d.example", "api_key": KEY}}}),
    ("bearer", {"portals": {"prod": {"url": "https://d.example", "api_key": "Bearer " + KEY}}}),
    ("bad_key", {"portals": {"prod": {"url": "https://d.example", "api_key": KEY + "-"}}}),
    ("label", {"portals": {"prod": {"url": "https://d.example", "api_key": KEY, "label": 5}}}),
    ("refresh", {"monitor": {"refresh_seconds": -5}}),
    ("passcode", {"access": {"passcode": ""}}),
    ("webhook", {"notify": {"webhook_url": "http://hooks.example.com/" + KEY}}),
]


@pytest.mark.parametrize("case", _BREAKAGES, ids=[name for name, _ in _BREAKAGES])
def test_no_error_message_contains_the_key_or_passcode(case: tuple[str, Any]) -> None:
    secrets = copy.deepcopy(good())
    for table, value in case[1].items():
        secrets[table] = value
    err = error(secrets)
    for text in (err.message, str(err), repr(err), str(err.args)):
        assert KEY not in text and KEY[3:] not in text
        assert PASSCODE not in text and PASSCODE.replace(" ", "") not in text


def test_repr_of_the_config_hides_key_passcode_and_webhook() -> None:
    config = load(good())
    assert isinstance(config, AppConfig)
    for text in (repr(config), str(config), repr(config.portals), repr(config.portals[0])):
        assert KEY not in text and PASSCODE not in text and WEBHOOK not in text
    assert "docs.example.com" in repr(config)  # repr still says something useful


@pytest.mark.parametrize(("written", "number"), [('"5"', "5"), ('" 7.5 "', "7.5"), ('"10"', "10")])
def test_a_number_in_quotes_is_told_to_lose_the_quotes(written: str, number: str) -> None:
    err = error({"monitor": {"refresh_seconds": written.strip('"')}})
    assert err.message == f"'monitor.refresh_seconds' must be a number: write {number} without quotes."
    assert "positive number" not in err.message


@pytest.mark.parametrize(("monitor", "note"), [
    ({"refresh_seconds": 10_000}, "'monitor.refresh_seconds' is 10000, more than the longest allowed, "
                                  "so the app checks every 5 min."),
    ({"refresh_seconds": 1}, "'monitor.refresh_seconds' is 1, less than the shortest allowed, "
                             "so the app checks every 2 sec."),
    ({"idle_seconds": 86_400}, "'monitor.idle_seconds' is 86400, more than the longest allowed, "
                               "so the app checks every 1 hr when nobody looks."),
])
def test_a_number_out_of_range_is_clamped_and_said(monitor: dict[str, Any], note: str) -> None:
    config = load({**good(), "monitor": monitor})
    assert tuple(map(str, config.notes)) == (note,)
    assert load(good()).notes == ()


def test_the_default_history_is_a_file_beside_app_py() -> None:
    """Not beside the module that reads the settings: where the README says, wherever the app is started."""
    root = Path(__file__).resolve().parent.parent
    assert (root / "app.py").exists()
    assert load({}).history_url == f"sqlite:///{root / '.data' / 'demo-history.sqlite3'}"
    assert load(good()).history_url == f"sqlite:///{root / '.data' / 'history.sqlite3'}"
