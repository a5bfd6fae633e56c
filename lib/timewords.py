"""Durations, ages and clock times in words a manager reads at a glance."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

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


def duration(seconds: float) -> str:
    """``42 s``, ``3 min``, ``1 h 05 min``, ``2 days 3 h``."""
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes:02d} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} days {hours} h" if hours else f"{days} days"


def ago(seconds: float) -> str:
    """``just now``, ``2 min ago``, ``yesterday``-style ages."""
    if seconds < 10:
        return "just now"
    if seconds < 86_400 * 2:
        return f"{duration(seconds)} ago"
    return f"{int(seconds // 86_400)} days ago"


def clock(at: float, tz: tzinfo, now: float | None = None, *, seconds: bool = False) -> str:
    """``10:05`` today, ``Nov 27, 10:05`` on another day (in the viewer's zone)."""
    moment = datetime.fromtimestamp(at, tz)
    text = moment.strftime("%H:%M:%S" if seconds else "%H:%M")
    if now is not None and datetime.fromtimestamp(now, tz).date() != moment.date():
        text = f"{moment.strftime('%b')} {moment.day}, {text}"
    return text


def when(at: float, tz: tzinfo, now: float) -> str:
    """``today at 10:05``, ``yesterday at 23:40``, ``on Nov 26 at 02:00`` (in the viewer's zone)."""
    moment, today = datetime.fromtimestamp(at, tz), datetime.fromtimestamp(now, tz)
    days = (today.date() - moment.date()).days
    day = {0: "today", 1: "yesterday"}.get(days, f"on {moment.strftime('%b')} {moment.day}")
    return f"{day} at {moment.strftime('%H:%M')}"


def weekday_clock(at: float, tz: tzinfo, now: float) -> str:
    """``14:00`` today, ``Sun 02:00`` within a week, else ``Dec 24, 02:00``: short enough for a tile."""
    moment, today = datetime.fromtimestamp(at, tz), datetime.fromtimestamp(now, tz)
    days = (moment.date() - today.date()).days
    if days == 0:
        return moment.strftime("%H:%M")
    if 0 < days < 7:
        return moment.strftime("%a %H:%M")
    return clock(at, tz, now)


def date_time(moment: datetime, tz: tzinfo) -> str:
    """``2026-11-28 02:00`` in the viewer's zone (for tables)."""
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M")


def day_clock(at: float, tz: tzinfo) -> str:
    """``Nov 28, 02:00`` in the viewer's zone: short, and always with the day (for lists of events)."""
    moment = datetime.fromtimestamp(at, tz)
    return f"{moment.strftime('%b')} {moment.day}, {moment.strftime('%H:%M')}"


def round_remaining(seconds: float) -> float:
    """Round a remaining time so it does not pretend to more precision than it has."""
    if seconds < 60:
        return 60.0
    if seconds < 600:
        return round(seconds / 60) * 60.0
    if seconds < 3600:
        return round(seconds / 300) * 300.0
    return round(seconds / 900) * 900.0


def span(low: float, high: float) -> str:
    """``about 25 min`` or ``20–30 min``; ``less than a minute`` for tiny ones."""
    low, high = round_remaining(low), round_remaining(high)
    if high <= 60:
        return "less than a minute"
    if high <= low * 1.25 or high - low < 120:
        return f"about {duration((low + high) / 2 if high - low >= 120 else high)}"
    lo, hi = duration(low), duration(high)
    unit = " min"
    if lo.endswith(unit) and hi.endswith(unit) and lo.count(" ") == 1 and hi.count(" ") == 1:
        return f"{lo[: -len(unit)]}–{hi}"
    return f"{lo} to {hi}"


def span_short(low: float, high: float) -> str:
    """The same range in few characters, for a metric tile: ``~25 min``, ``20–30 min``, ``< 1 min``."""
    text = span(low, high)
    if text == "less than a minute":
        return "< 1 min"
    text = text.replace("about ", "~").replace(" to ", "–")
    return text if len(text) <= 10 else f"~{duration(round_remaining((low + high) / 2))}"
