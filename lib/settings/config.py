"""Secrets → a validated configuration, or demo mode when no portal is configured.

Every mistake becomes a :class:`ConfigError` whose message names the key and says what is wrong,
so the page can show one sentence instead of a traceback. The API key is never part of a message.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

from lib import channels, i18n
from lib.i18n import M_, N_, Duration, Msg, Viewer
from lib.links import loopback
from lib.settings import access
from lib.settings import mail as mail_settings
from lib.settings.errors import ConfigError

REFRESH_DEFAULT = 5.0
REFRESH_MIN, REFRESH_MAX = 2.0, 300.0
IDLE_DEFAULT, IDLE_MAX = 60.0, 3600.0
STALL_MINUTES_DEFAULT = 10.0
KEEP_DAYS_DEFAULT = 180.0
#: the project's folder: a relative SQLite path means a file beside app.py, wherever the app is started
ROOT = Path(__file__).resolve().parents[2]
HISTORY_DEFAULT = "sqlite:///.data/history.sqlite3"
HISTORY_DEMO = "sqlite:///.data/demo-history.sqlite3"
WATCHERS = ("app", "external")
_NAME = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
_PORTAL_KEYS = {"url", "api_key", "label", "allow_insecure_http"}
_TABLES = {
    "portals": None,
    "auth": None,  # Streamlit's own sign-in settings, checked by lib.settings.access
    "monitor": {"refresh_seconds", "idle_seconds", "stall_minutes"},
    "history": {"url", "keep_days", "watcher"},
    "access": {"passcode", "allow"},
    "notify": {"webhook_url", "remind_hours", "language", "urls", "app_url"},
    "metrics": {"enabled", "token"},
    "email": mail_settings.EMAIL_KEYS,  # the app's own mailbox (lib.settings.mail)
    "digest": mail_settings.DIGEST_KEYS,
}
#: a metrics token shorter than this is too easy to guess
TOKEN_MIN = 16


@dataclass(frozen=True)
class PortalConfig:
    name: str
    url: str
    label: str
    api_key: str | None = field(default=None, repr=False)
    insecure: bool = False  # plain http to a non-loopback host, explicitly allowed
    #: a label of our own (demo mode's portals), said in each reader's language; a label from the
    #: settings is the admin's words and stays exactly as written
    said: Msg | None = None

    @property
    def host(self) -> str:
        return urlsplit(self.url).hostname or ""

    def label_for(self, viewer: Viewer) -> str:
        return viewer.say(self.said) if self.said is not None else self.label


@dataclass(frozen=True)
class AppConfig:
    portals: tuple[PortalConfig, ...]
    refresh_seconds: float = REFRESH_DEFAULT
    stall_minutes: float = STALL_MINUTES_DEFAULT
    passcode: str | None = field(default=None, repr=False)
    webhook_url: str | None = field(default=None, repr=False)
    demo: bool = False
    idle_seconds: float = IDLE_DEFAULT
    history_url: str = field(default=HISTORY_DEFAULT, repr=False)  # may hold a database password
    keep_days: float = KEEP_DAYS_DEFAULT
    watcher: str = "app"  # "external": a `python -m lib.watch` records; the app only reads
    remind_hours: float | None = None  # while stalled, overdue or unscheduled: a reminder this often, then "all well"
    notify_language: str = "en"  # the language notifications are said in (a shipped catalogue)
    sign_in: access.SignIn | None = field(default=None, repr=False)  # [auth] + [access] allow: the providers, the list
    #: settings the app changed to fit its limits, each one sentence, said once to the viewer
    notes: tuple[Msg, ...] = ()
    metrics: bool = False  # GET /metrics serves Prometheus text
    metrics_token: str | None = field(default=None, repr=False)  # then only with "Authorization: Bearer <token>"
    notify_urls: tuple[str, ...] = field(default=(), repr=False)  # Apprise channels (they carry tokens)
    app_url: str | None = None  # where people open the app: links in messages start with it
    mail: mail_settings.MailSettings | None = None  # [email], [digest] and [notify] app_url

    @property
    def gated(self) -> bool:
        """Whether viewers must pass a passcode or sign in (routes beside the pages then name no portal)."""
        return self.passcode is not None or self.sign_in is not None

    def portal(self, name: str | None) -> PortalConfig:
        """The named portal, or the first one when the name is unknown or missing."""
        for portal in self.portals:
            if portal.name == name:
                return portal
        return self.portals[0]

    def label_of(self, name: str, viewer: Viewer) -> str:
        """How the reader knows the named portal; its name when it is no longer configured (an old email)."""
        return next((p.label_for(viewer) for p in self.portals if p.name == name), name)


def load(secrets: Mapping[str, Any]) -> AppConfig:
    """Validate the secrets. With no ``[portals.*]`` the result has no portals: demo mode."""
    for key in secrets:
        if key not in _TABLES:
            raise ConfigError(M_("Unknown setting '{key}' in secrets. Expected only: {items}.",
                                 key=key, items=', '.join(sorted(_TABLES))))
    for table, allowed in _TABLES.items():
        value = secrets.get(table)
        if value is not None and not isinstance(value, Mapping):
            raise ConfigError(M_("'{table}' in secrets must be a table like [{table}], not a single value.",
                                 table=table))
        for key in (value or {}) if allowed else ():
            if key not in allowed:
                raise ConfigError(M_("Unknown setting '{table}.{key}'. Expected: {items}.",
                                     table=table, key=key, items=', '.join(sorted(allowed))))
    portals = tuple(_portal(name, table) for name, table in (secrets.get("portals") or {}).items())
    monitor = secrets.get("monitor") or {}
    refresh = _number(monitor, "monitor.refresh_seconds", "refresh_seconds", REFRESH_DEFAULT)
    stall = _number(monitor, "monitor.stall_minutes", "stall_minutes", STALL_MINUTES_DEFAULT)
    passcode = (secrets.get("access") or {}).get("passcode")
    if passcode is not None and (not isinstance(passcode, str) or not passcode.strip()):
        raise ConfigError(M_("'access.passcode' must be a non-empty text in quotes."))
    webhook = (secrets.get("notify") or {}).get("webhook_url")
    if webhook is not None and not _webhook_ok(webhook):
        raise ConfigError(M_("'notify.webhook_url' must be an https:// address (a Slack or Teams incoming "
                             "webhook)."))
    notes: list[Msg] = []
    refresh = _clamp(refresh, REFRESH_MIN, REFRESH_MAX, (
        N_("'monitor.refresh_seconds' is {value}, more than the longest allowed, so the app checks every {duration}."),
        N_("'monitor.refresh_seconds' is {value}, less than the shortest allowed, so the app checks every "
           "{duration}.")), notes)
    idle = _number(monitor, "monitor.idle_seconds", "idle_seconds", IDLE_DEFAULT)
    idle = _clamp(idle, refresh, IDLE_MAX, (
        N_("'monitor.idle_seconds' is {value}, more than the longest allowed, so the app checks every {duration} "
           "when nobody looks."),
        N_("'monitor.idle_seconds' is {value}, less than the shortest allowed, so the app checks every {duration} "
           "when nobody looks.")),
        notes if "idle_seconds" in monitor else [])  # the default is not the admin's to be told about
    stall = _clamp(stall * 60, 60.0, float("inf"), (
        "",  # no upper limit
        N_("'monitor.stall_minutes' is {value}, less than the shortest allowed, so the app waits at least "
           "{duration} before it says a job may be stuck.")), notes, unit=60.0) / 60
    history = secrets.get("history") or {}
    watcher = history.get("watcher", "app")
    if watcher not in WATCHERS:
        raise ConfigError(M_("'history.watcher' must be \"app\" (the app watches) or \"external\" (a separate "
                             "`python -m lib.watch` watches; the app only reads)."))
    sign_in = access.load(secrets.get("auth"), (secrets.get("access") or {}).get("allow"))
    notify = secrets.get("notify") or {}
    remind = _number(notify, "notify.remind_hours", "remind_hours", 1.0) if "remind_hours" in notify else None
    language = notify.get("language", "en")
    if not isinstance(language, str) or i18n.language_of(language) in (None, i18n.PSEUDO):
        raise ConfigError(M_("'notify.language' must be one of the languages this app speaks: {languages}.",
                             languages=", ".join(f'"{code.replace("_", "-")}"' for code in i18n.SHIPPED)))
    metrics, token = _metrics(secrets.get("metrics") or {}, gated=passcode is not None or sign_in is not None)
    urls, app_url = _channels(notify)
    mail = mail_settings.load(secrets.get("email") or {}, secrets.get("digest") or {}, app_url)
    if mail is not None and mail.smtp is not None and mail.subscribe and not mail.app_url and mail.why_no_form:
        notes.append(mail.why_no_form)  # the form is not offered: said once, so the admin knows why
    if (webhook or urls) and app_url is None:
        notes.append(M_("'notify.app_url' is not set, so notifications carry no link to the app; set it to the "
                        "address people open the app at."))
    return AppConfig(
        portals=portals,
        refresh_seconds=refresh,
        stall_minutes=stall,
        passcode=passcode,
        webhook_url=webhook,
        demo=not portals,
        idle_seconds=idle,
        history_url=_database(history.get("url", HISTORY_DEMO if not portals else HISTORY_DEFAULT)),
        keep_days=_number(history, "history.keep_days", "keep_days", KEEP_DAYS_DEFAULT),
        watcher=watcher,
        sign_in=sign_in,
        remind_hours=remind,
        notify_language=i18n.language_of(language) or "en",
        notes=tuple(notes),
        metrics=metrics,
        metrics_token=token,
        notify_urls=urls,
        app_url=app_url,
        mail=mail,
    )


def _channels(notify: Mapping[str, Any]) -> tuple[tuple[str, ...], str | None]:
    """``[notify] urls`` (each one Apprise can use; a mistake names its position, never the URL: it carries
    a token) and ``app_url`` (:func:`lib.settings.mail.app_url`)."""
    urls = notify.get("urls", [])
    if not isinstance(urls, list) or not all(isinstance(u, str) for u in urls):
        raise ConfigError(M_("'notify.urls' must be a list of addresses in quotes, like [\"workflows://…\", "
                             "\"tgram://…\"]."))
    for n, url in enumerate(urls, start=1):
        if channels.service(url) is None:
            raise ConfigError(M_("'notify.urls' entry {n} is not an address Apprise can send to (an unknown "
                                 "service, or a token in the wrong shape); see docs/notifications.md.", n=str(n)))
    return tuple(u.strip() for u in urls), mail_settings.app_url(notify)


def _metrics(table: Mapping[str, Any], *, gated: bool) -> tuple[bool, str | None]:
    """``[metrics]``: on or off, and the token a scraper must send."""
    enabled = table.get("enabled", False)
    if not isinstance(enabled, bool):
        raise ConfigError(M_("'metrics.enabled' must be true or false (no quotes)."))
    token = table.get("token")
    if token is not None and (not isinstance(token, str) or len(token.strip()) < TOKEN_MIN):
        raise ConfigError(M_("'metrics.token' must be a text in quotes of at least {length} characters.",
                             length=TOKEN_MIN))
    if enabled and gated and token is None:
        raise ConfigError(M_("'metrics.token' is needed when the app has a passcode or sign-in: /metrics "
                             "names every portal, and it does not ask for the passcode."))
    return enabled, token.strip() if token else None


def _clamp(value: float, low: float, high: float, said: tuple[str, str], notes: list[Msg], *,
           unit: float = 1.0) -> float:
    """``value`` within low..high; when it had to be moved, one sentence saying so goes to ``notes``.
    ``said``: the sentences for a value above and below the range (``{value}``, ``{duration}``)."""
    fitted = min(high, max(low, value))
    if fitted != value:
        notes.append(Msg.of(said[0] if value > high else said[1], value=f"{value / unit:g}", duration=Duration(fitted)))
    return fitted


def _database(url: Any) -> str:
    """Any SQLAlchemy URL; a relative SQLite file lives beside app.py."""
    if not isinstance(url, str) or not url.strip():
        raise ConfigError(M_("'history.url' must be a database address in quotes, like "
                             '"sqlite:///.data/history.sqlite3" or '
                             '"postgresql+psycopg://user:password@host/db".'))
    try:
        parsed = make_url(url.strip())
    except ArgumentError:
        raise ConfigError(M_("'history.url' is not a database address SQLAlchemy understands; for PostgreSQL "
                             "write postgresql+psycopg://user:password@host:5432/dbname.")) from None
    backend = parsed.get_backend_name()
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")  # the driver this app installs
    _usable(parsed)
    if backend == "sqlite" and parsed.database and parsed.database != ":memory:":
        path = Path(parsed.database)
        path = path if path.is_absolute() else ROOT / path
        _folder_for(path)
        parsed = parsed.set(database=str(path))
    return parsed.render_as_string(hide_password=False)


def _usable(parsed: Any) -> None:
    """A database SQLAlchemy knows, whose driver is installed (else one sentence, never a traceback later)."""
    try:
        dialect = parsed.get_dialect()
    except NoSuchModuleError:
        raise ConfigError(M_("'history.url' names a kind of database this app cannot keep its history in "
                             "({kind}); use sqlite:///.data/history.sqlite3 or "
                             "postgresql+psycopg://user:password@host:5432/dbname.",
                             kind=parsed.drivername[:40])) from None
    try:
        dialect.import_dbapi()
    except ImportError as exc:
        raise ConfigError(M_("'history.url' needs a database driver that is not installed ({driver}): install it "
                             "beside the app, or use PostgreSQL (postgresql+psycopg://…), whose driver comes "
                             "with the app.", driver=(exc.name or parsed.drivername)[:40])) from None


def _folder_for(path: Path) -> None:
    """The SQLite file's folder can be made: no part of the way to it is a file."""
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                raise ConfigError(M_("'history.url' puts the SQLite file inside {parent}, which is a file, not a "
                                     "folder; choose another path.", parent=parent.name[:80]))
            return


def _portal(name: str, table: Any) -> PortalConfig:
    where = f"portals.{name}"
    if not _NAME.match(str(name)):
        raise ConfigError(M_("The portal name '{name}' may use only letters, digits, '-' and '_' (it goes in "
                             "links).", name=str(name)[:40]))
    if not isinstance(table, Mapping):
        raise ConfigError(M_("'{where}' must be a table: [{where}] with url = \"https://…\".", where=where))
    for key in table:
        if key not in _PORTAL_KEYS:
            raise ConfigError(M_("Unknown setting '{where}.{key}'. Expected: {items}.",
                                 where=where, key=key, items=', '.join(sorted(_PORTAL_KEYS))))
    url = table.get("url")
    if not isinstance(url, str) or not url.strip():
        raise ConfigError(M_("'{where}.url' is missing: add url = \"https://yourportal.onlyoffice.com\".",
                             where=where))
    insecure_ok = table.get("allow_insecure_http", False)
    if not isinstance(insecure_ok, bool):
        raise ConfigError(M_("'{where}.allow_insecure_http' must be true or false (no quotes).", where=where))
    url, insecure = _url(where, url.strip(), insecure_ok)
    key = table.get("api_key")
    if key is not None:
        if not isinstance(key, str):
            raise ConfigError(M_("'{where}.api_key' must be text in quotes.", where=where))
        key = key.strip()
        if key.lower().startswith("bearer "):
            raise ConfigError(M_("'{where}.api_key' should be the key alone (sk-…), without 'Bearer'.", where=where))
        if not re.fullmatch(r"sk-[A-Za-z0-9]{16,128}", key):
            raise ConfigError(M_("'{where}.api_key' does not look like a DocSpace API key (it starts with "
                                 "sk-).", where=where))
    label = table.get("label", name)
    if not isinstance(label, str) or not label.strip():
        raise ConfigError(M_("'{where}.label' must be a non-empty text in quotes.", where=where))
    return PortalConfig(name=str(name), url=url, label=label.strip()[:80], api_key=key or None, insecure=insecure)


def _url(where: str, url: str, insecure_ok: bool) -> tuple[str, bool]:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number in 0..65535
    except ValueError:
        raise ConfigError(M_("'{where}.url' is not a valid address (check brackets and the port number).",
                             where=where)) from None
    if parts.scheme not in ("http", "https") or not parts.hostname or " " in parts.netloc:
        raise ConfigError(M_("'{where}.url' must be a full address like https://yourportal.onlyoffice.com.",
                             where=where))
    if parts.username or parts.password:
        raise ConfigError(M_("'{where}.url' must not contain a user name or password; use api_key.", where=where))
    if parts.query or parts.fragment or parts.path.strip("/"):
        raise ConfigError(M_("'{where}.url' must be the portal's address only, without a path or '?…'.",
                             where=where))
    insecure = False
    if parts.scheme == "http" and not loopback(parts.hostname):
        if not insecure_ok:
            raise ConfigError(
                M_("'{where}.url' uses http://, which is not encrypted. Use https://, or set "
                   "allow_insecure_http = true in [{where}] if you accept that risk.", where=where))
        insecure = True
    return f"{parts.scheme}://{parts.netloc}", insecure


def _webhook_ok(url: object) -> bool:
    """https, or http on this machine (a local relay, or a test's receiver)."""
    if not isinstance(url, str):
        return False
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - validates the port
    except ValueError:
        return False
    return bool(parts.hostname) and (parts.scheme == "https" or (parts.scheme == "http" and loopback(parts.hostname)))


def _positive(text: str) -> bool:
    """A positive number written as text ("5", " 7.5 ")."""
    try:
        number = float(text.strip())
    except ValueError:
        return False
    return math.isfinite(number) and number > 0



def _number(table: Mapping[str, Any], where: str, key: str, default: float) -> float:
    value = table.get(key, default)
    if isinstance(value, str) and _positive(value):
        raise ConfigError(M_("'{where}' must be a number: write {value} without quotes.",
                             where=where, value=value.strip()))
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value or value <= 0:
        raise ConfigError(M_("'{where}' must be a positive number (for example 5), not {value}.",
                             where=where, value=repr(str(value)[:20])))
    return float(value)
