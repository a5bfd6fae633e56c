"""The live progress view of a restore or a backup: hero sentence, numbers, bar, timeline, details.

Words come from :mod:`lib.views.status`, the figure from :mod:`lib.views.charts`, the checking rhythm from
:mod:`lib.views.rhythm`; this module only asks for the data and lays it out.
"""

from __future__ import annotations

import streamlit as st

from lib import clock, timewords
from lib.i18n import N_, Viewer
from lib.jobs.forecast import Past
from lib.jobs.timeline import Timeline
from lib.links import safe_download
from lib.portal.models import Operation
from lib.settings.config import PortalConfig
from lib.text import clean, md_escape
from lib.ui import chrome, state, subscribe
from lib.ui.state import Context
from lib.views.duty import watched_by
from lib.views.export import timeline_csv
from lib.views.progress import LiveView, live_view
from lib.views.rhythm import Change
from lib.views.status import Level, Status

#: which restore to watch: any touching this portal, its own, or a server-wide one (self-hosted)
DUMP_CHOICES: dict[str, bool | None] = {
    N_("Any restore touching this portal"): None,
    N_("This portal's own restore only"): False,
    N_("Server-wide restore (self-hosted)"): True,
}
_LEVEL_BOX = {
    Level.OK: st.success, Level.FAILED: st.error, Level.WARNING: st.warning, Level.UNREACHABLE: st.error,
    Level.UNAUTHORIZED: st.error, Level.RUNNING: st.info, Level.RESTORING: st.info, Level.IDLE: st.info,
    Level.WAITING: st.info,
}


def progress_page(ctx: Context, operation: Operation) -> None:
    """The live page for a restore or a backup."""
    portal, source, noun, v = ctx.portal, ctx.source, operation.noun, ctx.viewer
    if ctx.kiosk:
        st.markdown("#### " + md_escape(v.k_(noun, "{label} · {noun} progress", label=portal.label_for(v)), 120))
    else:
        st.title(v._(state.PAGE_TITLES[noun]))
        chrome.notices(ctx)
    if operation is Operation.BACKUP and chrome.needs_key(portal, v):
        return
    dump = DUMP_CHOICES[st.session_state.get(state.DUMP_CHOICE, next(iter(DUMP_CHOICES)))] \
        if operation is Operation.RESTORE else None
    key = f"{portal.name}:{noun}:{dump}"
    view = state.view(key, lambda: source.progress(portal.name, operation, dump))
    refresh, paused = state.refresh_seconds(ctx.config), state.paused()
    every = view.rhythm.interval(refresh, paused)

    @st.fragment(run_every=every)
    def live() -> None:
        if not paused:
            view.timeline = source.progress(portal.name, operation, dump, look=every)
        now = clock.now()
        past = source.past(portal.name, operation, dump)
        shown = live_view(view.timeline, past, v, ctx.config.stall_minutes * 60, now, source.unwatched())
        status = shown.status
        state.set_tab_title(f"{status.title} · {portal.label_for(v)}")
        _draw_status(status, portal, ctx.kiosk, v)
        if status.ended:
            _draw_ended(status.ended, past, portal, ctx.kiosk, v)
        if operation is Operation.BACKUP and view.timeline.last_progress is not None:
            _draw_download(view.timeline.last_progress.link, portal, status, v)
        if shown.figure is not None:
            st.plotly_chart(shown.figure, key=f"chart:{key}", alt=v._("Percent done over time"),
                            config={"displaylogo": False, "displayModeBar": False})
        if not ctx.kiosk:
            chrome.history_notice(ctx)
            for failed in filter(None, (source.notifier.last_error, source.outbox.last_error)):
                st.caption(md_escape(v.say(failed)))
        footer = view.rhythm.footer(view.timeline.last_poll_at, source.next_check(portal.name, noun, dump),
                                    view.timeline.failures, now, v, refresh, paused, view.timeline.gaps)
        if footer:
            st.caption(footer)
        if not ctx.kiosk:
            _details(shown, view.timeline, v, noun, key, watched_by(source.holder(), v, now))
        change = view.rhythm.observe(view.timeline.phase.running, status.done)
        if change is Change.ENDED_WATCHED:
            st.toast(status.headline, icon=status.level.icon)
        if change is not Change.NONE:
            st.rerun()  # the timer's interval changes with the rhythm: only a full run can set it

    live()
    if not ctx.kiosk:
        subscribe.form(ctx, noun, running=view.timeline.phase.running, operation=view.timeline.run_id or "")
        _controls(ctx, operation, dump, key, view)


def _controls(ctx: Context, operation: Operation, dump: bool | None, key: str, view: state.View) -> None:
    """After the end: "Watch again" (and in demo mode "Restart the demo"); the restore choice."""
    v = ctx.viewer
    if not view.rhythm.live:
        cols = st.columns([1, 1, 3])
        if cols[0].button(v._("Watch again"), icon=":material/autorenew:",
                          help=v._("Start checking this portal again.")):
            view.rhythm.live_again()
            ctx.source.check_now(ctx.portal.name, operation.noun, dump)
            st.rerun()
        if ctx.config.demo and cols[1].button(v._("Restart the demo"),
                                              help=v._("Run the simulated job again from 0%.")):
            state.demo().restart(ctx.portal.name)
            state.forget_view(key)
            ctx.source.check_now(ctx.portal.name, operation.noun, dump)
            st.rerun()
    if operation is Operation.RESTORE:
        with st.expander(v._("Which restore to watch"), icon=":material/tune:"):
            st.radio(v._("Restore"), list(DUMP_CHOICES), key=state.DUMP_CHOICE, label_visibility="collapsed",
                     format_func=v._,
                     help=v._("Self-hosted servers can restore every portal at once (a 'dump'); DocSpace cloud "
                              "always watches this portal."))


def _draw_status(status: Status, portal: PortalConfig, big: bool, v: Viewer) -> None:
    headline = md_escape(status.headline, 200)
    if big:
        st.markdown(f"# {status.level.icon} {headline}")
    else:
        _LEVEL_BOX[status.level](f"#### {headline}", icon=status.level.icon)
    if status.numbers:
        for column, number in zip(st.columns(len(status.numbers)), status.numbers, strict=True):
            column.metric(number.label, number.value, border=True, help=number.help)
    if status.percent is not None:
        st.progress(status.percent / 100)
    facts = ([status.eta] if status.eta else []) + list(status.facts)
    if facts:
        line = " · ".join(md_escape(f, 200) for f in facts)
        st.markdown(f"### {line}" if big else line)
    if status.portal_text:
        box = st.error if status.level is Level.FAILED else st.warning
        box(f"**{md_escape(status.portal_label, 80)}:** {md_escape(status.portal_text)}", icon=":material/chat:")
    if status.notice:
        (st.warning if status.level in (Level.WARNING, Level.RUNNING) else st.error)(
            md_escape(status.notice, 600), icon=":material/warning:")
    if status.level is Level.RESTORING:
        chrome.restore_link(portal, v._("Watch the restore"))


def _draw_ended(sentence: str, past: Past, portal: PortalConfig, big: bool, v: Viewer) -> None:
    """How the last one ended, under the hero, with its timeline one click away."""
    st.markdown(f"### {md_escape(sentence, 300)}" if big else md_escape(sentence, 300))
    if past.last is not None and not big:
        st.page_link("app_pages/history.py", label=v._("See its timeline"), icon=":material/timeline:",
                     query_params={"portal": portal.name, "operation": past.last.id})


def _draw_download(link: str, portal: PortalConfig, status: Status, v: Viewer) -> None:
    if not link or status.level not in (Level.OK, Level.WARNING):
        return
    url = safe_download(link, portal.url)
    if url:
        st.link_button(v._("Download the backup"), url, icon=":material/download:")
    else:
        st.caption(v._("The portal gave this download location (not opened, as it points outside the portal):"))
        st.text(clean(link, 300))


def _details(shown: LiveView, timeline: Timeline, v: Viewer, noun: str, key: str,
             watcher: tuple[str, str] | None) -> None:
    with st.expander(v._("Details"), expanded=False):
        rows = shown.details + ((watcher,) if watcher else ())
        if rows:
            st.markdown("  \n".join(f"**{md_escape(name, 80)}:** {md_escape(value, 200)}" for name, value in rows))
        st.caption(v._("{counts} Times in {zone}.", counts=shown.counts, zone=timewords.zone_label(v.tz)))
        st.download_button(v._("Download the history (CSV)"), lambda: timeline_csv(timeline, v), on_click="ignore",
                           file_name=f"{noun}-history.csv", mime="text/csv", key=f"csv:{key}")
