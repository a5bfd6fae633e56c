"""Backups: the backup files, the schedule in words, when the last backup ran, whether one is overdue or
automatic backups stopped, and in Details where the backups are known from."""

import streamlit as st

from lib import clock
from lib.text import md_escape
from lib.ui import chrome, state, subscribe
from lib.ui.strip import draw_strip
from lib.views.backups import backups_view
from lib.views.export import backup_table, backups_csv
from lib.views.history import portal_strip
from lib.views.known import portal_known
from lib.watching.endpoint import BACKUPS_LOOKED

ctx = state.context()
v = ctx.viewer
st.title(v._(state.PAGE_TITLES["backups"]))
chrome.notices(ctx)


EVERY = None if state.paused() else max(state.refresh_seconds(ctx.config), 10)


@st.fragment(run_every=EVERY)
def backups() -> None:
    chrome.unwatched(ctx, clock.now())
    answer = ctx.source.backups(ctx.portal.name, look=EVERY)
    restore = ctx.source.latest(ctx.portal.name, "restore")
    now = clock.now()
    label = ctx.portal.label_for(v)
    view = backups_view(answer, restore, BACKUPS_LOOKED, now, v, portal_known(ctx.source.store, ctx.portal.name, now),
                        label)
    chrome.history_notice(ctx)
    if view.state == "checking":
        st.info(v._("Checking the portal…"), icon=":material/hourglass_top:")
        return
    if view.state == "restoring":
        st.info(v._("The portal is being restored; backups are unavailable until it finishes."),
                icon=":material/autorenew:")
        chrome.restore_link(ctx.portal, v._("Watch the restore"))
        return
    if view.state == "plan":
        st.info(md_escape(view.problem, 400), icon=":material/credit_card_off:")
        st.caption(view.checked)
        return
    if view.state == "problem":
        st.error(md_escape(view.problem, 400), icon=":material/lock:" if view.locked else ":material/cloud_off:")
        st.caption(view.checked)
        return
    if view.stopped:
        st.error(md_escape(view.stopped, 500), icon=":material/event_busy:")
    if view.overdue:
        st.warning(f"**{view.overdue[0]}** {md_escape(view.overdue[1])}", icon=":material/alarm:")
    for column, tile in zip(st.columns(3), view.tiles, strict=False):
        column.metric(tile.label, tile.value, help=tile.help, border=True)
    if view.schedule:
        st.markdown(v._("**Schedule:** {schedule}", schedule=md_escape(view.schedule)))
    elif not view.stopped:
        st.caption(v._("No automatic backup schedule is set on this portal."))
    st.subheader(v._("The last 30 days"))
    draw_strip(portal_strip(ctx.source.store, ctx.portal.name, answer.result, now, v, label), ctx.portal.name, v,
               big=ctx.kiosk, alarm=False)  # said above
    st.page_link("app_pages/history.py", label=v._("Every recorded restore and backup"),
                 icon=":material/calendar_month:", query_params={"portal": ctx.portal.name})
    st.subheader(v._("Backup files"))
    if not view.files:
        st.info(v._("The portal has no backup files."), icon=":material/folder:")
    else:
        st.dataframe(backup_table(list(view.files), v), hide_index=True, width="stretch")
        files = list(view.files)
        st.download_button(v._("Download the list (CSV)"), lambda: backups_csv(files, v), on_click="ignore",
                           file_name="backups.csv", mime="text/csv")
    st.caption(view.checked)
    if view.details and not ctx.kiosk:
        with st.expander(v._("Details"), icon=":material/info:"):
            st.markdown("\n".join(f"- {md_escape(line, 600)}" for line in view.details))
    if ctx.source.running and not ctx.kiosk:  # an app that only reads cannot hurry the watcher
        st.button(v._("Check now"), icon=":material/refresh:", key=state.CHECK_BACKUPS,
                  on_click=lambda: ctx.source.check_now(ctx.portal.name, "backups"),
                  help=v._("Read the portal's backup list and schedule again now."))


if not chrome.needs_key(ctx.portal, v):
    backups()

subscribe.form(ctx, "digest")  # "Send me a weekly summary" (issue #22)
