"""The script every browser session runs: settings once, the gates, navigation and the frame of every page.

The app is started with ``streamlit run app.py`` (app.py serves this script, and watches from boot).
"""

import streamlit as st

from lib.settings.errors import ConfigError
from lib.ui import chrome, signin, state

viewer = state.viewer()  # the language and zone, known before anything is drawn (the gates speak it too)
st.set_page_config(page_title=state.tab_title(), page_icon=":material/dns:",
                   layout="wide" if state.kiosk() else "centered")
try:
    config = state.read_config()
except ConfigError as exc:
    chrome.settings_error(exc, viewer)
    st.stop()
signin.gate(config, viewer)  # with [auth]: signed in and on the list, or nothing else runs
titles = {name: viewer._(title) for name, title in state.PAGE_TITLES.items()}
# the navigation before the passcode box: the page a shared link asked for (/history?portal=x) is the
# page this session is on, so it is the one shown once the passcode is entered
page = st.navigation([
    st.Page("app_pages/restore.py", title=titles["restore"], icon=":material/settings_backup_restore:", default=True),
    st.Page("app_pages/backup.py", title=titles["backup"], icon=":material/backup:", url_path="backup"),
    st.Page("app_pages/backups.py", title=titles["backups"], icon=":material/history:", url_path="backups"),
    st.Page("app_pages/portals.py", title=titles["portals"], icon=":material/dns:", url_path="portals"),
    st.Page("app_pages/history.py", title=titles["history"], icon=":material/calendar_month:", url_path="history"),
], position="hidden" if state.kiosk() or state.passcode_needed(config) else "sidebar")
chrome.passcode_gate(config, viewer)
ctx = state.start(config, viewer)
chrome.frame(ctx)
page.run()
