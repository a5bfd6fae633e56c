"""The languages the app speaks, and one :class:`Viewer` per reader: never a global ``_``.

Every sentence a person reads goes through a viewer: ``viewer._(text, **values)`` (gettext),
``viewer.n_(one, many, n, **values)`` (ngettext: "1 backup", "2 backups", and Russian's three
forms). What is decided where nobody's language is known yet (an error, a settings check, a
notification the watcher decides) is a :class:`Msg`: the English text and its values, said later in
each reader's own language. Numbers, percents, durations and clock times are Babel's, in the
viewer's locale and time zone. The portal's own words never pass through here.

Catalogues are gettext ``.po`` files under ``locales/`` (``pybabel extract`` / ``update``, see
docs/development.md); the app compiles the one a viewer needs in memory the first time it is asked
for, so nothing has to be built before ``streamlit run``.
"""

from __future__ import annotations

import functools
import gettext
import io
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from pathlib import Path
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_skeleton, format_time
from babel.lists import format_list
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal, format_percent
from babel.units import format_unit

from lib import clock

LOCALES = Path(__file__).resolve().parent.parent / "locales"
DOMAIN = "messages"
#: the catalogues shipped, each with its own name for itself (the sidebar's picker shows these)
SHIPPED: dict[str, str] = {
    "en": "English", "de": "Deutsch", "fr": "Français", "es": "Español", "it": "Italiano",
    "pt_BR": "Português (Brasil)", "ru": "Русский", "pl": "Polski", "nl": "Nederlands", "tr": "Türkçe",
    "ja": "日本語", "zh_Hans": "中文（简体）",
}
#: a language we ship in one variant only is read in that one: pt-PT → pt_BR, zh-TW → zh_Hans
ONLY_VARIANT = {"pt": "pt_BR", "zh": "zh_Hans"}
#: tests only: every translated text wrapped in ⟦…⟧, so a test can find a sentence that was not
PSEUDO = "qps"
PSEUDO_OPEN, PSEUDO_CLOSE = "⟦", "⟧"
_pseudo_allowed = False


def N_(text: str) -> str:  # noqa: N802 - gettext's own names, which pybabel extract looks for
    """Marks ``text`` for the catalogue where it is written; it is translated where it is shown."""
    return text


def M_(text: str, /, **values: Any) -> Msg:  # noqa: N802 - gettext's own names, which pybabel extract looks for
    """A sentence to be said later, in whoever reads it's language."""
    return Msg(text, tuple(sorted(values.items())))


def Mn_(one: str, many: str, n: int, /, **values: Any) -> Msg:  # noqa: N802 - gettext's own names, which pybabel extract looks for
    """The same, with a count that picks the plural form (``n`` is also a value)."""
    return Msg(one, tuple(sorted(values.items())), many, n)


def Mk_(kind: str, text: str, /, **values: Any) -> Msg:  # noqa: N802 - gettext's own names, which pybabel extract looks for
    """A sentence about a restore, a backup or another operation, said later (see :meth:`Viewer.k_`)."""
    return Msg(text, tuple(sorted(values.items())), context=kind)


def NK_(text: str) -> str:  # noqa: N802 - gettext's own names, which pybabel extract looks for
    """Marks a sentence about a kind of operation for the catalogue, where it is written (see :meth:`Viewer.k_`)."""
    return text


#: the kinds a sentence about an operation is written for: each language words each its own way
KINDS = ("restore", "backup", "operation")
#: the word for each kind of operation DocSpace reports
NOUNS = {"restore": N_("restore"), "backup": N_("backup"), "transfer": N_("transfer"), "operation": N_("operation")}


def kind_of(noun: str) -> str:
    """The catalogue context of a sentence about an operation: "restore", "backup", or "operation"."""
    return noun if noun in ("restore", "backup") else "operation"


class Duration(float):
    """A value said as a duration ("1 h, 5 min"), in the reader's language."""


class Percent(int):
    """A value said as a percent ("42 %" in German)."""


class At(float):
    """A moment (seconds since the epoch) said as a clock time in the reader's zone, with the day when
    it is not today."""


@dataclass(frozen=True)
class Msg:
    """A sentence decided now and said later: the English text (the catalogue's key) and its values."""

    text: str
    values: tuple[tuple[str, Any], ...] = ()
    plural: str = ""
    n: int | None = None
    context: str = ""  # the operation a sentence is about (Mk_: "restore", "backup", "transfer"…), or ""

    def __str__(self) -> str:
        return ENGLISH.say(self)

    @classmethod
    def of(cls, text: str, /, **values: Any) -> Msg:
        """A sentence already marked for the catalogue where it was written (with ``N_``), and its values."""
        return cls(text, tuple(sorted(values.items())))

    def to_json(self) -> dict[str, Any]:
        return {"text": self.text, "values": {k: _encode(v) for k, v in self.values},
                "plural": self.plural, "n": self.n, "context": self.context}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Msg:
        values = tuple(sorted((k, _decode(v)) for k, v in data.get("values", {}).items()))
        return cls(data["text"], values, data.get("plural", ""), data.get("n"), data.get("context", ""))


def _encode(value: Any) -> Any:
    for kind, name in ((Msg, "msg"), (Duration, "duration"), (Percent, "percent"), (At, "at")):
        if isinstance(value, kind):
            return {name: value.to_json() if isinstance(value, Msg) else value + 0}
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict) and len(value) == 1:
        (name, inner), = value.items()
        kinds: dict[str, Callable[[Any], Any]] = {"msg": Msg.from_json, "duration": Duration, "percent": Percent,
                                                  "at": At}
        if name in kinds:
            return kinds[name](inner)
    return value


@dataclass(frozen=True)
class Viewer:
    """Who reads: the catalogue's language, the locale for dates and numbers, and the time zone.

    ``locale`` is the browser's own when its language is the catalogue's (de-AT reads German with
    Austrian dates); ``clock24``: English with no region named keeps the app's 24-hour clock."""

    language: str
    locale: Locale
    tz: tzinfo = UTC
    clock24: bool = False

    # ------------------------------------------------------------ words

    def _(self, text: str, /, **values: Any) -> str:
        return self._format(_translations(self.language).gettext(text), values)

    def n_(self, one: str, many: str, n: int, /, **values: Any) -> str:
        return self._format(_translations(self.language).ngettext(one, many, n), {"n": n, **values})

    def p_(self, context: str, text: str, /, **values: Any) -> str:
        """A word that reads differently by context ("Backup" the page title, "backup" the kind)."""
        return self._format(_translations(self.language).pgettext(context, text), values)

    def k_(self, noun: str, text: str, /, **values: Any) -> str:
        """A sentence about one kind of operation: "The {noun} failed at {percent}." is in the catalogue
        once per kind (restore, backup, other), so each language can word each its own way (a Polish
        backup is feminine, a restore neuter); ``{noun}`` is filled in for whoever still uses it."""
        values.setdefault("noun", self._(NOUNS.get(noun, NOUNS["operation"])))
        return self._format(_translations(self.language).pgettext(kind_of(noun), text), values)

    def kn_(self, noun: str, one: str, many: str, n: int, /, **values: Any) -> str:
        """The same with a count: "based on {n} earlier restores"."""
        values.setdefault("noun", self._(NOUNS.get(noun, NOUNS["operation"])))
        text = _translations(self.language).npgettext(kind_of(noun), one, many, n)
        return self._format(text, {"n": n, **values})

    def say(self, msg: Msg | str) -> str:
        if isinstance(msg, str):
            return msg
        values = dict(msg.values)
        if msg.context:
            if msg.plural:
                return self.kn_(msg.context, msg.text, msg.plural, msg.n or 0, **values)
            return self.k_(msg.context, msg.text, **values)
        if msg.plural:
            return self.n_(msg.text, msg.plural, msg.n or 0, **values)
        return self._(msg.text, **values)

    def _format(self, text: str, values: dict[str, Any]) -> str:
        try:
            return text.format(**{k: self._value(v) for k, v in values.items()})
        except (KeyError, IndexError, ValueError):  # a broken translation: never a traceback on the page
            return text

    def _value(self, value: Any) -> str:
        if isinstance(value, Msg):
            return self.say(value)
        if isinstance(value, Duration):
            return self.duration(value)
        if isinstance(value, Percent):
            return self.percent(value)
        if isinstance(value, At):
            return self.clock(value, clock.now())
        if isinstance(value, bool) or not isinstance(value, int | float):
            return str(value)
        return self.number(value)

    # ------------------------------------------------------------ numbers, durations, times

    def number(self, value: float) -> str:
        return format_decimal(value, locale=self.locale)

    def percent(self, value: float) -> str:
        """``42 %`` for 42 (not 0.42): the app's percents are whole numbers 0..100."""
        return format_percent(value / 100, locale=self.locale)

    def duration(self, seconds: float) -> str:
        """``42 s``, ``3 min``, ``1 h, 5 min``, ``2 days, 3 h``: the two largest units, as Babel says them."""
        if 0 < seconds < 0.95:
            return self.unit(round(seconds, 1), "second")  # a wait under a second says its tenths: 0.5 s, not 0 s
        seconds = max(0, round(seconds))
        if seconds < 60:
            return self.unit(seconds, "second")
        minutes = seconds // 60
        if minutes < 60:
            return self.unit(minutes, "minute")
        hours, minutes = divmod(minutes, 60)
        if hours < 48:
            return self.units([(hours, "hour"), (minutes, "minute")])
        days, hours = divmod(hours, 24)
        return self.units([(days, "day"), (hours, "hour")])

    def unit(self, value: float | str, unit: str) -> str:
        """One amount of one time unit (``value`` may be text already, such as a range "20–30")."""
        return format_unit(value, f"duration-{unit}", length="short", locale=self.locale)

    def units(self, parts: list[tuple[int, str]]) -> str:
        said = [self.unit(value, unit) for value, unit in parts if value]
        return self.list(said, "unit-short")

    def list(self, items: list[str], style: str = "standard") -> str:
        try:
            return format_list(items, style=style, locale=self.locale)
        except KeyError:  # a locale without that list style
            return format_list(items, locale=self.locale)

    def moment(self, at: float) -> datetime:
        return datetime.fromtimestamp(at, self.tz)

    def time(self, at: float, *, seconds: bool = False) -> str:
        """``14:05`` (``2:05 PM`` for en-US): the locale's clock, in the viewer's zone."""
        moment = self.moment(at)
        if self.clock24:
            return moment.strftime("%H:%M:%S" if seconds else "%H:%M")
        return format_time(moment, "medium" if seconds else "short", locale=self.locale)

    def day(self, when: date | datetime) -> str:
        """``Dec 2``, ``2. Dez.``, ``12月2日``."""
        return format_skeleton("MMMd", when, locale=self.locale)

    def weekday(self, when: date | datetime, *, short: bool = True) -> str:
        return format_date(when, "EEE" if short else "EEEE", locale=self.locale)

    def clock(self, at: float, now: float | None = None, *, seconds: bool = False, day: bool = False) -> str:
        """``10:05`` today; on another day (or with ``day``) ``Nov 27, 10:05``."""
        text = self.time(at, seconds=seconds)
        moment = self.moment(at)
        if day or (now is not None and self.moment(now).date() != moment.date()):
            return self._("{day}, {time}", day=self.day(moment), time=text)
        return text

    def date_time(self, moment: datetime) -> str:
        """``Nov 28, 2026, 02:00`` for tables: the year too, in the viewer's zone."""
        local = moment.astimezone(self.tz)
        return self._("{day}, {time}", day=format_skeleton("yMMMd", local, locale=self.locale),
                      time=self.time(local.timestamp()))

    def with_zone(self, tz: tzinfo) -> Viewer:
        return Viewer(self.language, self.locale, tz, self.clock24)


# ---------------------------------------------------------------- choosing the language


def language_of(tag: str | None) -> str | None:
    """The shipped catalogue for a language tag ("de-AT" → "de", "pt-PT" → "pt_BR"), or None."""
    if not tag:
        return None
    tag = tag.strip().replace("-", "_")
    if tag == PSEUDO:
        return PSEUDO if _pseudo_allowed else None
    if tag in SHIPPED:
        return tag
    try:
        parsed = Locale.parse(tag)
    except (UnknownLocaleError, ValueError, TypeError):
        return None
    return ONLY_VARIANT.get(parsed.language) or (parsed.language if parsed.language in SHIPPED else None)


def viewer(asked: str | None, browser: str | None, tz: tzinfo = UTC) -> Viewer:
    """``?lang=`` when it names a language we ship, else the browser's, else English."""
    language = language_of(asked) or language_of(browser) or "en"
    own = _locale(browser)
    if own is not None and language_of(browser) == language:
        return Viewer(language, own, tz)  # the browser's own region: de-AT dates, en-US 12-hour clock
    if language == PSEUDO:
        return Viewer(language, Locale("en"), tz, clock24=True)
    return Viewer(language, Locale.parse(language), tz, clock24=language == "en")


def _locale(tag: str | None) -> Locale | None:
    try:
        return Locale.parse(tag.replace("-", "_")) if tag else None
    except (UnknownLocaleError, ValueError, TypeError):
        return None


def allow_pseudo(allowed: bool = True) -> None:
    """Tests only: let ``?lang=qps`` choose the pseudo-language."""
    global _pseudo_allowed
    _pseudo_allowed = allowed


# ---------------------------------------------------------------- catalogues

_lock = threading.Lock()


class _Pseudo(gettext.NullTranslations):
    def gettext(self, message: str) -> str:
        return PSEUDO_OPEN + message + PSEUDO_CLOSE

    def ngettext(self, msgid1: str, msgid2: str, n: int) -> str:
        return PSEUDO_OPEN + (msgid1 if n == 1 else msgid2) + PSEUDO_CLOSE

    def pgettext(self, context: str, message: str) -> str:
        return PSEUDO_OPEN + message + PSEUDO_CLOSE

    def npgettext(self, context: str, msgid1: str, msgid2: str, n: int) -> str:
        return self.ngettext(msgid1, msgid2, n)


@functools.cache
def _translations(language: str) -> gettext.NullTranslations:
    """The language's catalogue, compiled in memory from its .po file (English: the texts as written)."""
    if language == PSEUDO:
        return _Pseudo()
    po = LOCALES / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    if language == "en" or not po.exists():
        return gettext.NullTranslations()
    with _lock, po.open("rb") as handle:
        catalog = read_po(handle, locale=language)
        compiled = io.BytesIO()
        write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


#: how the watcher's log and a message said in no one's language read
ENGLISH = Viewer("en", Locale("en"), UTC, clock24=True)
