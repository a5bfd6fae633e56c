"""DocSpace Backup Monitor. ``streamlit run app.py`` starts the server and, with it, the watching, before
anyone visits; every browser session runs dashboard.py (the pages). On Streamlit Community Cloud the
"Main file path" is this file, app.py.

Beside the pages: ``GET /healthz`` (is the watching alive?) and, with ``[metrics] enabled = true``,
``GET /metrics`` (Prometheus).
"""

import streamlit as st

from lib.ui import server

app = st.App("dashboard.py", lifespan=server.lifespan, routes=server.routes())
