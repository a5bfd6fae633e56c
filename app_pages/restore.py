"""Restore progress: is a restore running, how far, which phase, since when, how long left, did it fail."""

import streamlit as st

from lib import dashboard
from lib.models import Operation

if not dashboard.kiosk():
    st.title("Restore progress")
dashboard.progress_page(Operation.RESTORE)
