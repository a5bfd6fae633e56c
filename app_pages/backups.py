"""Backups: the backup files, the schedule in words, when the last backup ran, and whether one is overdue."""

import streamlit as st

from lib import clock
from lib.text import md_escape
from lib.ui import chrome, state
from lib.ui.strip import draw_strip
from lib.views.backups import backups_view
from lib.views.export import backup_table, backups_csv
from lib.views.history import portal_strip
from lib.watching.endpoint import BACKUPS_LOOKED

ctx = state.context()
st.title("Backups")
chrome.notices(ctx)


EVERY = None if state.paused() else max(state.refresh_seconds(ctx.config), 10)


@st.fragment(run_every=EVERY)
def backups() -> None:
    answer = ctx.source.backups(ctx.portal.name, look=EVERY)
    restore = ctx.source.latest(ctx.portal.name, "restore")
    now = clock.now()
    view = backups_view(answer, restore, BACKUPS_LOOKED, now, ctx.tz)
    chrome.history_notice(ctx)
    if view.state == "checking":
        st.info("Checking the portal…", icon=":material/hourglass_top:")
        return
    if view.state == "restoring":
        st.info("The portal is being restored; backups are unavailable until it finishes.", icon=":material/autorenew:")
        chrome.restore_link(ctx.portal)
        return
    if view.state == "problem":
        st.error(md_escape(view.problem, 400), icon=":material/lock:" if view.locked else ":material/cloud_off:")
        st.caption(view.checked)
        return
    if view.overdue:
        st.warning(f"**{view.overdue[0]}** {md_escape(view.overdue[1])}", icon=":material/alarm:")
    for column, tile in zip(st.columns(3), view.tiles, strict=False):
        column.metric(tile.label, tile.value, help=tile.help, border=True)
    if view.schedule:
        st.markdown(f"**Schedule:** {md_escape(view.schedule)}")
    else:
        st.caption("No automatic backup schedule is set on this portal.")
    st.subheader("The last 30 days")
    draw_strip(portal_strip(ctx.source.store, ctx.portal.name, answer.result, now, ctx.tz), ctx.portal.name,
               big=ctx.kiosk)
    st.page_link("app_pages/history.py", label="Every recorded restore and backup", icon=":material/calendar_month:",
                 query_params={"portal": ctx.portal.name})
    st.subheader("Backup files")
    if not view.files:
        st.info("The portal has no backup files.", icon=":material/folder:")
    else:
        st.dataframe(backup_table(list(view.files), ctx.tz), hide_index=True, width="stretch")
        files = list(view.files)
        st.download_button("Download the list (CSV)", lambda: backups_csv(files, ctx.tz), on_click="ignore",
                           file_name="backups.csv", mime="text/csv")
    st.caption(view.checked)
    if ctx.source.running and not ctx.kiosk:  # an app that only reads cannot hurry the watcher
        st.button("Check now", icon=":material/refresh:", key=state.CHECK_BACKUPS,
                  on_click=lambda: ctx.source.check_now(ctx.portal.name, "backups"),
                  help="Read the portal's backup list and schedule again now.")


if not chrome.needs_key(ctx.portal):
    backups()
