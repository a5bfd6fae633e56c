"""DocSpace Backup Monitor: entry point. Page config, sign-in and passcode gates, navigation, the shared sidebar."""

import streamlit as st

from lib import dashboard
from lib.ui import signin

st.set_page_config(
    page_title=st.session_state.get("_tab_title", "DocSpace Backup Monitor"),
    page_icon=":material/dns:",
    layout="wide" if dashboard.kiosk() else "centered",
)
config = dashboard.read_config()
signin.gate(config)  # with [auth]: signed in and on the list, or nothing else runs
dashboard.passcode_gate(config)

pages = [
    st.Page("app_pages/restore.py", title="Restore progress", icon=":material/settings_backup_restore:", default=True),
    st.Page("app_pages/backup.py", title="Backup progress", icon=":material/backup:", url_path="backup"),
    st.Page("app_pages/backups.py", title="Backups", icon=":material/history:", url_path="backups"),
    st.Page("app_pages/portals.py", title="All portals", icon=":material/dns:", url_path="portals"),
]
page = st.navigation(pages, position="hidden" if dashboard.kiosk() else "sidebar")
if dashboard.kiosk():
    dashboard.kiosk_style()
else:
    dashboard.sidebar(config)
    signin.sidebar(config)
page.run()
