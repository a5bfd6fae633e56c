"""All portals: one line per configured portal with its current operation, health and last backup."""

import streamlit as st

from lib import clock
from lib.text import md_escape
from lib.ui import chrome, state
from lib.views.known import portal_known
from lib.views.portals import portal_line

ctx = state.context()
v = ctx.viewer
st.title(v._(state.PAGE_TITLES["portals"]))
chrome.notices(ctx, about_portal=False)


EVERY = None if state.paused() else state.refresh_seconds(ctx.config)


@st.fragment(run_every=EVERY)
def overview() -> None:
    now = clock.now()
    chrome.unwatched(ctx, now)
    lines = [portal_line(*ctx.source.overview(portal.name, look=EVERY), now, ctx.config.stall_minutes * 60, v,
                         portal_known(ctx.source.store, portal.name, now) if portal.api_key else None,
                         portal.label_for(v)) for portal in ctx.config.portals]
    chrome.history_notice(ctx)  # after the reads: it says whether they could be made
    for portal, line in zip(ctx.config.portals, lines, strict=True):
        with st.container(border=True):
            name, now_col, last = st.columns([3, 3, 2])
            name.page_link("app_pages/restore.py", label=md_escape(portal.label_for(v), 80), icon=":material/dns:",
                           query_params={"portal": portal.name})
            name.badge(f"{line.level.icon} {v._(line.level.value)}", color=line.level.color)
            now_col.markdown(v._("**Now:** {activity}", activity=md_escape(line.activity)))
            if line.note:
                now_col.caption(md_escape(line.note, 400))
            last.markdown(v._("**Last backup:** {when}", when=md_escape(line.last_backup)))
            if portal.api_key:
                last.page_link("app_pages/backups.py", label=v._(state.PAGE_TITLES["backups"]),
                               icon=":material/folder:", query_params={"portal": portal.name})


overview()
