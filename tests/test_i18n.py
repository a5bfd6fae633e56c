"""lib.i18n: which language a reader gets, how numbers, dates and durations read in it, sentences said
later (Msg), sentences about a kind of operation, plurals, and one reader never speaking for another."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from lib import i18n
from lib.i18n import M_, At, Duration, Mk_, Mn_, Msg, Percent, viewer
from lib.settings.config import PortalConfig
from tests.factories import T0


@pytest.mark.parametrize(("asked", "browser", "language"), [
    (None, None, "en"), (None, "de-DE", "de"), (None, "de-AT", "de"), (None, "pt-PT", "pt_BR"),
    (None, "pt-BR", "pt_BR"), (None, "zh-TW", "zh_Hans"), (None, "zh-CN", "zh_Hans"), (None, "sw-KE", "en"),
    (None, "not a tag", "en"), ("ja", "de-DE", "ja"), ("pt-BR", None, "pt_BR"), ("zh-Hans", None, "zh_Hans"),
    ("xx", "fr-CA", "fr"), ("", "it-IT", "it"), ("qps", None, "en"),  # the pseudo-language only in its tests
])
def test_the_language_a_reader_gets(asked: str | None, browser: str | None, language: str) -> None:
    assert viewer(asked, browser).language == language


def test_the_pseudo_language_is_for_tests_only() -> None:
    i18n.allow_pseudo(True)
    try:
        assert viewer("qps", None)._("Last checked {time}", time="10:00") == "⟦Last checked 10:00⟧"
    finally:
        i18n.allow_pseudo(False)
    assert viewer("qps", None).language == "en"


def test_the_browsers_region_decides_dates_and_numbers_when_its_language_is_the_pages() -> None:
    austrian, german_link = viewer(None, "de-AT"), viewer("de", "en-US")
    assert str(austrian.locale) == "de_AT" and str(german_link.locale) == "de"
    assert viewer(None, "en-US").time(T0) == "8:00\u202fAM"  # an American reads a 12-hour clock
    assert viewer(None, None).time(T0) == "08:00"  # no region known: the app's 24-hour clock


def test_numbers_dates_and_durations_in_the_readers_language() -> None:
    de, ja, ru = viewer("de", None), viewer("ja", None), viewer("ru", None)
    assert de.percent(42) == "42\xa0%" and viewer("en", None).percent(42) == "42%"
    assert de.day(datetime(2026, 12, 2)) == "2. Dez."
    assert de.duration(3900) == "1 Std., 5 Min." and ja.duration(3900) == "1 時間 5 分"
    assert ru.duration(42) == "42 с" and de.number(1234.5) == "1.234,5"
    tokyo = viewer("ja", None, ZoneInfo("Asia/Tokyo"))
    assert tokyo.clock(T0, T0) == "17:00" and tokyo.clock(T0, T0 + 86_400) == "1月15日 17:00"


def test_a_sentence_said_later_keeps_its_values_and_survives_the_database() -> None:
    msg = M_("{what} is scheduled, next in {wait} at {time} ({percent})", what=M_("a daily {time} backup",
             time="02:00"), wait=Duration(3900), time=At(T0), percent=Percent(42))
    assert Msg.from_json(msg.to_json()) == msg
    assert str(msg) == "a daily 02:00 backup is scheduled, next in 1 hr, 5 min at Jan 15, 08:00 (42%)"
    de = viewer("de", None)
    assert "1 Std., 5 Min." in de.say(msg) and "42\xa0%" in de.say(msg)


def test_a_sentence_about_a_kind_is_worded_for_that_kind() -> None:
    pl = viewer("pl", None)  # a Polish backup is feminine, a restore neuter: each has its own sentence
    restore = pl.k_("restore", "The {noun} completed.")
    backup = pl.k_("backup", "The {noun} completed.")
    assert restore != backup and "The" not in restore
    assert str(Mk_("backup", "The {noun} completed.")) == "The backup completed."
    assert str(Mk_("transfer", "The {noun} completed.")) == "The transfer completed."  # other kinds: the noun


@pytest.mark.parametrize(("n", "form"), [(1, 0), (2, 1), (5, 2), (21, 0), (22, 1), (11, 2)])
def test_russian_has_three_plural_forms(n: int, form: int) -> None:
    ru = viewer("ru", None)
    said = {ru.n_("{n} day ago", "{n} days ago", k) for k in (1, 2, 5)}
    assert len(said) == 3  # день, дня, дней
    assert ru.n_("{n} day ago", "{n} days ago", n) == [ru.n_("{n} day ago", "{n} days ago", k) for k in (1, 2, 5)][
        form].replace(str([1, 2, 5][form]), str(n))
    assert str(Mn_("{n} day ago", "{n} days ago", n)).startswith(f"{n} day")


def test_a_broken_translation_never_breaks_the_page() -> None:
    v = viewer(None, None)
    assert v._("Last checked {time}") == "Last checked {time}"  # a value missing: the text as it is
    assert v._("literal {{ braces }}") == "literal { braces }"


def test_one_reader_never_speaks_for_another() -> None:
    """Each viewer is its own value: two readers in two threads at once each get their own words."""
    said: dict[str, set[str]] = {"de": set(), "ja": set()}

    def read(language: str) -> None:
        for _ in range(200):
            said[language].add(viewer(language, None)._("Restore progress"))

    threads = [threading.Thread(target=read, args=(lang,)) for lang in said for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(said["de"]) == len(said["ja"]) == 1 and said["de"] != said["ja"]


def test_our_own_demo_labels_are_translated_but_the_admins_are_not() -> None:
    de = viewer("de", None)
    demo = PortalConfig("demo", "http://127.0.0.1:1", "Demo portal (restoring)", said=Msg("Demo portal (restoring)"))
    theirs = PortalConfig("p", "https://x.example", "Backups")  # an admin's label that happens to be a word of ours
    assert demo.label_for(de) != "Demo portal (restoring)" and theirs.label_for(de) == "Backups"
    assert datetime.now(UTC)  # (the zone of a label is not a thing: labels are plain text)
