"""The schedule in words and overdue; secrets validation naming the key and never the secret."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from lib import schedule as sched
from lib.config import load
from lib.errors import ConfigError
from lib.models import Period, Schedule, StorageType

NOW = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)  # a Saturday
KEY = "sk-" + "ab" * 32


def plan(period: Period, hour: int = 2, day: int | None = None, last: datetime | None = None) -> Schedule:
    return Schedule(period, hour, day, StorageType.DOCUMENTS, 7, last)


def test_words() -> None:
    assert sched.words(plan(Period.EVERY_DAY)) == "Every day at 02:00 UTC, keeps 7 copies"
    assert sched.words(plan(Period.EVERY_WEEK, day=2)).startswith("Every Monday at 02:00")
    assert sched.words(plan(Period.EVERY_MONTH, hour=23, day=31)).startswith("Every month on day 31 at 23:00")


def test_next_and_previous_due() -> None:
    daily = plan(Period.EVERY_DAY)
    assert sched.next_due(daily, NOW) == datetime(2026, 11, 29, 2, tzinfo=UTC)
    assert sched.previous_due(daily, NOW) == datetime(2026, 11, 28, 2, tzinfo=UTC)
    weekly = plan(Period.EVERY_WEEK, day=2)
    assert sched.next_due(weekly, NOW) == datetime(2026, 11, 30, 2, tzinfo=UTC)
    assert sched.previous_due(weekly, NOW) == datetime(2026, 11, 23, 2, tzinfo=UTC)
    monthly = plan(Period.EVERY_MONTH, hour=23, day=31)  # November has 30 days: the 30th stands in
    assert sched.next_due(monthly, NOW) == datetime(2026, 11, 30, 23, tzinfo=UTC)
    assert sched.next_due(monthly, datetime(2026, 12, 31, 23, 30, tzinfo=UTC)) == datetime(2027, 1, 31, 23, tzinfo=UTC)


def test_overdue() -> None:
    three_days = plan(Period.EVERY_DAY, last=NOW - timedelta(days=3))
    assert sched.overdue_since(three_days, NOW.timestamp()) == datetime(2026, 11, 28, 2, tzinfo=UTC).timestamp()
    today = plan(Period.EVERY_DAY, last=datetime(2026, 11, 28, 2, 4, tzinfo=UTC))
    assert sched.overdue_since(today, NOW.timestamp()) is None
    # at 03:00 the 02:00 run may still be going: judge yesterday's, which did happen
    early = datetime(2026, 11, 28, 3, 0, tzinfo=UTC)
    yesterday = plan(Period.EVERY_DAY, last=datetime(2026, 11, 27, 2, 3, tzinfo=UTC))
    assert sched.overdue_since(yesterday, early.timestamp()) is None


def test_demo_when_no_portals() -> None:
    assert load({}).demo
    assert not load({"portals": {"p": {"url": "https://x.example"}}}).demo


@pytest.mark.parametrize(
    ("secrets", "names"),
    [
        ({"portal": {}}, "'portal'"),
        ({"portals": {"p": {"url": "https://x.example", "key": KEY}}}, "portals.p.key"),
        ({"portals": {"p": {"api_key": KEY}}}, "portals.p.url"),
        ({"portals": {"p": {"url": "https://x.example/path"}}}, "portals.p.url"),
        ({"portals": {"p": {"url": "https://x.example?a=1"}}}, "portals.p.url"),
        ({"portals": {"p": {"url": "https://me:pw@x.example"}}}, "portals.p.url"),
        ({"portals": {"p": {"url": "ftp://x.example"}}}, "portals.p.url"),
        ({"portals": {"p": {"url": "http://x.example"}}}, "allow_insecure_http"),
        ({"portals": {"p": {"url": "https://x.example", "api_key": "Bearer " + KEY}}}, "portals.p.api_key"),
        ({"portals": {"p": {"url": "https://x.example", "api_key": "abc" + KEY}}}, "portals.p.api_key"),
        ({"portals": {"p": {"url": "https://x.example", "api_key": 42}}}, "portals.p.api_key"),
        ({"portals": {"p": {"url": "https://x.example", "allow_insecure_http": "yes"}}}, "allow_insecure_http"),
        ({"portals": {"bad name!": {"url": "https://x.example"}}}, "bad name!"),
        ({"portals": {"p": "https://x.example"}}, "portals.p"),
        ({"monitor": {"refresh_seconds": "5"}}, "monitor.refresh_seconds"),
        ({"monitor": {"refresh_seconds": -1}}, "monitor.refresh_seconds"),
        ({"monitor": {"every": 5}}, "monitor.every"),
        ({"monitor": 5}, "'monitor'"),
        ({"access": {"passcode": ""}}, "access.passcode"),
        ({"notify": {"webhook_url": "http://hooks.example"}}, "notify.webhook_url"),
    ],
)
def test_each_mistake_names_its_key(secrets: dict, names: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load(secrets)
    assert names in caught.value.message
    assert KEY not in caught.value.message and KEY[3:] not in caught.value.message


def test_values_are_normalised_and_secrets_hidden_from_repr() -> None:
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
