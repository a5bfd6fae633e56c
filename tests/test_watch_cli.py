"""`python -m lib.watch`: the headless watcher, as a real process against the simulator, and an app
with `watcher = "external"` that shows its history from one PostgreSQL without asking the portal."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from simulator import Simulator
from tests.apptest import app, texts
from tests.canned import Canned
from tests.conftest import ROOT
from tests.factories import KEY
from tests.servers import Cli

pytestmark = pytest.mark.slow


def secrets(tmp: Path, sim: Simulator, history: str, **extra: str) -> Path:
    path = tmp / "secrets.toml"
    lines = [f'[portals.prod]\nurl = "{sim.url}"\napi_key = "{KEY}"\nlabel = "Production"\n',
             '[monitor]\nrefresh_seconds = 2\nidle_seconds = 2\n', f'[history]\nurl = "{history}"\n'
             + "".join(f'{k} = "{v}"\n' for k, v in extra.items())]
    path.write_text("\n".join(lines))
    return path


def test_a_mistake_in_the_secrets_is_one_sentence(tmp_path: Path) -> None:
    bad = tmp_path / "secrets.toml"
    bad.write_text('[portals.prod]\nurl = "ftp://x"\n')
    run = subprocess.run([sys.executable, "-m", "lib.watch", "--secrets", str(bad)], cwd=ROOT, capture_output=True,
                         text=True, timeout=60)
    assert run.returncode == 2
    assert "portals.prod.url" in run.stdout and "Traceback" not in run.stdout + run.stderr


def test_it_watches_records_and_notifies_then_stops_cleanly(tmp_path: Path) -> None:
    with Canned() as hook, Simulator("idle", api_key=KEY, speed=40) as sim:  # a restore takes 15 s
        hook.answer(200)
        path = secrets(tmp_path, sim, f"sqlite:///{tmp_path}/history.sqlite3")
        path.write_text(path.read_text() + f'\n[notify]\nwebhook_url = "{hook.url}/hook"\n')
        cli = Cli(path)
        try:
            cli.wait_for("watching 1 portal(s): prod (127.0.0.1)")
            sim.engine.start_restore()  # once it watches: a slow start would otherwise miss the phase
            cli.wait_for("restoring data")  # "seen at 10% (restoring data)" on a busy machine
            cli.wait_for("prod: restore 100% · completed")
            cli.wait_for("notification sent: ✅ Production: the restore completed.")
        finally:
            code = cli.stop()
    assert code == 0 and any("SIGTERM received: stopping" in line for line in cli.seen)
    assert any(line.endswith("stopped; 0 change(s) still waiting for the database") for line in cli.seen)
    assert not any("history is being saved again" in line for line in cli.seen)  # it never stopped being saved
    assert [json.loads(b)["text"].splitlines()[0] for b in hook.posted] == ["✅ Production: the restore completed."]
    log = "\n".join(cli.seen)
    assert KEY not in log and KEY[3:] not in log and hook.url not in log


def test_ctrl_c_stops_it_too(tmp_path: Path) -> None:
    with Simulator("idle", api_key=KEY) as sim:
        cli = Cli(secrets(tmp_path, sim, f"sqlite:///{tmp_path}/history.sqlite3"))
        cli.wait_for("watching 1 portal(s)")
        assert cli.stop(signal.SIGINT) == 0
    assert any("SIGINT received: stopping" in line for line in cli.seen)


def test_an_app_that_only_reads_shows_the_watchers_history_and_asks_no_portal(tmp_path: Path, pg_url: str) -> None:
    with Simulator("idle", api_key=KEY, speed=20) as sim:  # a restore takes 30 s
        cli = Cli(secrets(tmp_path, sim, pg_url), "--verbose")  # a line for each percent, not only each phase
        try:
            cli.wait_for("prod: audit trail read")  # read after the backup list and the schedule
            sim.engine.start_restore()  # now: a portal being restored refuses its backup list and schedule
            cli.wait_for("prod: restore seen at")
            cli.wait_for("% · restoring data")  # and it has moved since
        finally:
            assert cli.stop() == 0
        asked = sim.requests()
        at = app(portals={"prod": {"url": sim.url, "api_key": KEY, "label": "Production"}},
                 monitor={"refresh_seconds": 2}, history={"url": pg_url, "watcher": "external"})
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        page = texts(at)
        assert "Restoring — " in page and "% · restoring data" in page
        assert at.get("plotly_chart")  # the change points came from the database
        for page_path in ("app_pages/backup.py", "app_pages/backups.py", "app_pages/portals.py"):
            at.switch_page(page_path).run()
            assert not at.exception, [e.value for e in at.exception]
        assert "Every day at 02:00 UTC" in texts(at.switch_page("app_pages/backups.py").run())
    assert sim.requests() == asked  # the app itself never asked the portal anything
