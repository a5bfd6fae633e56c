"""``[email]`` and ``[digest]`` (and ``[notify] app_url``) → the app's own mailbox settings, or one sentence
saying what is wrong.

The app sends mail to people itself (subscriptions, the weekly summary) through one SMTP server. The
password is kept out of every ``repr`` and message. Without ``[notify] app_url`` no mail can carry a
confirmation or unsubscribe link, so the subscription form is not offered (:attr:`MailSettings.why_no_form`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from lib.i18n import M_, Msg
from lib.links import loopback
from lib.settings.errors import ConfigError

EMAIL_KEYS = {"host", "port", "from", "username", "password", "security", "subscribe", "subscribe_domains",
              "secret"}
DIGEST_KEYS = {"to", "day", "hour", "timezone"}
SECURITY = ("starttls", "ssl", "none")
DEFAULT_PORT = {"starttls": 587, "ssl": 465, "none": 25}
DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
#: a signing secret shorter than this is too easy to guess
SECRET_MIN = 16
#: the shape of an address the admin wrote (people's addresses are checked with email-validator)
_ADDRESS = re.compile(r"^[^@\s<>\"]+@[^@\s<>\"]+\.[^@\s<>\"]+$")
_DOMAIN = re.compile(r"^(?!-)[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,63}$")


@dataclass(frozen=True)
class Smtp:
    host: str
    port: int
    sender: str  # the From address
    security: str = "starttls"  # starttls, ssl or none
    username: str | None = None
    password: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class MailSettings:
    smtp: Smtp | None = None
    subscribe: bool = True  # [email] subscribe = false turns the form off
    domains: tuple[str, ...] = ()  # only these may subscribe (empty: anyone)
    secret: str | None = field(default=None, repr=False)  # signs links; else a key kept in the database
    app_url: str | None = None  # where people open the app: every link starts with it
    digest_to: tuple[str, ...] = ()
    digest_day: int = 0  # Monday
    digest_hour: int = 8
    digest_zone: str = "UTC"

    @property
    def form(self) -> bool:
        """Whether pages offer "Tell me when it ends"."""
        return self.why_no_form is None

    @property
    def why_no_form(self) -> Msg | None:
        if self.smtp is None:
            return M_("Email subscriptions are off: there is no [email] host in the settings.")
        if not self.subscribe:
            return M_("Email subscriptions are off ([email] subscribe = false).")
        if not self.app_url:
            return M_("Email subscriptions are off: [notify] app_url is not set, so an email could not link back to "
                      "the app (to confirm or to unsubscribe).")
        return None

    def link(self, path: str) -> str:
        return (self.app_url or "").rstrip("/") + path


def load(email: Mapping[str, Any], digest: Mapping[str, Any], app_url: str | None) -> MailSettings | None:
    """None when neither [email] nor [digest] is set."""
    if not email and not digest:
        return None
    smtp = _smtp(email) if email else None
    subscribe = email.get("subscribe", True)
    if not isinstance(subscribe, bool):
        raise ConfigError(M_("'email.subscribe' must be true or false (no quotes)."))
    domains = email.get("subscribe_domains", [])
    if not isinstance(domains, list) or not all(isinstance(d, str) and _DOMAIN.match(d.strip().lstrip("@"))
                                                for d in domains):
        raise ConfigError(M_("'email.subscribe_domains' must be a list of domains in quotes, like "
                             "[\"example.com\"]."))
    secret = email.get("secret")
    if secret is not None and (not isinstance(secret, str) or len(secret.strip()) < SECRET_MIN):
        raise ConfigError(M_("'email.secret' must be a text in quotes of at least {length} characters.",
                             length=SECRET_MIN))
    to = digest.get("to", [])
    if not isinstance(to, list) or not all(isinstance(a, str) and _ADDRESS.match(a.strip()) for a in to):
        raise ConfigError(M_("'digest.to' must be a list of email addresses in quotes, like "
                             "[\"manager@example.com\"]."))
    if to and smtp is None:
        raise ConfigError(M_("'digest.to' needs an [email] table with the mail server's host to send through."))
    day = digest.get("day", "monday")
    if not isinstance(day, str) or day.strip().lower() not in DAYS:
        raise ConfigError(M_("'digest.day' must be a day of the week in English, like \"monday\"."))
    hour = digest.get("hour", 8)
    if isinstance(hour, bool) or not isinstance(hour, int) or not 0 <= hour <= 23:
        raise ConfigError(M_("'digest.hour' must be a whole number from 0 to 23 (no quotes)."))
    zone = digest.get("timezone", "UTC")
    try:
        ZoneInfo(str(zone))
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(M_("'digest.timezone' must be a time zone name like \"Europe/Berlin\".")) from None
    return MailSettings(smtp, subscribe, tuple(d.strip().lstrip("@").lower() for d in domains),
                        secret.strip() if secret else None, app_url, tuple(a.strip() for a in to),
                        DAYS.index(day.strip().lower()), hour, str(zone))


def app_url(notify: Mapping[str, Any]) -> str | None:
    """``[notify] app_url``, the one check for it (channels and email links): https (or http on this machine),
    no user name, no query: links are made by adding a path to it."""
    url = notify.get("app_url")
    if url is None:
        return None
    try:
        parts = urlsplit(url.strip()) if isinstance(url, str) else None
        ok = parts is not None and bool(parts.hostname) and not (parts.query or parts.fragment or parts.username) and (
            parts.scheme == "https" or (parts.scheme == "http" and loopback(parts.hostname or "")))
    except ValueError:
        ok = False
    if not ok:
        raise ConfigError(M_("'notify.app_url' must be the https:// address people open the app at, like "
                             "\"https://backups.example.com\"."))
    return str(url).strip().rstrip("/")


def _smtp(email: Mapping[str, Any]) -> Smtp:
    host = email.get("host")
    if not isinstance(host, str) or not host.strip() or any(c in host for c in " /\r\n"):
        raise ConfigError(M_("'email.host' must be the mail server's name in quotes, like \"smtp.example.com\"."))
    security = email.get("security", "starttls")
    if security not in SECURITY:
        raise ConfigError(M_("'email.security' must be \"starttls\", \"ssl\" or \"none\"."))
    port = email.get("port", DEFAULT_PORT[security])
    if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
        raise ConfigError(M_("'email.port' must be a port number from 1 to 65535 (no quotes)."))
    sender = email.get("from")
    if not isinstance(sender, str) or not _ADDRESS.match(sender.strip()):
        raise ConfigError(M_("'email.from' must be the address mail comes from, in quotes, like "
                             "\"backups@example.com\"."))
    username, password = email.get("username"), email.get("password")
    if username is not None and (not isinstance(username, str) or not username.strip()):
        raise ConfigError(M_("'email.username' must be a non-empty text in quotes."))
    if password is not None and not isinstance(password, str):
        raise ConfigError(M_("'email.password' must be a text in quotes."))
    if password and not username:
        raise ConfigError(M_("'email.password' is set without 'email.username': set both, or neither."))
    return Smtp(host.strip(), port, sender.strip(), security, username.strip() if username else None, password)
