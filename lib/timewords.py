"""Our own rules for time in words (ages, "today at", ranges, rounding) and time zones; the words
themselves, numbers and clock times are the viewer's (lib.i18n, Babel)."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from lib.i18n import Viewer

#: old names browsers still report (ICU keeps them), and the tz database's current name for the same
#: place. Only renames: not the database's links that merge one country's zone into another's.
RENAMED = {
    "Africa/Asmera": "Africa/Asmara", "America/Buenos_Aires": "America/Argentina/Buenos_Aires",
    "America/Catamarca": "America/Argentina/Catamarca", "America/Cordoba": "America/Argentina/Cordoba",
    "America/Godthab": "America/Nuuk", "America/Indianapolis": "America/Indiana/Indianapolis",
    "America/Jujuy": "America/Argentina/Jujuy", "America/Louisville": "America/Kentucky/Louisville",
    "America/Mendoza": "America/Argentina/Mendoza", "Asia/Calcutta": "Asia/Kolkata",
    "Asia/Katmandu": "Asia/Kathmandu", "Asia/Rangoon": "Asia/Yangon", "Asia/Saigon": "Asia/Ho_Chi_Minh",
    "Asia/Ulan_Bator": "Asia/Ulaanbaatar", "Atlantic/Faeroe": "Atlantic/Faroe", "Europe/Kiev": "Europe/Kyiv",
    "Pacific/Enderbury": "Pacific/Kanton", "Pacific/Ponape": "Pacific/Pohnpei", "Pacific/Truk": "Pacific/Chuuk",
    "Etc/UTC": "UTC", "Etc/UCT": "UTC", "Etc/Universal": "UTC", "Etc/Zulu": "UTC", "UCT": "UTC",
    "Universal": "UTC", "Zulu": "UTC",
}


def zone(name: str | None) -> tzinfo:
    """The viewer's time zone from its IANA name (an old alias becomes its current name), or UTC."""
    name = RENAMED.get(name or "", name)
    if name:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError, OSError):  # with the tzdata package, odd names hit the disk
            pass
    return UTC


def utc(ts: float) -> datetime:
    """A UNIX timestamp as an aware UTC datetime (how the wire format's dates are compared)."""
    return datetime.fromtimestamp(ts, UTC)


def zone_label(tz: tzinfo) -> str:
    """The zone's name as the tz database writes it today ("Asia/Kathmandu", never "Asia/Katmandu")."""
    return "UTC" if tz is UTC else RENAMED.get(str(tz), str(tz))


def ago(seconds: float, viewer: Viewer) -> str:
    """``just now``, ``2 min ago``, ``3 days ago``."""
    if seconds < 10:
        return viewer._("just now")
    if seconds < 86_400 * 2:
        return viewer._("{duration} ago", duration=viewer.duration(seconds))
    return viewer.n_("{n} day ago", "{n} days ago", int(seconds // 86_400))


def when(at: float, viewer: Viewer, now: float) -> str:
    """``today at 10:05``, ``yesterday at 23:40``, ``on Nov 26 at 02:00`` (in the viewer's zone)."""
    moment, today = viewer.moment(at), viewer.moment(now)
    days = (today.date() - moment.date()).days
    time = viewer.time(at)
    if days == 0:
        return viewer._("today at {time}", time=time)
    if days == 1:
        return viewer._("yesterday at {time}", time=time)
    return viewer._("on {day} at {time}", day=viewer.day(moment), time=time)


def weekday_clock(at: float, viewer: Viewer, now: float) -> str:
    """``14:00`` today, ``Sun 14:00`` within a week, else ``Dec 24, 02:00``: short enough for a tile."""
    moment, today = viewer.moment(at), viewer.moment(now)
    days = (moment.date() - today.date()).days
    if days == 0:
        return viewer.time(at)
    if 0 < days < 7:
        return viewer._("{weekday} {time}", weekday=viewer.weekday(moment), time=viewer.time(at))
    return viewer.clock(at, now)


def round_remaining(seconds: float) -> float:
    """Round a remaining time so it does not pretend to more precision than it has."""
    if seconds < 60:
        return 60.0
    if seconds < 600:
        return round(seconds / 60) * 60.0
    if seconds < 3600:
        return round(seconds / 300) * 300.0
    return round(seconds / 900) * 900.0


def span(low: float, high: float, viewer: Viewer) -> str:
    """``about 25 min`` or ``20–30 min``; ``less than a minute`` for tiny ones."""
    low, high = round_remaining(low), round_remaining(high)
    if high <= 60:
        return viewer._("less than a minute")
    if high <= low * 1.25 or high - low < 120:
        return viewer._("about {duration}", duration=viewer.duration((low + high) / 2 if high - low >= 120 else high))
    if high < 3600:
        return viewer.unit(f"{viewer.number(low // 60)}–{viewer.number(high // 60)}", "minute")
    return viewer._("{low} to {high}", low=viewer.duration(low), high=viewer.duration(high))


def span_short(low: float, high: float, viewer: Viewer) -> str:
    """The same range in few characters, for a metric tile: ``~25 min``, ``20–30 min``, ``< 1 min``."""
    low, high = round_remaining(low), round_remaining(high)
    if high <= 60:
        return "< " + viewer.unit(1, "minute")
    if high <= low * 1.25 or high - low < 120:
        return "~" + viewer.duration((low + high) / 2 if high - low >= 120 else high)
    if high < 3600:
        return viewer.unit(f"{viewer.number(low // 60)}–{viewer.number(high // 60)}", "minute")
    text = f"{viewer.duration(low)}–{viewer.duration(high)}"
    return text if len(text) <= 12 else "~" + viewer.duration(round_remaining((low + high) / 2))
