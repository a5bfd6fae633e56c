"""DocSpace Backup Monitor. ``streamlit run app.py`` starts the server and, with it, the watching, before
anyone visits; every browser session runs dashboard.py (the pages). On Streamlit Community Cloud the
"Main file path" is this file, app.py.

Beside the pages: ``GET /healthz`` (is the watching alive?) and, with ``[metrics] enabled = true``,
``GET /metrics`` (Prometheus).
"""

import runpy
from pathlib import Path

import streamlit as st

from lib.ui import server

app = st.App("dashboard.py", lifespan=server.lifespan, routes=server.routes())

if __name__ == "__main__":
    # Run as a page script, not served as the st.App above (a host that does not look for one): the
    # pages still work, and the watching starts with the first visit instead of with the server.
    runpy.run_path(str(Path(__file__).with_name("dashboard.py")), run_name="__main__")
