"""Streamlit glue shared by every page: settings, the shared monitor, the sidebar, the live view.

This is the one lib module that draws. It decides nothing about DocSpace: the words come from
:mod:`lib.status`, the figure from :mod:`lib.charts`, the data from :mod:`lib.monitor`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import tzinfo
from typing import Any

import streamlit as st

from lib import clock, humanize
from lib.charts import timeline_figure
from lib.config import AppConfig, PortalConfig, load
from lib.errors import ConfigError
from lib.export import timeline_csv
from lib.links import safe_download
from lib.models import Operation
from lib.monitor import Monitor
from lib.status import Level, Status, describe
from lib.text import clean, md_escape
from lib.timeline import Timeline

#: after a job ends, how often to look for the next one
AFTER_END_CHECK = 60
REFRESH_CHOICES = (2, 3, 5, 10, 15, 30, 60, 120, 300)
DUMP_CHOICES: dict[str, bool | None] = {
    "Any restore touching this portal": None,
    "This portal's own restore only": False,
    "Server-wide restore (self-hosted)": True,
}
_METRIC_HELP = {
    ("Time left", "—"): "An estimate appears once this phase has moved a few steps.",
    ("Time left", "finishing"): "DocSpace holds the percent still while it finishes; no estimate is possible.",
}
_LEVEL_BOX = {
    Level.OK: st.success, Level.FAILED: st.error, Level.WARNING: st.warning, Level.UNREACHABLE: st.error,
    Level.UNAUTHORIZED: st.error, Level.RUNNING: st.info, Level.RESTORING: st.info, Level.IDLE: st.info,
    Level.UNKNOWN: st.info,
}


# ---------------------------------------------------------------- settings and shared state


def read_config() -> AppConfig:
    """Validated settings, or demo settings; a bad secrets file stops the page with one sentence."""
    try:
        raw = _secrets()
        base = load(raw)
    except ConfigError as exc:
        st.error(f"**The app's settings need fixing.** {md_escape(exc.message, 600)}", icon=":material/settings:")
        st.caption("Edit `.streamlit/secrets.toml` (or the Secrets box on Community Cloud); see the README.")
        st.stop()
    if base.demo:
        return _demo().config(base)
    return base


def _secrets() -> dict[str, Any]:
    try:
        return st.secrets.to_dict()
    except FileNotFoundError:
        return {}  # no secrets file at all: demo mode
    except Exception as exc:  # noqa: BLE001 - a malformed TOML file
        raise ConfigError(f"The secrets file could not be read ({type(exc).__name__}); "
                          "check its TOML syntax: quotes around text, [tables] on their own line.") from None


@st.cache_resource(show_spinner=False)
def _demo():
    from lib.demo import Demo

    return Demo()


@st.cache_resource(show_spinner=False)
def _monitor(_config: AppConfig, fingerprint: str) -> Monitor:
    return Monitor(_config, clock=clock.now)


def monitor(config: AppConfig) -> Monitor:
    """The process-wide monitor for these settings (a change of secrets gets a new one)."""
    canon = json.dumps([[p.name, p.url, p.label, p.api_key, p.insecure] for p in config.portals]
                       + [config.refresh_seconds, config.stall_minutes, config.webhook_url])
    return _monitor(config, hashlib.sha256(canon.encode()).hexdigest())


def viewer_zone() -> tzinfo:
    try:
        return humanize.zone(st.context.timezone)
    except Exception:  # noqa: BLE001 - no browser context (tests, first run)
        return humanize.zone(None)


def kiosk() -> bool:
    return st.query_params.get("view") == "kiosk"


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


def selected_portal(config: AppConfig) -> PortalConfig:
    """The portal named in ``?portal=``, else this viewer's last choice, else the first one."""
    wanted = st.query_params.get("portal") or st.session_state.get("portal")
    portal = config.portal(wanted)
    st.session_state["portal"] = portal.name
    if st.query_params.get("portal") != portal.name:
        st.query_params["portal"] = portal.name
    return portal


def passcode_gate(config: AppConfig) -> None:
    """Ask for the viewer passcode, when one is set, before any portal data is shown."""
    if not config.passcode or st.session_state.get("_gate_ok"):
        return
    st.title("DocSpace Backup Monitor")
    with st.form("gate"):
        entered = st.text_input("Passcode", type="password", help="Ask the person who shared this link.")
        submitted = st.form_submit_button("Open the dashboard")
    if submitted:
        if hmac.compare_digest(entered.encode(), config.passcode.encode()):
            st.session_state["_gate_ok"] = True
            st.rerun()
        st.error("That passcode is not right. Try again, or ask the person who shared the link.")
    st.stop()


# ---------------------------------------------------------------- sidebar


def sidebar(config: AppConfig) -> None:
    """Portal picker, refresh interval and pause, drawn once by app.py for every page."""
    names = [p.name for p in config.portals]
    current = selected_portal(config)
    with st.sidebar:
        choice = st.selectbox("Portal", names, index=names.index(current.name),
                              format_func=lambda n: config.portal(n).label, key="_portal_picker")
        if choice != current.name:
            st.session_state["portal"] = choice
            st.query_params["portal"] = choice
            st.rerun()
        choices = refresh_choices(config)
        if st.session_state.get("refresh") not in choices:
            st.session_state["refresh"] = choices[0]
        st.select_slider("Check every", options=choices, key="refresh", format_func=lambda s: humanize.duration(s))
        st.toggle("Pause checking", key="paused", help="Stops checking for this browser tab only.")
        share_links(current)
        if config.demo:
            st.caption("Demo mode: simulated portals.")


def share_links(portal: PortalConfig) -> None:
    """Copyable links to this page for this portal: normal, and the wall-screen (kiosk) view."""
    try:
        base = st.context.url
    except Exception:  # noqa: BLE001 - no browser context (tests)
        base = None
    if not base:
        return
    link = f"{base}?portal={portal.name}"
    with st.expander("Share this view", icon=":material/link:"):
        st.caption("Copy a link to this page for this portal (the copy button is at the right):")
        st.code(link, language=None, wrap_lines=True)
        st.caption("Wall-screen view, large type and no controls:")
        st.code(link + "&view=kiosk", language=None, wrap_lines=True)


def refresh_choices(config: AppConfig) -> list[float]:
    """The intervals a viewer may pick: never faster than the configured one (the shared poll's)."""
    return [c for c in REFRESH_CHOICES if c >= config.refresh_seconds] or [config.refresh_seconds]


def refresh_seconds() -> float:
    """This viewer's interval; before the sidebar has drawn (kiosk view), the configured one."""
    chosen = st.session_state.get("refresh")
    return float(chosen) if chosen is not None else refresh_choices(read_config())[0]


def paused() -> bool:
    return bool(st.session_state.get("paused", False))


# ---------------------------------------------------------------- notices


def demo_notice(config: AppConfig) -> None:
    if config.demo:
        st.info("**Demo** — a simulated portal. Add yours in secrets (see README).", icon=":material/science:")


def insecure_notice(portal: PortalConfig) -> None:
    if portal.insecure:
        st.warning(f"The connection to {md_escape(portal.host)} is **not encrypted** (http://). "
                   "Anyone on the network path can read it.", icon=":material/lock_open:")


def needs_key(portal: PortalConfig) -> bool:
    """Backup endpoints need an admin key; say so in one sentence when there is none."""
    if portal.api_key:
        return False
    st.warning("Backup information needs an admin API key for this portal. Add `api_key = \"sk-…\"` under "
               f"`[portals.{portal.name}]` in the secrets (see the README section 'API key'). "
               "The Restore page works without one.", icon=":material/key:")
    st.page_link("app_pages/restore.py", label="Go to the Restore page", icon=":material/autorenew:",
                 query_params={"portal": portal.name})
    return True


# ---------------------------------------------------------------- live progress page


def progress_page(operation: Operation) -> None:
    """The live page for a restore or a backup: hero sentence, numbers, bar, timeline, history."""
    config = read_config()
    portal = selected_portal(config)
    mon = monitor(config)
    noun = operation.noun
    if kiosk():
        st.markdown(f"#### {md_escape(portal.label, 80)} · {noun} progress")
    else:
        demo_notice(config)
        insecure_notice(portal)
    if operation is Operation.BACKUP and needs_key(portal):
        return
    dump = DUMP_CHOICES[st.session_state.get("dump_choice", next(iter(DUMP_CHOICES)))] \
        if operation is Operation.RESTORE else None
    key = f"{portal.name}:{noun}:{dump}"
    watch_key = f"watching:{key}"
    st.session_state.setdefault(watch_key, True)
    # Live checks until the job ends; after that a slow check only looks for the next job (a wall
    # screen has no button to press); paused: none at all.
    watching = st.session_state[watch_key] and not paused()
    checking = not paused()
    interval = None if not checking else refresh_seconds() if watching else max(AFTER_END_CHECK, refresh_seconds())

    @st.fragment(run_every=interval)
    def live() -> None:
        timeline = _session_timeline(mon, portal, operation, dump, key)
        poller = mon.progress_poller(portal.name, operation, dump)
        slow_due = (clock.now() - (timeline.last_poll_at or 0.0)) >= AFTER_END_CHECK
        if watching or (checking and slow_due):
            poll = poller.poll()
            if poll is not None:
                timeline.record(poll.at, poll.result)
        now = clock.now()
        tz = viewer_zone()
        status = describe(timeline, now, tz, stall_floor=config.stall_minutes * 60)
        set_title(status, portal)
        draw_status(status, portal, noun)
        if operation is Operation.BACKUP and timeline.last_progress is not None:
            draw_download(timeline.last_progress.link, portal, status)
        draw_chart(timeline, tz, now, key)
        if mon.notifier.last_error and not kiosk():
            st.caption(md_escape(mon.notifier.last_error))
        _footer(timeline, poller.latest.next_at if poller.latest else None, now, tz, watching, checking)
        if not kiosk():
            _details(timeline, tz, now, noun, key)
        if timeline.phase.running:
            st.session_state[f"seen_running:{key}"] = True  # so only a change seen live gets a toast
            if not st.session_state[watch_key]:  # a new job started after the last one ended
                st.session_state[watch_key] = True
                st.rerun()
        if status.done and st.session_state.get(watch_key):
            st.session_state[watch_key] = False
            if st.session_state.pop(f"seen_running:{key}", False):
                st.toast(f"{status.headline}", icon=status.level.icon)
            st.rerun()

    live()
    if kiosk():
        return
    if not st.session_state[watch_key]:
        cols = st.columns([1, 1, 3])
        if cols[0].button("Watch again", icon=":material/autorenew:", help="Start checking this portal again."):
            st.session_state[watch_key] = True
            mon.progress_poller(portal.name, operation, dump).retry_now()
            st.rerun()
        if config.demo and cols[1].button("Restart the demo", help="Run the simulated job again from 0%."):
            _demo().restart(portal.name)
            st.session_state[watch_key] = True
            st.session_state.pop(f"timeline:{key}", None)
            mon.progress_poller(portal.name, operation, dump).retry_now()
            st.rerun()
    if operation is Operation.RESTORE:
        with st.expander("Which restore to watch", icon=":material/tune:"):
            st.radio("Restore", list(DUMP_CHOICES), key="dump_choice", label_visibility="collapsed",
                     help="Self-hosted servers can restore every portal at once (a 'dump'); "
                          "DocSpace cloud always watches this portal.")


def _session_timeline(mon: Monitor, portal: PortalConfig, operation: Operation, dump: bool | None,
                      key: str) -> Timeline:
    """This viewer's history, seeded from what the app recorded before the viewer arrived."""
    state_key = f"timeline:{key}"
    if state_key not in st.session_state:
        st.session_state[state_key] = mon.recorded(portal.name, operation, dump)
    return st.session_state[state_key]


def set_title(status: Status, portal: PortalConfig) -> None:
    """Carry the live state in the browser tab title, for a viewer whose tab is in the background."""
    st.session_state["_tab_title"] = f"{status.title} · {portal.label}"  # app.py's next full run uses it too
    st.set_page_config(page_title=st.session_state["_tab_title"])


def draw_status(status: Status, portal: PortalConfig, noun: str) -> None:
    big = kiosk()
    box = _LEVEL_BOX[status.level]
    headline = md_escape(status.headline, 200)
    if big:
        st.markdown(f"# {status.level.icon} {headline}")
    else:
        box(f"#### {headline}", icon=status.level.icon)
    if status.numbers:
        for column, (label, value) in zip(st.columns(len(status.numbers)), status.numbers, strict=True):
            column.metric(label, value, border=True, help=_METRIC_HELP.get((label, value)))
    if status.percent is not None:
        st.progress(status.percent / 100)
    facts = list(status.facts)
    if status.eta:
        facts.insert(0, status.eta)
    if facts:
        line = " · ".join(md_escape(f, 200) for f in facts)
        st.markdown(f"### {line}" if big else line)
    if status.portal_text:
        said = "The portal says" if status.level is not Level.WARNING else "The portal's note"
        box = st.error if status.level is Level.FAILED else st.warning
        box(f"**{said}:** {md_escape(status.portal_text)}", icon=":material/chat:")
    if status.notice:
        (st.warning if status.level in (Level.WARNING, Level.RUNNING) else st.error)(
            md_escape(status.notice, 600), icon=":material/warning:")
    if status.level is Level.RESTORING:
        st.page_link("app_pages/restore.py", label="Watch the restore", icon=":material/autorenew:",
                     query_params={"portal": portal.name})


def draw_download(link: str, portal: PortalConfig, status: Status) -> None:
    if not link or status.level not in (Level.OK, Level.WARNING):
        return
    url = safe_download(link, portal.url)
    if url:
        st.link_button("Download the backup", url, icon=":material/download:")
    else:
        st.caption("The portal gave this download location (not opened, as it points outside the portal):")
        st.text(clean(link, 300))


def draw_chart(timeline: Timeline, tz: tzinfo, now: float, key: str) -> None:
    if len(timeline.progress_points) < 2:
        return  # one point is not a timeline (we arrived after the job ended)
    fig = timeline_figure(timeline, tz, now)
    st.plotly_chart(fig, key=f"chart:{key}", config={"displaylogo": False, "displayModeBar": False},
                    alt="Percent done over time")


def _footer(timeline: Timeline, next_at: float | None, now: float, tz: tzinfo, watching: bool,
            checking: bool) -> None:
    if timeline.last_poll_at is None:
        return
    text = f"Last checked {humanize.clock(timeline.last_poll_at, tz, now, seconds=True)}"
    if not checking:
        text += " · paused: not checking"
    elif not watching:
        text += f" · finished; looking for a new job every {humanize.duration(max(AFTER_END_CHECK, refresh_seconds()))}"
    elif next_at is not None:
        wait = max(0.0, next_at - now)
        text += f" · next check in {humanize.duration(max(wait, refresh_seconds()))}"
        if timeline.failures > 1:
            text += f" (waiting longer after {timeline.failures} failed checks)"
    st.caption(text)


def _details(timeline: Timeline, tz: tzinfo, now: float, noun: str, key: str) -> None:
    progress = timeline.last_progress
    with st.expander("Details", expanded=False):
        if progress is not None:
            tenants = timeline.tenants
            rows = {
                "Percent": f"{progress.progress}%",
                "Completed": "yes" if progress.is_completed else "no",
                "Operation": progress.operation.noun,
                "Error": progress.error or "none",
                "Tenant": " → ".join(map(str, tenants)) + (" (changed during the restore: normal)"
                                                             if len(tenants) > 1 else ""),
                "Task id": progress.task_id or "—",
            }
            st.markdown("  \n".join(f"**{name}:** {md_escape(value, 200)}" for name, value in rows.items()))
        st.caption(f"{len(timeline.points)} change points over {timeline.polls} checks. Times in "
                   f"{humanize.zone_label(tz)}.")
        st.download_button("Download the history (CSV)", timeline_csv(timeline, tz),
                           file_name=f"{noun}-history.csv", mime="text/csv", key=f"csv:{key}")
