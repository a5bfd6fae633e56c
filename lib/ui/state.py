"""What one script run works with: settings read once, the shared monitor, and the session-state keys.

``app.py`` calls :func:`start` once per run and the pages read the result with :func:`context`, so
secrets are parsed once and every page sees the same portal. Every key this app keeps in
``st.session_state`` is named here and nowhere else.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import tzinfo
from typing import Any

import streamlit as st

from lib import clock, i18n, timewords
from lib.db.store import HistoryStore
from lib.i18n import M_, N_, Viewer
from lib.jobs.timeline import Timeline
from lib.settings.config import AppConfig, PortalConfig, load
from lib.settings.errors import ConfigError
from lib.views.rhythm import Rhythm
from lib.watching.duty import OnDuty
from lib.watching.source import Source

# ---------------------------------------------------------------- session-state keys
PORTAL = "portal"  # this viewer's portal (also in the address bar as ?portal=)
PORTAL_PICKER = "portal_picker"  # the sidebar's select box
REFRESH = "refresh"  # "Check every", seconds
PAUSED = "paused"  # "Pause checking"
DUMP_CHOICE = "dump_choice"  # "Which restore to watch"
PASSCODE_OK = "passcode_ok"  # the passcode was entered in this session
SIGN_IN = "sign_in"  # the sign-in buttons (one per provider: "sign_in:<name>")
SIGN_OUT = "sign_out"  # the sign-out button
TAB_TITLE = "tab_title"  # the live state for the browser tab's title
LANGUAGE = "language"  # the language this viewer chose (also in the address bar as ?lang=)
LANGUAGE_PICKER = "language_picker"  # the sidebar's language select box
CONTEXT = "context"  # this run's Context, for the pages
VIEWS = "views"  # {view key: View}, one per live page, portal and restore choice
HISTORY_PORTAL, HISTORY_KIND, HISTORY_OUTCOME = "history_portal", "history_kind", "history_outcome"  # its filters
HISTORY_LINK = "history_link"  # the ?portal= the History page was last opened with
HISTORY_TABLE = "history_table"  # the list of operations (its selected row)
CHECK_BACKUPS = "check_backups"  # the Backups page's "Check now"
NOTES_SAID = "notes_said"  # the settings notes were shown to this viewer once

REFRESH_CHOICES = (2, 3, 5, 10, 15, 30, 60, 120, 300)
#: the product's name: the same in every language
APP_NAME = "DocSpace Backup Monitor"
#: each page's title (the navigation and the page's own heading say the same)
PAGE_TITLES = {"restore": N_("Restore progress"), "backup": N_("Backup progress"), "backups": N_("Backups"),
               "portals": N_("All portals"), "history": N_("History")}


@dataclass
class View:
    """One live page's history as this viewer last read it, and its checking rhythm."""

    timeline: Timeline
    rhythm: Rhythm = field(default_factory=Rhythm)


@dataclass(frozen=True)
class Context:
    config: AppConfig
    source: Source
    portal: PortalConfig
    kiosk: bool
    viewer: Viewer  # the language and time zone everything on the page is said in
    linked_portal: str | None = None  # the portal named in the link itself (not this viewer's last choice)
    #: the ``?portal=`` name of the link when no portal has it ("" when it named one, or none)
    unknown_portal: str = ""


def read_config() -> AppConfig:
    """Validated settings (demo ones when no portal is set); raises ConfigError with one sentence."""
    base = load(_secrets())
    return demo().config(base) if base.demo else base


def start(config: AppConfig, reader: Viewer) -> Context:
    """This run's context, kept for the pages."""
    linked = st.query_params.get("portal")
    ctx = Context(config, source_for(config), selected_portal(config), kiosk(),
                  reader, linked if linked in {p.name for p in config.portals} else None,
                  unknown_portal(config))
    st.session_state[CONTEXT] = ctx
    return ctx


def source_for(config: AppConfig) -> OnDuty:
    """This process's copy for these settings, started if it was not (the server starts it at boot)."""
    return _source(config, _fingerprint(config))


def stop_source() -> None:
    """The server is stopping: stop this process's copy, which hands the watch over at once."""
    _source.clear()


def context() -> Context:
    """The context app.py made for this run."""
    return st.session_state[CONTEXT]


def passcode_needed(config: AppConfig) -> bool:
    """A passcode is set and this session has not entered it yet."""
    return bool(config.passcode) and not st.session_state.get(PASSCODE_OK)


def kiosk() -> bool:
    return st.query_params.get("view") == "kiosk"


def viewer() -> Viewer:
    """Who reads this page: ``?lang=`` (or this viewer's earlier choice), else the browser's language,
    else English; and the browser's time zone. A chosen language stays in the address bar, like
    ``?portal=``, so a shared link opens in it."""
    asked = st.query_params.get("lang") or st.session_state.get(LANGUAGE)
    if i18n.language_of(asked):
        st.session_state[LANGUAGE] = asked
        if st.query_params.get("lang") != asked:
            st.query_params["lang"] = asked
    return i18n.viewer(asked, _browser("locale"), viewer_zone())


def choose_language(code: str) -> None:
    st.session_state[LANGUAGE] = code
    st.query_params["lang"] = code.replace("_", "-")


def _browser(what: str) -> str | None:
    try:
        return getattr(st.context, what)
    except Exception:  # noqa: BLE001 - no browser context (tests, first run)
        return None


def viewer_zone() -> tzinfo:
    try:
        return timewords.zone(st.context.timezone)
    except Exception:  # noqa: BLE001 - no browser context (tests, first run)
        return timewords.zone(None)


def selected_portal(config: AppConfig) -> PortalConfig:
    """The portal named in ``?portal=``, else this viewer's last choice, else the first one.

    A link naming no portal here shows the first one (and :func:`unknown_portal` says so); the link's
    name stays in the address bar, so the link keeps working as it was given."""
    wanted = st.query_params.get("portal") or st.session_state.get(PORTAL)
    portal = config.portal(wanted)
    if unknown_portal(config):
        st.session_state[PORTAL] = portal.name
    else:
        choose_portal(portal.name)
    return portal


def unknown_portal(config: AppConfig) -> str:
    """The name in ``?portal=`` when no configured portal has it, else ""."""
    asked = st.query_params.get("portal")
    return asked if asked and all(p.name != asked for p in config.portals) else ""


def choose_portal(name: str) -> None:
    st.session_state[PORTAL] = name
    if st.query_params.get("portal") != name:
        st.query_params["portal"] = name


def refresh_choices(config: AppConfig) -> list[float]:
    """The intervals a viewer may pick: never faster than the configured one (the shared poll's)."""
    return [c for c in REFRESH_CHOICES if c >= config.refresh_seconds] or [config.refresh_seconds]


def refresh_seconds(config: AppConfig) -> float:
    """This viewer's interval; before the sidebar has drawn (kiosk view), the configured one."""
    chosen = st.session_state.get(REFRESH)
    return float(chosen) if chosen is not None else refresh_choices(config)[0]


def paused() -> bool:
    return bool(st.session_state.get(PAUSED, False))


def view(key: str, seed: Callable[[], Timeline]) -> View:
    """This viewer's state for one live page, created from the app's history on first sight."""
    views: dict[str, View] = st.session_state.setdefault(VIEWS, {})
    if key not in views:
        views[key] = View(seed())
    return views[key]


def forget_view(key: str) -> None:
    st.session_state.get(VIEWS, {}).pop(key, None)


def set_tab_title(title: str) -> None:
    """Carry the live state in the browser tab's title; app.py's next full run uses it too."""
    st.session_state[TAB_TITLE] = title
    st.set_page_config(page_title=title)


def tab_title() -> str:
    return st.session_state.get(TAB_TITLE, APP_NAME)


def _secrets() -> dict[str, Any]:
    try:
        return st.secrets.to_dict()
    except FileNotFoundError:
        return {}  # no secrets file at all: demo mode
    except Exception as exc:  # noqa: BLE001 - a malformed TOML file
        raise ConfigError(M_("The secrets file could not be read ({error}); check its TOML syntax: quotes around "
                             "text, [tables] on their own line.", error=type(exc).__name__)) from None


@st.cache_resource(show_spinner=False, on_release=lambda d: d.stop())
def demo():
    from lib.settings.demo import Demo

    return Demo()


def _fingerprint(config: AppConfig) -> str:
    """Every setting (secrets included, hashed): any change starts a new copy (a hand-picked list missed some,
    e.g. the links' signing secret)."""
    canon = json.dumps(dataclasses.asdict(config), default=str, sort_keys=True)
    return hashlib.sha256(canon.encode()).hexdigest()


def _stop(source: Source) -> None:
    source.stop()
    source.store.close()


@st.cache_resource(show_spinner=False, max_entries=1, on_release=_stop)
def _source(_config: AppConfig, fingerprint: str) -> OnDuty:
    """This process's copy for these settings (new secrets or "Clear cache" stop the old one first): it
    watches while it holds the database's lease and reads what the holder records otherwise; with
    ``[history] watcher = "external"`` it never watches."""
    store = HistoryStore(_config.history_url, clock=clock.now)
    from lib.views.digest import compose  # the weekly summary's content (issue #22)

    return OnDuty(_config, store, role="app", acquire=_config.watcher != "external", clock=clock.now,
                  keep_days=_config.keep_days, compose=compose).start()
