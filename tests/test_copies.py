"""Three copies on one history database (two app servers as the README starts them, and a headless watcher),
first on one SQLite file, then on one PostgreSQL: a restore runs, the copy that watches is killed with
SIGKILL in the middle of it, another takes over within 30 s, and the restore's end is told exactly once,
with one operation row holding the points from before and after the kill. Then every copy is stopped
in turn, each handing over to the next, and none of them tells it again. Real processes, real HTTP."""

from __future__ import annotations

import json
import signal
import time
from datetime import datetime
from pathlib import Path

import pytest
import requests

from lib.db import lease
from lib.db.store import HistoryStore, StoreAway
from lib.watching.lease import TTL
from simulator import Simulator
from tests.canned import Canned
from tests.factories import KEY
from tests.servers import AppServer, Cli, free_port, wait_until

pytestmark = pytest.mark.slow
COMPLETED = "✅ Production: the restore completed."


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/history.sqlite3"
    return request.getfixturevalue("pg_url")


class Headless:
    """The headless watcher with its /healthz, looked at like an app server."""

    def __init__(self, secrets: str, tmp: Path):
        path = tmp / "headless.toml"
        path.write_text(secrets)
        self.port = free_port()
        self.cli = Cli(path, "--health-port", str(self.port))
        self.url = f"http://127.0.0.1:{self.port}"
        self.pid = self.cli.pid
        wait_until(lambda: self.health(), "the headless watcher serves /healthz", 60)

    def health(self) -> tuple[int, dict]:
        reply = requests.get(self.url + "/healthz", timeout=10)
        return reply.status_code, reply.json()

    def stop(self, sig: int = signal.SIGTERM) -> None:
        self.cli.stop(sig)


def holder_pid(url: str) -> int | None:
    store = HistoryStore(url)
    try:
        row = store.at_once(lease.read)
    except StoreAway:
        return None
    finally:
        store.close()
    return row.pid if row is not None and row.holder else None


def recorded_percent(url: str) -> int:
    store = HistoryStore(url)
    try:
        return max((op.last_percent for op in store.operations()), default=0)
    finally:
        store.close()


def watching_since(copy, moment: float) -> bool:
    """This copy holds the watch and has had an answer from the portal since ``moment``."""
    status, body = copy.health()
    last = body.get("portals", {}).get("prod", {}).get("last_check")
    return (status == 200 and body["holder"]["this_process"]
            and last is not None and datetime.fromisoformat(last.replace("Z", "+00:00")).timestamp() >= int(moment))


def test_a_killed_watcher_is_replaced_and_the_outcome_is_told_once(url: str, tmp_path: Path) -> None:
    with Canned() as hook, Simulator("idle", api_key=KEY, speed=10) as sim:  # its restore will take 60 s
        hook.answer(200)
        secrets = (f'[portals.prod]\nurl = "{sim.url}"\nlabel = "Production"\n'
                   '[monitor]\nrefresh_seconds = 2\nidle_seconds = 2\n'
                   f'[history]\nurl = "{url}"\n[notify]\nwebhook_url = "{hook.url}/hook"\n')
        copies: list = []
        try:
            copies.append(AppServer(secrets, tmp_path))
            wait_until(lambda: holder_pid(url) == copies[0].pid, "the first copy holds the watch")
            copies.append(AppServer(secrets, tmp_path))
            copies.append(Headless(secrets, tmp_path))
            for other in copies[1:]:  # the others stand by, and say who watches
                status, body = other.health()
                assert status == 200 and body["holder"]["this_process"] is False
                assert body["holder"]["pid"] == copies[0].pid

            sim.set_scenario("restore")
            wait_until(lambda: 10 < recorded_percent(url) < 50, "the restore is recorded, a while into it", 60)
            victim = next(c for c in copies if c.pid == holder_pid(url))
            victim.stop(signal.SIGKILL)
            killed = time.time()
            copies.remove(victim)
            successor = wait_until(lambda: next((c for c in copies if watching_since(c, killed)), None),
                                   "another copy takes over and asks the portal", 60)
            assert time.time() - killed < TTL + 25  # the lease's 15 s, a beat, and the /healthz round
            # of the copies on a busy machine; a successor that waited for a restart would take minutes
            assert successor.pid == holder_pid(url)

            wait_until(lambda: hook.posted, "the restore's end is told", 90)
            for _ in range(len(copies)):  # each copy in turn holds the watch after the end, then stops
                holder = next(c for c in copies if c.pid == holder_pid(url))
                stopped = time.time()
                holder.stop()
                copies.remove(holder)
                if copies:
                    wait_until(lambda at=stopped: any(watching_since(c, at) for c in copies), "the next copy watches")
        finally:
            for copy in copies:
                copy.stop()
    assert [json.loads(body)["text"].splitlines()[0] for body in hook.posted] == [COMPLETED]
    store = HistoryStore(url)
    (op,) = store.operations()
    points = store.points_of(op.id)
    store.close()
    assert (op.outcome, op.task_id) == ("completed", sim.task_id)
    assert points[0].at < killed < points[-1].at and points[-1].percent == 100  # the history is whole
    percents = [p.percent for p in points if p.percent is not None]
    assert percents == sorted(percents)
