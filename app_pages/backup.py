"""Backup progress: the same live view for a backup, with the download link when it is done."""

import streamlit as st

from lib import dashboard
from lib.models import Operation

if not dashboard.kiosk():
    st.title("Backup progress")
dashboard.progress_page(Operation.BACKUP)
