"""timewords: ages, "today at", clock times, ranges, rounding and the viewer's zone (in English here;
tests/test_i18n.py says the same things in other languages)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lib import timewords as h
from lib.i18n import viewer
from tests.factories import T0

EN = viewer(None, None)  # English with no region: the app's 24-hour clock


def en(tz: tzinfo = UTC):
    return viewer(None, None, tz)


@pytest.mark.parametrize(("seconds", "text"), [
    (0, "0 sec"), (-5, "0 sec"), (0.4, "0.4 sec"), (7.6, "8 sec"), (0.97, "1 sec"), (42, "42 sec"),
    (59.4, "59 sec"), (59.6, "1 min"), (60, "1 min"),
    (180, "3 min"), (185, "3 min"), (3599, "59 min"), (3600, "1 hr"), (3900, "1 hr, 5 min"),
    (7260, "2 hr, 1 min"), (47 * 3600, "47 hr"), (48 * 3600, "2 days"), (51 * 3600, "2 days, 3 hr"),
    (3 * 86_400 + 7200, "3 days, 2 hr"), (10 * 86_400 + 60, "10 days"),
])
def test_duration(seconds: float, text: str) -> None:
    assert EN.duration(seconds) == text


@pytest.mark.parametrize(("seconds", "text"), [
    (0, "just now"), (3, "just now"), (9.9, "just now"), (10, "10 sec ago"), (120, "2 min ago"),
    (5400, "1 hr, 30 min ago"), (36 * 3600, "36 hr ago"), (2 * 86_400, "2 days ago"), (5 * 86_400, "5 days ago"),
    (10.5 * 86_400, "10 days ago"), (86_400 * 2.5, "2 days ago"),
])
def test_ago(seconds: float, text: str) -> None:
    assert h.ago(seconds, EN) == text


def test_clock_today_and_another_day() -> None:
    assert EN.clock(T0, T0) == "08:00"
    assert EN.clock(T0 + 5, T0, seconds=True) == "08:00:05"
    assert EN.clock(T0 - 9 * 3600, T0) == "Jan 14, 23:00"
    assert EN.clock(T0) == "08:00"  # no "now": no date
    assert EN.clock(T0, day=True) == "Jan 15, 08:00"
    assert json.dumps(EN.clock(T0, seconds=True)) == '"08:00:00"'  # plain text, ready for the page


def test_clock_uses_the_viewers_zone_for_time_and_day() -> None:
    tokyo = en(ZoneInfo("Asia/Tokyo"))
    late = T0 + 15 * 3600 + 30 * 60  # 23:30 UTC is 08:30 the next morning in Tokyo
    assert tokyo.clock(late, late) == "08:30"
    assert tokyo.clock(late, T0) == "Jan 16, 08:30"
    assert EN.clock(late, T0) == "23:30"


def test_when_today_yesterday_and_earlier() -> None:
    assert h.when(T0, EN, T0 + 60) == "today at 08:00"
    assert h.when(T0 - 86_400, EN, T0) == "yesterday at 08:00"
    assert h.when(T0 - 3 * 86_400, EN, T0) == "on Jan 12 at 08:00"


def test_weekday_clock_and_date_time() -> None:
    assert h.weekday_clock(T0 + 3600, EN, T0) == "09:00"
    assert h.weekday_clock(T0 + 2 * 86_400, EN, T0) == "Sun 08:00"
    assert h.weekday_clock(T0 + 10 * 86_400, EN, T0) == "Jan 25, 08:00"
    assert en(ZoneInfo("Europe/Berlin")).date_time(datetime(2027, 1, 15, 8, 0, tzinfo=UTC)) == "Jan 15, 2027, 09:00"


@pytest.mark.parametrize(("seconds", "rounded"), [
    (0, 60.0), (30, 60.0), (89, 60.0), (91, 120.0), (599, 600.0), (601, 600.0), (749, 600.0), (751, 900.0),
    (3599, 3600.0), (3700, 3600.0), (4300, 4500.0),
])
def test_round_remaining(seconds: float, rounded: float) -> None:
    assert h.round_remaining(seconds) == rounded


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(st.floats(0, 10 * 86_400), st.floats(0, 10 * 86_400))
def test_round_remaining_is_monotonic_and_at_least_a_minute(a: float, b: float) -> None:
    low, high = sorted((a, b))
    assert 60.0 <= h.round_remaining(low) <= h.round_remaining(high)


@pytest.mark.parametrize(("low", "high", "text"), [
    (30, 50, "less than a minute"),
    (5, 20, "less than a minute"),
    (600, 660, "about 10 min"),
    (1500, 1500, "about 25 min"),
    (1450, 1550, "about 25 min"),
    (1200, 1800, "20–30 min"),
    (1800, 7200, "30 min to 2 hr"),
    (300, 4000, "5 min to 1 hr"),
    (120, 5400, "2 min to 1 hr, 30 min"),
    (60, 38_700, "1 min to 10 hr, 45 min"),
])
def test_span(low: float, high: float, text: str) -> None:
    assert h.span(low, high, EN) == text


@pytest.mark.parametrize(("low", "high", "text"), [
    (30, 50, "< 1 min"), (5, 20, "< 1 min"), (600, 660, "~10 min"), (1200, 1800, "20–30 min"),
    (1800, 7200, "30 min–2 hr"), (120, 38_700, "~5 hr, 30 min"),
])
def test_span_short(low: float, high: float, text: str) -> None:
    assert h.span_short(low, high, EN) == text


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(st.floats(0, 3 * 86_400), st.floats(0, 3 * 86_400))
def test_span_always_says_something(a: float, b: float) -> None:
    low, high = sorted((a, b))
    assert h.span(low, high, EN) and h.span_short(low, high, EN)


@pytest.mark.parametrize("name", ["Europe/Berlin", "America/New_York", "Asia/Kolkata", "UTC"])
def test_zone_known_names(name: str) -> None:
    tz = h.zone(name)
    assert isinstance(tz, ZoneInfo) and tz.key == name and h.zone_label(tz) == name


@pytest.mark.parametrize("name", [None, "", "Mars/Olympus_Mons", "Not/AZone", "Europe", "../../etc/passwd",
                                  "/etc/localtime", "Europe/", "zone.tab", "x" * 300, "\x00", "Europe/Berlin "])
def test_zone_falls_back_to_utc_for_bad_names(name: str | None) -> None:
    tz: tzinfo = h.zone(name)
    assert tz is UTC and h.zone_label(tz) == "UTC"


@pytest.mark.parametrize(("reported", "canonical"), [
    ("Asia/Katmandu", "Asia/Kathmandu"), ("Asia/Calcutta", "Asia/Kolkata"), ("Europe/Kiev", "Europe/Kyiv"),
    ("Asia/Saigon", "Asia/Ho_Chi_Minh"), ("America/Buenos_Aires", "America/Argentina/Buenos_Aires"),
    ("Etc/UTC", "UTC"), ("Asia/Kathmandu", "Asia/Kathmandu"), ("Europe/Oslo", "Europe/Oslo"),
])
def test_zone_names_are_the_tz_databases_current_ones(reported: str, canonical: str) -> None:
    """Browsers (ICU) still report some zones by their old aliases; a viewer reads the current name.
    Only renames of the same place: Oslo stays Oslo even where the tz database links it elsewhere."""
    tz = h.zone(reported)
    assert h.zone_label(tz) == canonical
    assert tz.utcoffset(datetime(2027, 1, 15)) == h.zone(canonical).utcoffset(datetime(2027, 1, 15))
