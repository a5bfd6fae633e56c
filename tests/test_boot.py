"""The server started as the README says (`streamlit run app.py`), a portal in the middle of a restore, and
no browser at all: the portal is asked, /healthz says 200 from this process; when the portal stops
answering for 3 check intervals, /healthz says 503 and why. Real processes, real HTTP."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import requests

from simulator import Simulator
from tests.factories import KEY
from tests.servers import AppServer, wait_until

pytestmark = pytest.mark.slow


class Later:
    """The simulator's clock, moved ahead: its restore started a while ago."""

    def __init__(self) -> None:
        self.ahead = 0.0

    def __call__(self) -> float:
        return time.time() + self.ahead


def test_the_server_watches_from_its_start_with_nobody_looking(tmp_path: Path) -> None:
    later = Later()
    sim = Simulator("restore", api_key=KEY, clock=later)
    sim.start()
    later.ahead = 200.0  # a third of the way into the restore
    secrets = (f'[portals.prod]\nurl = "{sim.url}"\nlabel = "Production"\n'
               '[monitor]\nrefresh_seconds = 2\nidle_seconds = 2\n')
    server = AppServer(secrets, tmp_path)
    try:
        wait_until(lambda: sim.requests("getrestoreprogress") >= 3, "the portal is asked, with nobody looking", 30)
        status, body = server.health()
        assert status == 200 and body["status"] == "ok" and body["watching"] is True
        assert body["holder"] | {"since": None} == {"this_process": True, "role": "app", "alive": True,
                                                    "since": None, "host": body["holder"]["host"], "pid": server.pid}
        assert body["portals"]["prod"]["stale"] is False and body["portals"]["prod"]["every_seconds"] == 2
        assert requests.get(server.url + "/metrics", timeout=10).status_code == 404  # off unless enabled

        sim.stop()  # the portal stops answering
        status, body = wait_until(lambda: (found := server.health())[0] == 503 and found,
                                  "/healthz says 503 once the portal is silent", 60)
        assert body["watching"] is False and body["status"] == "failing"
        assert body["reason"].startswith("no portal has answered for 3 check intervals")
        assert body["portals"]["prod"]["stale"] is True and body["portals"]["prod"]["seconds_ago"] >= 6
    finally:
        server.stop()
        sim.stop()
    assert "Traceback" not in server.output()
