"""The AppTest harness every page test uses: the app with secrets pointing at simulators, and its words.

One AppTest run is one timer tick, and every test ticks through the ``tick`` fixture (tests/conftest.py):
the manual clock moves, the watcher fetches what is due and records it, the app runs (no exception
allowed), and the watcher settles again before the test looks. To open another page, tick
``at.switch_page("app_pages/backup.py")``.
"""

from __future__ import annotations

import re

from streamlit.testing.v1 import AppTest

from lib.jobs.timeline import Timeline
from lib.ui.state import VIEWS
from simulator import Simulator
from tests.conftest import ROOT
from tests.factories import KEY


def app(script: str = "dashboard.py", **secrets: dict) -> AppTest:
    """The whole app with these secrets and, unless a test says otherwise, an in-memory history."""
    at = AppTest.from_file(str(ROOT / script), default_timeout=30)
    at.secrets["history"] = {"url": "sqlite://"}
    for table, values in secrets.items():
        at.secrets[table] = values
    return at


def make_app(sim: Simulator | None = None, script: str = "dashboard.py", **tables: dict) -> AppTest:
    """The app watching ``sim`` as portal "prod" (labelled "Production", with the admin key), checking
    every 2 s. A table given here replaces the default: ``portals={...}`` for other portals or keys."""
    defaults: dict[str, dict] = {"monitor": {"refresh_seconds": 2}}
    if sim is not None:
        defaults["portals"] = {"prod": {"url": sim.url, "api_key": KEY, "label": "Production"}}
    return app(script, **(defaults | tables))


def texts(at: AppTest) -> str:
    """Everything the page says, as one string."""
    parts = [e.value for kind in ("markdown", "info", "success", "warning", "error", "caption", "title")
             for e in getattr(at, kind)]
    parts += [e.proto.text for e in at.get("progress")]
    parts += [f"{m.label}: {m.value}" for m in at.metric]
    text = "\n".join(str(p) for p in parts).replace("\u2060", "")  # drop link-breaking word joiners
    return re.sub(r"\\(.)", r"\1", text)  # and Markdown escapes


def timeline_of(at: AppTest) -> Timeline:
    """The history the viewer's live page keeps (the first live view it opened)."""
    return next(iter(at.session_state[VIEWS].values())).timeline
