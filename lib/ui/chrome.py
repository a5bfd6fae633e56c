"""The frame around every page: the passcode gate, the sidebar, the kiosk look, and one-line notices."""

from __future__ import annotations

import hmac

import streamlit as st

from lib import i18n
from lib.i18n import Viewer
from lib.settings.config import AppConfig, PortalConfig
from lib.settings.errors import ConfigError
from lib.text import md_escape
from lib.ui import signin, state
from lib.ui.state import Context
from lib.views import unwatched as unwatched_words


def settings_error(exc: ConfigError, v: Viewer) -> None:
    st.error(v._("**The app's settings need fixing.** {problem}", problem=md_escape(v.say(exc.said), 600)),
             icon=":material/settings:")
    st.caption(v._("Edit `.streamlit/secrets.toml` (or the Secrets box on Community Cloud); see docs/settings.md."))


def passcode_gate(config: AppConfig, v: Viewer) -> None:
    """Ask for the viewer passcode, when one is set, before any portal data is shown."""
    if not state.passcode_needed(config):
        return
    st.title(state.APP_NAME)
    with st.form("gate"):
        entered = st.text_input(v._("Passcode"), type="password", help=v._("Ask the person who shared this link."))
        submitted = st.form_submit_button(v._("Open the dashboard"))
    if submitted:
        if hmac.compare_digest(entered.encode(), config.passcode.encode()):
            st.session_state[state.PASSCODE_OK] = True
            st.rerun()
        st.error(v._("That passcode is not right. Try again, or ask the person who shared the link."))
    st.stop()


#: long words (file names, addresses) break at the edge of their box, without a character added to what is
#: copied (an invisible joiner or a soft hyphen would ride along into DocSpace's search box)
WRAP_STYLE = """<style>
  [data-testid="stMarkdownContainer"], [data-testid="stAlertContentInfo"], [data-testid="stCaptionContainer"],
  [data-testid="stMetricValue"], [data-testid="stText"] { overflow-wrap: anywhere; word-break: normal; }
</style>"""


def frame(ctx: Context) -> None:
    """The kiosk look, or the sidebar: drawn once by app.py for every page."""
    v = ctx.viewer
    st.html(WRAP_STYLE)
    if ctx.kiosk:
        kiosk_style()
    else:
        sidebar(ctx)
    if ctx.config.notes and not st.session_state.get(state.NOTES_SAID):  # once per viewer, not every run
        st.session_state[state.NOTES_SAID] = True
        st.info(" ".join(md_escape(v.say(note), 300) for note in ctx.config.notes), icon=":material/settings:")
    if ctx.unknown_portal:  # on every page and view, above the page: the viewer may expect another portal
        st.warning(md_escape(v._("There is no portal named '{name}' here; showing {label}. Check the link you were "
                                 "given.", name=ctx.unknown_portal[:40], label=ctx.portal.label_for(v)), 300),
                   icon=":material/help:")


def kiosk_style() -> None:
    """Wall-screen view: no sidebar, no toolbar, large type. Our own static CSS only."""
    st.html("""<style>
      [data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], header[data-testid="stHeader"],
      [data-testid="stToolbar"] { display: none !important; }
      .stMainBlockContainer { padding-top: 1.5rem; }
      [data-testid="stMetricValue"] { font-size: 3.2rem !important; }
      [data-testid="stMetricLabel"] p { font-size: 1.2rem !important; }
      [data-testid="stProgress"] > div > div { height: 1.2rem; }
    </style>""")


def sidebar(ctx: Context) -> None:
    """Portal picker, refresh interval and pause, the language, and the links to share."""
    config, current, v = ctx.config, ctx.portal, ctx.viewer
    names = [p.name for p in config.portals]
    with st.sidebar:
        choice = st.selectbox(v._("Portal"), names, index=names.index(current.name),
                              format_func=lambda n: config.portal(n).label_for(v), key=state.PORTAL_PICKER)
        if choice != current.name:
            state.choose_portal(choice)
            st.rerun()
        choices = state.refresh_choices(config)
        if st.session_state.get(state.REFRESH) not in choices:
            st.session_state[state.REFRESH] = choices[0]
        st.select_slider(v._("Check every"), options=choices, key=state.REFRESH, format_func=v.duration)
        st.toggle(v._("Pause checking"), key=state.PAUSED, help=v._("Stops checking for this browser tab only."))
        language_picker(v)
        share_links(current, v)
        if config.demo:
            st.caption(v._("Demo mode: simulated portals."))
    signin.sidebar(config, v)


def language_picker(v: Viewer) -> None:
    """The languages the app speaks, each in its own name; the choice goes into the address bar (?lang=)."""
    codes = list(i18n.SHIPPED)
    current = v.language if v.language in codes else "en"
    chosen = st.selectbox(v._("Language"), codes, index=codes.index(current), format_func=i18n.SHIPPED.get,
                          key=state.LANGUAGE_PICKER)
    if chosen != current:
        state.choose_language(chosen)
        st.rerun()


def share_links(portal: PortalConfig, v: Viewer) -> None:
    """Copyable links to this page for this portal: normal, and the wall-screen (kiosk) view."""
    try:
        base = st.context.url
    except Exception:  # noqa: BLE001 - no browser context (tests)
        base = None
    if not base:
        return
    link = f"{base}?portal={portal.name}"
    if st.session_state.get(state.LANGUAGE):  # a language chosen here travels with the link
        link += f"&lang={v.language.replace('_', '-')}"
    with st.expander(v._("Share this view"), icon=":material/link:"):
        st.caption(v._("Copy a link to this page for this portal (the copy button is at the right):"))
        st.code(link, language=None, wrap_lines=True)
        st.caption(v._("Wall-screen view, large type and no controls:"))
        st.code(link + "&view=kiosk", language=None, wrap_lines=True)


def notices(ctx: Context, *, about_portal: bool = True) -> None:
    """The demo notice and, for a plain-http portal, that the connection is not encrypted."""
    v = ctx.viewer
    if ctx.config.demo:
        st.info(v._("**Demo** — a simulated portal. Add yours in secrets (see docs/settings.md)."),
                icon=":material/science:")
    if about_portal and ctx.portal.insecure:
        st.warning(v._("The connection to {host} is **not encrypted** (http://). Anyone on the network path can "
                       "read it.", host=md_escape(ctx.portal.host)), icon=":material/lock_open:")


def needs_key(portal: PortalConfig, v: Viewer) -> bool:
    """Backup endpoints need an admin key; say so in one sentence when there is none."""
    if portal.api_key:
        return False
    st.warning(v._("Backup information needs an admin API key for this portal. Add `api_key = \"sk-…\"` under "
                   "`[portals.{name}]` in the secrets (see 'API key' in docs/settings.md). The Restore page works "
                   "without one.", name=portal.name), icon=":material/key:")
    restore_link(portal, v._("Go to the Restore page"))
    return True


def restore_link(portal: PortalConfig, label: str) -> None:
    st.page_link("app_pages/restore.py", label=label, icon=":material/autorenew:",
                 query_params={"portal": portal.name})


def history_notice(ctx: Context) -> None:
    """One sentence each while the history is not being saved, cannot be read (the page shows what was read
    last), or was started anew. Drawn inside the timers, after the page has read, so it comes and goes."""
    store = ctx.source.store
    for said in filter(None, (store.problem, store.unreadable, store.replaced)):
        st.warning(md_escape(ctx.viewer.say(said), 400), icon=":material/database:")


def unwatched(ctx: Context, now: float) -> None:
    """At the top of a page that is not a live progress page (those say it in their hero): nobody watches."""
    found = ctx.source.unwatched()
    if found is not None:
        v = ctx.viewer
        st.warning(f"**{md_escape(unwatched_words.headline(found, v, now), 300)}** "
                   f"{md_escape(unwatched_words.what_to_do(found, v), 300)}", icon=":material/visibility_off:")
