"""All portals: one line per configured portal with its current operation, health and last backup."""

import streamlit as st

from lib import clock, dashboard
from lib.models import Operation
from lib.overview import portal_line
from lib.text import md_escape

st.title("All portals")
config = dashboard.read_config()
mon = dashboard.monitor(config)
dashboard.demo_notice(config)


@st.fragment(run_every=None if dashboard.paused() else dashboard.refresh_seconds())
def overview() -> None:
    now = clock.now()
    for portal in config.portals:
        restore_poller = mon.progress_poller(portal.name, Operation.RESTORE)
        restore_poller.poll()
        restore = mon.recorded(portal.name, Operation.RESTORE)
        backup = backups = None
        if portal.api_key:
            mon.progress_poller(portal.name, Operation.BACKUP).poll()
            backup = mon.recorded(portal.name, Operation.BACKUP)
            poll = mon.backups_poller(portal.name).poll()
            backups = poll.result if poll else None
        line = portal_line(restore, backup, backups, now, config.stall_minutes * 60)
        with st.container(border=True):
            name, state, last = st.columns([3, 3, 2])
            name.page_link("app_pages/restore.py", label=portal.label, icon=":material/dns:",
                           query_params={"portal": portal.name})
            name.badge(f"{line.level.icon} {line.level.value}", color=_COLOR[line.level.value])
            state.markdown(f"**Now:** {md_escape(line.activity)}")
            if line.note:
                state.caption(md_escape(line.note, 200))
            last.markdown(f"**Last backup:** {md_escape(line.last_backup)}")
            if portal.api_key:
                last.page_link("app_pages/backups.py", label="Backups", icon=":material/folder:",
                               query_params={"portal": portal.name})


_COLOR = {"ok": "green", "idle": "gray", "running": "blue", "warning": "orange", "failed": "red",
          "unreachable": "red", "not authorized": "violet", "restoring": "blue", "waiting": "gray"}

overview()
