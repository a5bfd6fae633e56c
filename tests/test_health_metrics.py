"""/healthz and /metrics: the decisions (pure), the replies as the servers carry them (status, JSON, the
token), and the [metrics] settings. The copy behind them is a real OnDuty on an in-memory history,
watching a real simulated portal."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from prometheus_client.parser import text_string_to_metric_families

from lib.db.store import HistoryStore
from lib.settings.config import load
from lib.settings.errors import ConfigError
from lib.watching import health
from lib.watching.duty import OnDuty
from lib.watching.endpoints import answer
from lib.watching.health import Check, Holder
from simulator import Simulator
from tests.factories import KEY, T0, ManualClock

ME = Holder("app", "web-1", 42, T0 - 600, mine=True, alive=True)
OTHER = Holder("headless", "watch-1", 7, T0 - 600, mine=False, alive=True)


def test_alive_and_answering_is_200_with_each_portals_last_check() -> None:
    status, body = health.answer(ME, {"prod": Check(T0 - 3, 5.0), "test": Check(T0 - 40, 60.0)}, T0, T0 - 600,
                                 names=True)
    assert status == 200 and body["status"] == "ok" and body["watching"] is True
    assert body["holder"] == {"this_process": True, "role": "app", "alive": True, "since": "2027-01-15T07:50:00Z",
                              "host": "web-1", "pid": 42}
    assert body["portals"]["prod"] == {"last_check": "2027-01-15T07:59:57Z", "seconds_ago": 3.0,
                                       "every_seconds": 5.0, "stale": False}


def test_no_answer_for_three_intervals_is_503_with_the_reason() -> None:
    checks = {"prod": Check(T0 - 16, 5.0)}
    status, body = health.answer(ME, checks, T0, T0 - 600, names=True)
    assert status == 503 and body["watching"] is False
    assert body["reason"] == "no portal has answered for 3 check intervals (the last answer came 16 s ago)"
    assert body["portals"]["prod"]["stale"] is True
    assert health.answer(ME, {"prod": Check(T0 - 14, 5.0)}, T0, T0 - 600, names=True)[0] == 200


def test_one_silent_portal_among_answering_ones_keeps_the_200_and_is_marked() -> None:
    status, body = health.answer(ME, {"a": Check(T0 - 100, 5.0), "b": Check(T0 - 1, 5.0)}, T0, T0 - 600,
                                 names=False)
    assert status == 200 and body["portals"] == {"count": 2, "answering": 1, "stale": 1}


def test_never_answered_counts_from_the_start_of_the_watch() -> None:
    assert health.answer(ME, {"p": Check(None, 5.0)}, T0, T0 - 10, names=True)[0] == 200
    status, body = health.answer(ME, {"p": Check(None, 5.0)}, T0, T0 - 20, names=True)
    assert status == 503 and body["reason"] == "no portal has answered since the watch began 20 s ago"


@pytest.mark.parametrize("holder", [None, Holder("app", "h", 1, T0, mine=False, alive=False)])
def test_nobody_holding_the_watch_is_503(holder: Holder | None) -> None:
    status, body = health.answer(holder, {"p": Check(T0, 5.0)}, T0, T0, names=True)
    assert status == 503 and body["reason"] == "no copy of the app or of the headless watcher holds the watch"


def test_with_a_gate_it_names_no_portal_no_host_no_process() -> None:
    _, body = health.answer(OTHER, {"secret-portal": Check(T0 - 1, 5.0)}, T0, T0, names=False)
    text = json.dumps(body)
    assert "secret-portal" not in text and "watch-1" not in text and '"pid"' not in text
    assert body["portals"] == {"count": 1, "answering": 1, "stale": 0}
    assert body["holder"] == {"this_process": False, "role": "headless", "alive": True, "since": "2027-01-15T07:50:00Z"}


def test_what_the_holder_publishes_comes_back_for_the_others() -> None:
    checks = {"prod": Check(T0 - 2, 5.0), "new": Check(None, 60.0)}
    assert health.checks_from(json.loads(json.dumps(health.checks_json(checks, T0, T0 - 9)))) == (checks, T0, T0 - 9)
    assert health.checks_from({}) is None
    assert health.checks_from({"portals": {"p": [1]}, "now": 1, "started": 0}) is None


# ---------------------------------------------------------------- the replies, from a real copy


@pytest.fixture
def copy() -> Iterator[tuple[Simulator, ManualClock]]:
    clock = ManualClock(T0)
    sim = Simulator("restore", api_key=KEY, clock=clock)
    sim.start()
    yield sim, clock
    sim.stop()


def running(sim: Simulator, clock: ManualClock, **tables: dict) -> tuple[OnDuty, object]:
    secrets = {"portals": {"prod": {"url": sim.url, "api_key": KEY, "label": "Production"}},
               "monitor": {"refresh_seconds": 2}} | tables
    config = load(secrets)
    duty = OnDuty(config, HistoryStore("sqlite://", clock=clock), clock=clock).start()
    assert duty.watcher is not None
    duty.watcher.sync()  # the first check lands before time moves on
    clock.advance(130)  # 2 min into the restore: the percent moves
    duty.watcher.sync()
    return duty, config


def test_healthz_from_the_copy_that_watches(copy) -> None:
    sim, clock = copy
    duty, config = running(sim, clock)
    try:
        reply = answer("/healthz", config, duty, None, clock())
        body = json.loads(reply.body)
        assert reply.status == 200 and reply.content_type == "application/json"
        assert body["holder"]["this_process"] is True and body["portals"]["prod"]["stale"] is False
        gated, gated_config = running(sim, clock, access={"passcode": "open sesame"})
        gated.stop()
    finally:
        duty.stop()
    reply = answer("/healthz", gated_config, duty, None, clock())
    assert b"prod" not in reply.body


def test_metrics_are_off_unless_enabled_and_ask_for_the_token(copy) -> None:
    sim, clock = copy
    duty, config = running(sim, clock)
    try:
        assert answer("/metrics", config, duty, None, clock()).status == 404
        duty.stop()
        duty, config = running(sim, clock, metrics={"enabled": True, "token": "t" * 20})
        assert answer("/metrics", config, duty, None, clock()).status == 401
        refused = answer("/metrics", config, duty, "Bearer " + "x" * 20, clock())
        assert refused.status == 401 and refused.headers["WWW-Authenticate"].startswith("Bearer")
        reply = answer("/metrics", config, duty, "Bearer " + "t" * 20, clock())
    finally:
        duty.stop()
    assert reply.status == 200 and reply.content_type.startswith("text/plain; version=0.0.4")
    found = {(s.name, tuple(sorted(s.labels.items()))): s.value
             for family in text_string_to_metric_families(reply.body.decode()) for s in family.samples}
    job = (("kind", "restore"), ("portal", "prod"))
    assert 10 < found[("docspace_operation_percent", job)] < 75
    assert found[("docspace_operation_running", job)] == 1 and found[("docspace_operation_stalled", job)] == 0
    assert found[("docspace_last_check_timestamp_seconds", job)] == pytest.approx(clock(), abs=1)
    assert found[("docspace_checks_total", (("endpoint", "restore"), ("portal", "prod")))] >= 1
    assert found[("docspace_watching", ())] == 1
    assert ("docspace_backup_overdue", (("portal", "prod"),)) not in found  # unknown while it restores: no 0
    assert found[("docspace_notifications_sent_total", ())] == 0
    assert found[("docspace_emails_sent_total", ())] == 0 and found[("docspace_emails_failed_total", ())] == 0
    assert found[("docspace_confirmation_emails_sent_total", ())] == 0
    assert found[("docspace_confirmation_emails_failed_total", ())] == 0
    assert KEY not in reply.body.decode()


def test_an_overdue_backup_and_the_age_of_the_last_one() -> None:
    clock = ManualClock(T0)
    with Simulator("overdue", api_key=KEY, clock=clock) as sim:
        duty, config = running(sim, clock, metrics={"enabled": True})
        try:
            reply = answer("/metrics", config, duty, None, clock())
        finally:
            duty.stop()
    found = {(s.name, tuple(s.labels.values())): s.value
             for family in text_string_to_metric_families(reply.body.decode()) for s in family.samples}
    assert found[("docspace_backup_overdue", ("prod",))] == 1
    assert found[("docspace_last_backup_age_seconds", ("prod",))] > 86_400  # the daily backup was missed


def test_unreadable_settings_are_a_503_that_names_nothing() -> None:
    reply = answer("/healthz", None, None, None, T0)
    assert reply.status == 503 and json.loads(reply.body)["reason"].startswith("the settings could not be read")


# ---------------------------------------------------------------- [metrics] in the secrets


PORTAL = {"prod": {"url": "https://prod.example.com"}}


@pytest.mark.parametrize(("metrics", "extra", "says"), [
    ({"enabled": "yes"}, {}, "'metrics.enabled' must be true or false (no quotes)."),
    ({"enabled": True, "token": "short"}, {}, "'metrics.token' must be a text in quotes of at least 16 characters."),
    ({"enabled": True}, {"access": {"passcode": "pw"}}, "'metrics.token' is needed when the app has a passcode"),
    ({"enabled": True, "port": 9}, {}, "Unknown setting 'metrics.port'. Expected: enabled, token."),
])
def test_metrics_mistakes_are_one_sentence(metrics: dict, extra: dict, says: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load({"portals": PORTAL, "metrics": metrics} | extra)
    assert caught.value.message.startswith(says)


def test_metrics_settings_are_read() -> None:
    config = load({"portals": PORTAL, "metrics": {"enabled": True, "token": " " + "k" * 16 + " "},
                   "access": {"passcode": "pw"}})
    assert config.metrics and config.metrics_token == "k" * 16 and config.gated
    assert not load({"portals": PORTAL}).metrics
