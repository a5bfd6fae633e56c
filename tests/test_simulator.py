"""The simulator honours the DocSpace contract (reference §10), checked over real loopback HTTP.

Time moves only through a ManualClock, so every phase is reached exactly, without sleeping. The only
real waits are the short ones that prove the delaying faults (``slow``, ``stall-body``, ``trickle``,
``latency``) and that stop() cuts them short.
"""

from __future__ import annotations

import itertools
import json
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from lib.portal.models import Operation, parse_backup_files, parse_progress, parse_schedule
from simulator import (
    DURATION,
    FAULTS,
    LATIN1_TEXT,
    RUNNING_ERROR,
    SCENARIOS,
    SKIPPED_WARNING,
    ManualClock,
    Simulator,
)
from tests.conftest import ROOT
from tests.factories import KEY

AUTH = {"Authorization": f"Bearer {KEY}"}
RESTORE = "/api/2.0/backup/getrestoreprogress"
BACKUP = "/api/2.0/backup/getbackupprogress"
HISTORY = "/api/2.0/backup/getbackuphistory"
SCHEDULE = "/api/2.0/backup/getbackupschedule"
SETTINGS = "/api/2.0/settings"
LOGIN = "/api/2.0/authentication"
START_BACKUP = "/api/2.0/backup/startbackup"
START_RESTORE = "/api/2.0/backup/startrestore"
START = 1_000_000.0  # ManualClock's default start, which is when the fixture's job starts
RESTORE_KEYS = ["isCompleted", "progress", "error", "tenantId", "backupProgressEnum", "status", "taskId"]
BACKUP_KEYS = ["isCompleted", "progress", "error", "link", "tenantId", "backupProgressEnum", "status",
               "taskId"]
STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$")
NEVER = "0001-01-01T00:00:00"
CREDENTIALS = {"userName": "admin@example.com", "password": "demo-password"}


def get(sim: Simulator, path: str, headers: dict[str, str] | None = None, **kw: Any) -> requests.Response:
    kw.setdefault("timeout", 5)
    return requests.get(sim.url + path, headers=headers or {}, **kw)


def post(sim: Simulator, path: str, body: Any = None, headers: dict[str, str] | None = None,
         ) -> requests.Response:
    """POST with the admin key unless ``headers`` says otherwise ({} for none)."""
    return requests.post(sim.url + path, json=body, headers=AUTH if headers is None else headers, timeout=5)


def response(sim: Simulator, path: str, headers: dict[str, str] | None = AUTH) -> Any:
    """The ``response`` of a 200 envelope, or None when the key is absent."""
    resp = get(sim, path, headers)
    assert resp.status_code == 200, (path, resp.status_code)
    return resp.json().get("response")


def at(clock: ManualClock, seconds: float, start: float = START) -> None:
    """Move the clock to ``seconds`` after ``start`` (it only ever moves forward)."""
    assert clock() <= start + seconds
    clock.advance(start + seconds - clock())


def stamp(moment: float) -> str:
    return f"{datetime.fromtimestamp(moment, UTC):%Y-%m-%dT%H:%M:%S}"


# ---------------------------------------------------------------- envelope and shapes


def test_no_job_means_no_response_key_and_count_zero(manual_clock: ManualClock) -> None:
    with Simulator("idle", api_key=KEY, clock=manual_clock) as sim:
        for path in (RESTORE, BACKUP, RESTORE + "?dump=false"):
            resp = get(sim, path, AUTH)
            assert resp.status_code == 200 and resp.headers["Content-Type"].startswith("application/json")
            assert list(resp.json()) == ["count", "links", "status", "statusCode"]
            assert resp.json() == {"count": 0, "links": [{"href": sim.url + path, "action": "GET"}],
                                   "status": 0, "statusCode": 200}


def test_success_envelope_for_objects_and_lists(portal: Simulator) -> None:
    single = get(portal, RESTORE).json()
    assert list(single) == ["response", "count", "links", "status", "statusCode"]
    assert single["count"] == 1 and single["status"] == 0 and single["statusCode"] == 200
    assert single["links"] == [{"href": portal.url + RESTORE, "action": "GET"}]
    listing = get(portal, HISTORY, AUTH).json()
    assert listing["count"] == len(listing["response"]) == 6


def test_restore_goes_0_10_75_100_with_the_tenant_switch(portal: Simulator,
                                                         manual_clock: ManualClock) -> None:
    # (seconds, progress, tenantId, status, isCompleted, settings.tenantStatus)
    steps = [(0, 0, 1, 0, False, 0), (4.9, 0, 1, 0, False, 0), (5, 0, 1, 1, False, 0),
             (29, 0, 1, 1, False, 0), (30, 10, 1, 1, False, 4), (60, 10, 1, 1, False, 4),
             (240, 42, 1, 1, False, 4),
             (419, 74, 1, 1, False, 4), (420, 75, 2, 1, False, 0), (599, 75, 2, 1, False, 0),
             (600, 100, 2, 2, True, 0)]
    seen = []
    for t, pct, tenant, status, done, locked in steps:
        at(manual_clock, t)
        progress = response(portal, RESTORE, None)  # anonymous, even while the portal is locked
        assert list(progress) == RESTORE_KEYS  # never a link or a warning on a restore
        assert (progress["progress"], progress["tenantId"], progress["status"], progress["isCompleted"]) == \
            (pct, tenant, status, done), t
        assert progress["error"] == "" and progress["backupProgressEnum"] == 1
        assert progress["taskId"] == portal.task_id
        assert response(portal, SETTINGS, None)["tenantStatus"] == locked
        seen.append(progress["progress"])
    assert seen == sorted(seen)
    finished = response(portal, RESTORE)
    at(manual_clock, 600 + 86_400)
    assert response(portal, RESTORE) == finished  # a finished job stays readable, unchanged
    assert response(portal, BACKUP) is None  # the backup endpoint reports backups only


def test_restore_progress_is_linear_between_10_and_75(portal: Simulator, manual_clock: ManualClock) -> None:
    for t in range(60, 420, 37):
        at(manual_clock, t)
        assert response(portal, RESTORE, None)["progress"] == 10 + int(65 * (t - 60) / 360)


def test_backup_plateau_then_link_and_a_history_record(manual_clock: ManualClock) -> None:
    with Simulator("backup", api_key=KEY, clock=manual_clock) as sim:
        first = response(sim, BACKUP)
        assert list(first) == BACKUP_KEYS and first["link"] == "" and first["status"] == 0
        for t, pct in ((5, 1), (120, 45), (240, 90), (299, 90)):
            at(manual_clock, t)
            progress = response(sim, BACKUP)
            assert (progress["progress"], progress["isCompleted"], progress["status"]) == (pct, False, 1)
            assert progress["link"] == "" and progress["backupProgressEnum"] == 0
        assert sim.task_id not in {r["id"] for r in response(sim, HISTORY)}
        at(manual_clock, 300)
        done = response(sim, BACKUP)
        assert list(done) == BACKUP_KEYS  # no warning unless one is set
        assert (done["progress"], done["isCompleted"], done["status"], done["error"]) == (100, True, 2, "")
        record = next(r for r in response(sim, HISTORY) if r["id"] == done["taskId"] == sim.task_id)
        name = f"demo_{datetime.fromtimestamp(START, UTC):%Y-%m-%d_%H-%M-%S}.tar.gz"  # named when it started
        assert record == {"id": sim.task_id, "fileName": name, "storageType": 0,
                          "createdOn": stamp(START + 300), "expiresOn": NEVER}
        assert done["link"] == f"/storage/backup/{record['fileName']}"
        assert response(sim, RESTORE) is None  # the restore endpoint reports restores only
        at(manual_clock, 90_000)
        assert response(sim, BACKUP) == done


def test_speed_scales_the_timeline(manual_clock: ManualClock) -> None:
    with Simulator("restore", speed=10, clock=manual_clock) as sim:
        assert sim.duration == DURATION["restore"] / 10 == 60
        at(manual_clock, 59.9)
        assert response(sim, RESTORE)["progress"] == 75
        at(manual_clock, 60)
        assert response(sim, RESTORE)["isCompleted"] is True


def test_failed_restore_has_an_error_status_2_and_an_active_tenant(manual_clock: ManualClock) -> None:
    with Simulator("fail", api_key=KEY, clock=manual_clock) as sim:
        at(manual_clock, 15)  # the restore timeline at double speed: 10 % after 15 s
        assert response(sim, RESTORE)["progress"] == 10 and response(sim, SETTINGS)["tenantStatus"] == 4
        at(manual_clock, 118)
        running = response(sim, RESTORE)
        assert (running["progress"], running["isCompleted"], running["error"]) == (41, False, "")
        at(manual_clock, 119)
        failed = response(sim, RESTORE)
        assert failed["isCompleted"] is True and failed["progress"] == 42
        assert failed["error"] == "The backup file is invalid."
        assert failed["status"] == 2  # not 4: the job catches its own exception (reference §3.2)
        assert failed["tenantId"] == 1 and response(sim, SETTINGS)["tenantStatus"] == 0
        at(manual_clock, 5000)
        assert response(sim, RESTORE) == failed


def test_cancelled_backup_has_status_3_and_a_warning(manual_clock: ManualClock) -> None:
    with Simulator("cancel", api_key=KEY, clock=manual_clock) as sim:
        at(manual_clock, 119)
        assert response(sim, BACKUP)["isCompleted"] is False
        at(manual_clock, 120)
        cancelled = response(sim, BACKUP)
        assert list(cancelled) == ["isCompleted", "progress", "error", "warning", *BACKUP_KEYS[3:]]
        assert (cancelled["status"], cancelled["warning"]) == (3, "Backup cancelled")
        assert cancelled["progress"] == 45  # frozen where it was
        assert cancelled["isCompleted"] is True and cancelled["link"] == "" and cancelled["error"] == ""
        at(manual_clock, 10_000)
        assert response(sim, BACKUP) == cancelled
        assert sim.task_id not in {r["id"] for r in response(sim, HISTORY)}


def test_stalled_restore_stays_at_33_and_keeps_the_portal_locked(manual_clock: ManualClock) -> None:
    with Simulator("stall", clock=manual_clock) as sim:
        for t in (300, 10_000, 1_000_000):
            at(manual_clock, t)
            progress = response(sim, RESTORE)
            assert (progress["progress"], progress["isCompleted"], progress["status"]) == (33, False, 1)
            assert response(sim, SETTINGS)["tenantStatus"] == 4


def test_seeded_history_and_schedule(portal: Simulator) -> None:
    history = response(portal, HISTORY)
    assert all(STAMP.match(r["createdOn"]) and (STAMP.match(r["expiresOn"])) for r in history)
    daily = [r for r in history if r["storageType"] == 0]
    temp = [r for r in history if r["storageType"] == 4]
    assert len(daily) == 5 and len(temp) == 1
    assert all(r["expiresOn"] == NEVER and r["createdOn"][11:16] == "02:02" for r in daily)
    days = sorted(datetime.fromisoformat(r["createdOn"]) for r in daily)
    assert [b - a for a, b in itertools.pairwise(days)] == [timedelta(days=1)] * 4
    assert temp[0]["createdOn"] == stamp(START - 6 * 3600)
    assert datetime.fromisoformat(temp[0]["expiresOn"]) - datetime.fromisoformat(temp[0]["createdOn"]) == \
        timedelta(days=1)
    assert len({r["id"] for r in history}) == 6
    assert all(re.fullmatch(r"[0-9a-f-]{36}", r["id"]) for r in history)
    # lastBackupTime is when the scheduler dispatched the newest run (02:00:03), not when its file was made
    newest_run = max(r["createdOn"] for r in daily).replace("02:02:17", "02:00:03")
    assert response(portal, SCHEDULE) == {
        "storageType": 0, "storageParams": {"folderId": "1234"},
        "cronParams": {"period": 0, "hour": 2, "day": 0}, "backupsStored": 7,
        "lastBackupTime": newest_run, "dump": False}
    # and lib.portal.models (the dashboard's reader) takes all of it
    assert len(parse_backup_files(history)) == 6 and parse_schedule(response(portal, SCHEDULE)).hour == 2


def test_overdue_has_no_job_and_a_3_day_old_last_backup(manual_clock: ManualClock) -> None:
    with Simulator("overdue", api_key=KEY, clock=manual_clock) as sim:
        assert response(sim, RESTORE) is None and response(sim, BACKUP) is None
        history = response(sim, HISTORY)
        newest = max(datetime.fromisoformat(r["createdOn"]).replace(tzinfo=UTC) for r in history)
        age = datetime.fromtimestamp(START, UTC) - newest
        assert len(history) == 5 and timedelta(days=3) <= age < timedelta(days=4)
        dispatched = newest - timedelta(seconds=134)  # the run was dispatched at 02:00:03, its file made at 02:02:17
        assert response(sim, SCHEDULE)["lastBackupTime"] == f"{dispatched:%Y-%m-%dT%H:%M:%S}"


def test_settings_shape(portal: Simulator) -> None:
    settings = response(portal, SETTINGS, None)
    assert (settings["version"], settings["timezone"], settings["utcOffset"]) == ("3.7.2", "UTC", "00:00:00")
    assert settings["tenantStatus"] == 0  # Active; 4 while a restore holds the portal (see the restore test)


# ---------------------------------------------------------------- paths, query, auth


@pytest.mark.parametrize("path", [
    "/api/2.0/backup/getrestoreprogress", "/api/2.0/portal/getrestoreprogress",
    "/api/2.0/portal/getRestoreProgress?Dump=true", "/api/2.0/backup/GETRESTOREPROGRESS?dump=FALSE",
    "/api/2.0/backup/getrestoreprogress?DUMP=True", "/api/2.0/backup/getrestoreprogress/",
])
def test_both_prefixes_any_case_and_dump_in_three_states(portal: Simulator, path: str) -> None:
    assert response(portal, path, None)["taskId"] == portal.task_id


def test_backup_endpoints_on_both_prefixes_and_a_bad_dump(portal: Simulator) -> None:
    for action in ("getBackupHistory?Dump=false", "getbackupschedule?dump=true", "GetBackupProgress"):
        assert get(portal, f"/api/2.0/portal/{action}", AUTH).status_code == 200
    bad = get(portal, RESTORE + "?dump=maybe")
    assert bad.status_code == 400 and bad.headers["Content-Type"].startswith("application/problem+json")
    assert "Dump" in bad.json()["errors"]


def test_unknown_path_gets_the_error_envelope(portal: Simulator) -> None:
    resp = get(portal, "/api/2.0/backup/nothing", AUTH)
    body = resp.json()
    assert resp.status_code == 404 and body["status"] == 1 and body["statusCode"] == 404
    assert list(body["error"]) == ["message", "type", "stack", "hresult"]
    assert body["error"]["hresult"] == -2146233088
    assert get(portal, "/api/2.0/backup/startbackup", AUTH).status_code == 405  # a POST action


REJECTED = {"none": None, "bare-key": KEY, "unknown-key": f"Bearer sk-{'0' * 64}",
            "wrong-key": f"bearer  {KEY}x", "basic-wrong-password": "Basic YWRtaW5AZXhhbXBsZS5jb206bm9wZQ=="}


@pytest.mark.parametrize("header", REJECTED.values(), ids=REJECTED.keys())
@pytest.mark.parametrize("path", [BACKUP, HISTORY, SCHEDULE])
def test_protected_endpoints_answer_401_with_an_empty_body(portal: Simulator, path: str,
                                                           header: str | None) -> None:
    resp = get(portal, path, {"Authorization": header} if header else None)
    assert resp.status_code == 401 and resp.content == b""
    assert ("WWW-Authenticate" in resp.headers) == (header or "").startswith("Basic")
    assert get(portal, path, AUTH).status_code == 200


def test_anonymous_endpoints_and_an_open_portal(portal: Simulator, manual_clock: ManualClock) -> None:
    assert get(portal, RESTORE).status_code == 200 and get(portal, SETTINGS).status_code == 200
    assert get(portal, RESTORE, {"Authorization": "Bearer wrong"}).status_code == 200
    with Simulator("backup", clock=manual_clock) as open_portal:  # no api_key: nothing is checked
        assert response(open_portal, HISTORY, None) and response(open_portal, BACKUP, {"Authorization": "x"})


def test_while_restoring_authorized_calls_get_403_without_a_body(portal: Simulator,
                                                                 manual_clock: ManualClock) -> None:
    at(manual_clock, 30)
    for path in (BACKUP, HISTORY, SCHEDULE, "/api/2.0/portal/getbackuphistory"):
        resp = get(portal, path, AUTH)
        assert resp.status_code == 403 and resp.content == b"" and "Content-Type" not in resp.headers
        assert get(portal, path).status_code == 401  # authentication runs before the tenant filter
    assert response(portal, RESTORE)["progress"] == 10 and response(portal, SETTINGS)["tenantStatus"] == 4
    assert post(portal, LOGIN, CREDENTIALS, {}).status_code == 403  # login is locked too
    at(manual_clock, 420)  # the new tenant is in and Active
    assert get(portal, SCHEDULE, AUTH).status_code == 200


def test_a_non_admin_key_is_access_denied(manual_clock: ManualClock) -> None:
    other = "sk-" + "f" * 64
    with Simulator("backup", api_key=KEY, user_key=other, clock=manual_clock) as sim:
        resp = get(sim, HISTORY, {"Authorization": f"Bearer {other}"})
        assert resp.status_code == 403 and resp.json()["error"]["message"] == "Access denied"
        assert resp.json()["status"] == 1 and resp.json()["statusCode"] == 403


def test_session_tokens_work_three_ways_until_the_tenant_changes(portal: Simulator,
                                                                 manual_clock: ManualClock) -> None:
    assert post(portal, LOGIN, {"userName": "admin@example.com", "password": "nope"}, {}).status_code == 401
    assert post(portal, LOGIN, {"userName": "", "password": ""}, {}).status_code == 400
    resp = post(portal, LOGIN, CREDENTIALS, {})
    token = resp.json()["response"]["token"]
    assert resp.status_code == 200 and resp.cookies["asc_auth_key"] == token
    for headers in ({"Authorization": token}, {"Authorization": f"Bearer {token}"},
                    {"Cookie": f"asc_auth_key={token}"}):
        assert get(portal, HISTORY, headers).status_code == 200
    assert get(portal, HISTORY, {"Cookie": "asc_auth_key=stale", **AUTH}).status_code == 401  # cookie wins
    at(manual_clock, 420)  # the restore replaced the tenant: old sessions are refused, keys still work
    assert get(portal, HISTORY, {"Authorization": token}).status_code == 401
    assert get(portal, HISTORY, AUTH).status_code == 200
    with Simulator("idle", api_key=KEY, clock=manual_clock, tfa=True) as sim:
        second_factor = post(sim, LOGIN, CREDENTIALS, {}).json()["response"]
        assert second_factor["tfa"] is True and "token" not in second_factor


def test_start_cancel_and_restore_over_http(manual_clock: ManualClock) -> None:
    folder = [{"key": "folderId", "value": "5"}]
    with Simulator("idle", api_key=KEY, clock=manual_clock) as sim:
        assert post(sim, START_BACKUP, {}, {}).status_code == 401
        started = post(sim, "/api/2.0/portal/startbackup",
                       {"storageType": "Documents", "storageParams": folder})
        job = started.json()["response"]
        assert started.json()["links"][0]["action"] == "POST"
        assert (job["status"], job["progress"], job["taskId"]) == (0, 0, sim.task_id)
        for storage in (0, "0", "documents"):  # a running backup is returned, not an error
            again = post(sim, START_BACKUP, {"storageType": storage, "storageParams": folder})
            assert again.json()["response"]["taskId"] == job["taskId"]
        wrong = post(sim, START_BACKUP, {"storageType": 1, "storageParams": folder})
        assert wrong.status_code == 400 and wrong.json()["error"]["message"] == "wrong folder type"
        dump = post(sim, START_BACKUP, {"storageParams": folder, "dump": True})
        assert dump.status_code == 400 and dump.json()["error"]["message"] == "backup can`t start as dump"
        assert post(sim, START_BACKUP, {"storageType": "Floppy"}).status_code == 400
        at(manual_clock, 60)
        assert post(sim, "/api/2.0/backup/cancelbackup").json()["response"] is True
        assert response(sim, BACKUP)["status"] == 3 and response(sim, BACKUP)["progress"] == 22
        assert post(sim, "/api/2.0/backup/cancelbackup").json()["response"] is False
        second = post(sim, START_BACKUP, {"storageParams": folder}).json()["response"]
        assert second["taskId"] != job["taskId"]
        at(manual_clock, 60 + 300)
        third = post(sim, START_BACKUP, {"storageParams": folder}).json()["response"]
        kept = {r["id"] for r in response(sim, HISTORY)}
        assert second["taskId"] in kept and third["taskId"] not in kept  # the running one: not yet
        missing = post(sim, START_RESTORE, {"backupId": "00000000-0000-0000-0000-000000000000"})
        assert missing.status_code == 404 and missing.json()["status"] == 1
        restore = post(sim, START_RESTORE, {"backupId": second["taskId"], "storageType": "0"})
        assert restore.json()["response"]["backupProgressEnum"] == 1
        assert response(sim, RESTORE)["taskId"] == restore.json()["response"]["taskId"] == sim.task_id


# ---------------------------------------------------------------- faults


def _empty(code: int) -> Callable[[requests.Response], None]:
    def check(resp: requests.Response) -> None:
        assert resp.status_code == code and resp.content == b""
    return check


def _nginx(code: int) -> Callable[[requests.Response], None]:
    def check(resp: requests.Response) -> None:
        assert resp.status_code == code and resp.headers["Content-Type"] == "text/html"
        assert "<center>nginx</center>" in resp.text
        assert ("Retry-After" in resp.headers) == (code == 503)
    return check


def _rate_limited(resp: requests.Response) -> None:
    assert resp.status_code == 429 and resp.content == b"" and resp.headers["Retry-After"] == "7"
    assert resp.headers["X-RateLimit-Remaining"] == "0" and resp.headers["X-RateLimit-Limit"] == "1500"
    assert int(resp.headers["X-RateLimit-Reset"]) == int(START) + 7


def _malformed(resp: requests.Response) -> None:
    assert resp.status_code == 200
    with pytest.raises(ValueError):
        resp.json()


def _wrong_shape(resp: requests.Response) -> None:
    assert resp.status_code == 200 and resp.json()["response"] == [1, 2, 3]


def _odd(resp: requests.Response) -> None:
    progress = resp.json()["response"]
    assert progress["backupProgressEnum"] == "Backup" and isinstance(progress["progress"], float)
    assert "status" not in progress and "taskId" not in progress and progress["warning"] == SKIPPED_WARNING
    assert "links" not in resp.json() and "somethingNew" in progress
    assert parse_progress(progress).operation is Operation.BACKUP  # odd, but our reader must take it


def _redirect(resp: requests.Response) -> None:
    assert resp.status_code == 302 and resp.headers["Location"] == "https://elsewhere.example" + BACKUP


def _html_200(resp: requests.Response) -> None:
    assert resp.status_code == 200 and resp.headers["Content-Type"].startswith("text/html")
    assert "<form" in resp.text


def _trickled(resp: requests.Response) -> None:
    assert resp.status_code == 200 and resp.json()["response"]["backupProgressEnum"] == 0  # slow, but whole


def _latin1(resp: requests.Response) -> None:
    assert resp.status_code == 200 and resp.headers["Content-Type"] == "application/json; charset=utf-8"
    with pytest.raises(UnicodeDecodeError):
        resp.content.decode("utf-8")  # what a strict client does with a body labelled utf-8
    failed = json.loads(resp.content.decode("latin-1"))["response"]
    assert failed["error"] == LATIN1_TEXT and (failed["status"], failed["isCompleted"]) == (2, True)


def _https_redirect(resp: requests.Response) -> None:
    assert resp.status_code == 301 and resp.url.startswith("http://127.0.0.1:")
    assert resp.headers["Location"] == "https://" + resp.url.removeprefix("http://")  # same host, port, path


def _complete_early(resp: requests.Response) -> None:
    progress = resp.json()["response"]  # the backup fixture is at 0% when asked
    assert progress["isCompleted"] is True and progress["error"] == "" and progress["progress"] < 100
    assert progress["status"] == 2


def _over_100(resp: requests.Response) -> None:
    progress = resp.json()["response"]
    assert progress["progress"] == 140 and progress["isCompleted"] is False


def _unknown_kind(resp: requests.Response) -> None:
    progress = resp.json()["response"]
    assert progress["backupProgressEnum"] == 7
    assert parse_progress(progress).operation is Operation.UNKNOWN


def _error_running(resp: requests.Response) -> None:
    progress = resp.json()["response"]
    assert progress["isCompleted"] is False and progress["error"] == RUNNING_ERROR and progress["status"] in (0, 1)


ANSWERED = {"401": _empty(401), "403-restoring": _empty(403), "404": _empty(404), "429": _rate_limited,
            "502": _nginx(502), "503": _nginx(503), "504": _nginx(504), "malformed": _malformed,
            "wrong-shape": _wrong_shape, "odd": _odd, "redirect": _redirect, "html-200": _html_200,
            "trickle": _trickled, "latin1": _latin1, "https-redirect": _https_redirect,
            "complete-early": _complete_early, "over-100": _over_100, "unknown-kind": _unknown_kind,
            "error-running": _error_running}
UNANSWERED = {"slow": requests.ReadTimeout, "drop": requests.ConnectionError,
              "stall-body": (requests.ReadTimeout, requests.exceptions.ChunkedEncodingError,
                             requests.ConnectionError)}


def test_every_fault_has_a_test() -> None:
    assert set(ANSWERED) | set(UNANSWERED) == set(FAULTS) and len(FAULTS) == 22


WAITING = {"slow", "stall-body", "trickle"}  # each takes a real half second or so


@pytest.mark.parametrize("fault", [pytest.param(f, marks=pytest.mark.slow) if f in WAITING else f for f in FAULTS])
def test_each_fault_once_then_back_to_normal(manual_clock: ManualClock, fault: str) -> None:
    with Simulator("backup", api_key=KEY, clock=manual_clock, slow_seconds=2, trickle_interval=0.001) as sim:
        sim.inject(fault, path="getbackupprogress")
        assert response(sim, HISTORY)  # another path: untouched
        if fault in ANSWERED:
            ANSWERED[fault](get(sim, BACKUP, AUTH, allow_redirects=False))
        else:
            with pytest.raises(UNANSWERED[fault]) as caught:
                get(sim, BACKUP, AUTH, timeout=0.5)
            if fault == "drop":  # an immediate hang-up, not a timeout
                assert not isinstance(caught.value, requests.Timeout)
        assert response(sim, BACKUP)["taskId"] == sim.task_id  # used up: the next one is normal
        assert sim.requests("getbackupprogress") == 2


@pytest.mark.parametrize("fault", ["complete-early", "over-100", "unknown-kind", "error-running"])
def test_odd_values_twist_the_real_restore_answer(portal: Simulator, manual_clock: ManualClock, fault: str) -> None:
    manual_clock.advance(150)  # 10 + 65 × 90/360 = 26%
    plain = response(portal, RESTORE, None)
    portal.inject(fault, path="getrestoreprogress")
    twisted = response(portal, RESTORE, None)
    assert twisted["taskId"] == plain["taskId"] and plain["progress"] == 26
    changed = {k for k in plain if plain[k] != twisted[k]}
    assert changed == {"complete-early": {"isCompleted", "status"}, "over-100": {"progress"},
                       "unknown-kind": {"backupProgressEnum"}, "error-running": {"error"}}[fault]
    assert response(portal, RESTORE, None) == plain  # used up


def test_wrong_shape_history_is_a_bare_string_and_odd_history_still_parses(portal: Simulator) -> None:
    portal.inject("wrong-shape", path="history")
    assert get(portal, HISTORY, AUTH).json() == "just a string"
    plain = response(portal, HISTORY)
    portal.inject("odd", path="history")
    portal.inject("odd", path="schedule")
    odd = get(portal, HISTORY, AUTH).json()["response"]
    assert {r["storageType"] for r in odd} == {"Documents", "DataStore"} and odd[0]["createdOn"].endswith("Z")
    assert [r.id for r in parse_backup_files(odd)] == [r["id"] for r in plain]
    assert get(portal, SCHEDULE, AUTH).json()["response"]["cronParams"]["period"] == "EveryDay"


def test_a_slow_answer_does_not_block_other_requests(manual_clock: ManualClock) -> None:
    with Simulator("restore", clock=manual_clock, slow_seconds=5) as sim:
        sim.inject("slow")
        outcome: list[BaseException | int] = []

        def slow_call() -> None:
            try:
                outcome.append(get(sim, RESTORE, timeout=10).status_code)
            except requests.RequestException as exc:
                outcome.append(exc)

        caller = threading.Thread(target=slow_call)
        caller.start()
        while sim.requests() == 0:  # the slow request has arrived (and taken the fault)
            time.sleep(0.005)
        began = time.monotonic()
        assert all(get(sim, RESTORE).status_code == 200 for _ in range(5))
        assert time.monotonic() - began < 2 and caller.is_alive() and outcome == []
    caller.join(5)  # stop() wakes the sleeper and cuts its connection
    assert not caller.is_alive() and len(outcome) == 1


def test_faults_by_path_count_and_period(manual_clock: ManualClock) -> None:
    with Simulator("restore", clock=manual_clock, fault="502", fault_every=3) as sim:
        assert [get(sim, RESTORE).status_code for _ in range(6)] == [200, 200, 502, 200, 200, 502]
    with Simulator("restore", clock=manual_clock) as sim:
        sim.inject("401", count=2, path="HISTORY")
        assert get(sim, RESTORE).status_code == 200
        assert [get(sim, HISTORY).status_code for _ in range(3)] == [401, 401, 200]
        with pytest.raises(ValueError):
            sim.inject("nope")


def _in_background(call: Callable[[], Any]) -> tuple[threading.Thread, list[Any]]:
    """Run ``call`` in a thread; its result or exception lands in the list."""
    outcome: list[Any] = []

    def run() -> None:
        try:
            outcome.append(call())
        except requests.RequestException as exc:
            outcome.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


def _wait_for_request(sim: Simulator, count: int = 1) -> None:
    deadline = time.monotonic() + 10
    while sim.requests() < count:
        assert time.monotonic() < deadline, "the request never arrived"
        time.sleep(0.005)


@pytest.mark.slow
def test_latency_delays_every_answer_but_not_each_other(manual_clock: ManualClock) -> None:
    with Simulator("restore", api_key=KEY, clock=manual_clock, latency=1.0) as sim:  # 1 s: room to spare below
        began = time.monotonic()
        assert response(sim, RESTORE, None)["taskId"] == sim.task_id  # slow, but healthy
        assert time.monotonic() - began >= 1.0
        sim.inject("401")
        began = time.monotonic()
        assert get(sim, HISTORY, AUTH).status_code == 401  # a fault's answer waits too
        assert time.monotonic() - began >= 1.0
        began = time.monotonic()
        with ThreadPoolExecutor(max_workers=4) as pool:
            codes = list(pool.map(lambda _: get(sim, RESTORE).status_code, range(4)))
        assert codes == [200] * 4 and time.monotonic() - began < 3.0  # side by side; in turn, 4 s
        began = time.monotonic()
        assert requests.get(sim.url + "/_sim/requests", timeout=5).json() == {"count": 6}
        assert time.monotonic() - began < 1.0  # test control is not the portal: never delayed


def test_latency_is_cut_short_by_stop(manual_clock: ManualClock) -> None:
    sim = Simulator("restore", clock=manual_clock, latency=60)
    sim.start()
    caller, outcome = _in_background(lambda: get(sim, RESTORE, timeout=30))
    _wait_for_request(sim)
    began = time.monotonic()
    sim.stop()
    caller.join(5)
    assert not caller.is_alive() and time.monotonic() - began < 3
    assert len(outcome) == 1 and isinstance(outcome[0], requests.ConnectionError)


@pytest.mark.slow
def test_trickle_sends_the_headers_then_one_byte_at_a_time(manual_clock: ManualClock) -> None:
    assert Simulator().trickle_interval == 0.5  # by default a 40-byte body takes 20 s
    interval = 0.01
    with Simulator("idle", clock=manual_clock, trickle_interval=interval) as sim:
        whole = get(sim, RESTORE).content
        sim.inject("trickle")
        host, port = sim.url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=5) as conn:
            conn.sendall(f"GET {RESTORE} HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode())
            began, received, pieces = time.monotonic(), b"", 0
            while b"\r\n\r\n" not in received:
                received += conn.recv(4096)
            head, _, body = received.partition(b"\r\n\r\n")
            headers_after = time.monotonic() - began
            while len(body) < len(whole):
                body += conn.recv(4096)
                pieces += 1
            took = time.monotonic() - began
    assert head.startswith(b"HTTP/1.1 200 ") and f"Content-Length: {len(whole)}".encode() in head
    assert body == whole  # the normal answer, only slowly
    assert headers_after < interval * len(whole) / 2 and took >= interval * len(whole) * 0.9
    assert pieces >= len(whole) // 2  # it came in (mostly) one byte at a time, not as one block


@pytest.mark.slow
def test_trickle_stops_promptly_on_stop(manual_clock: ManualClock) -> None:
    sim = Simulator("restore", clock=manual_clock)  # the default 0.5 s a byte: minutes for this body
    sim.start()
    sim.inject("trickle")
    caller, outcome = _in_background(lambda: get(sim, RESTORE, timeout=30))
    _wait_for_request(sim)
    time.sleep(0.6)  # a byte or so is out
    began = time.monotonic()
    sim.stop()
    caller.join(5)
    assert not caller.is_alive() and time.monotonic() - began < 3
    assert len(outcome) == 1 and isinstance(outcome[0], requests.RequestException)  # an incomplete body


def test_https_redirect_keeps_host_port_path_and_query(portal: Simulator) -> None:
    portal.inject("https-redirect")
    moved = get(portal, RESTORE + "?dump=true", allow_redirects=False)
    assert moved.status_code == 301 and "nginx" in moved.text
    assert moved.headers["Location"] == portal.url.replace("http://", "https://") + RESTORE + "?dump=true"
    portal.inject("redirect")  # unlike the redirect fault, which sends the client to another host
    assert get(portal, RESTORE, allow_redirects=False).headers["Location"].startswith("https://elsewhere.")


def test_latin1_body_is_not_utf8(portal: Simulator) -> None:
    portal.inject("latin1", path="restore")
    resp = get(portal, RESTORE)
    assert "é".encode("latin-1") in resp.content and "é".encode() not in resp.content
    with pytest.raises(UnicodeDecodeError):
        json.loads(resp.content)  # a strict UTF-8 reader cannot even start
    assert resp.json()["response"]["taskId"] == portal.task_id  # a lenient one gets U+FFFD for the é
    assert response(portal, RESTORE)["error"] == ""  # used up: back to the real, healthy restore


# ---------------------------------------------------------------- control, counting, lifecycle


def test_control_endpoints_are_not_counted(portal: Simulator) -> None:
    get(portal, RESTORE)
    assert requests.post(portal.url + "/_sim/inject?fault=502&count=2&path=getrestoreprogress", timeout=5).ok
    assert get(portal, HISTORY, AUTH).status_code == 200
    assert [get(portal, RESTORE).status_code for _ in range(3)] == [502, 502, 200]
    counted = requests.get(portal.url + "/_sim/requests?path=getrestoreprogress", timeout=5)
    assert counted.json() == {"count": 4}
    assert requests.get(portal.url + "/_sim/requests", timeout=5).json() == {"count": 5}
    assert requests.post(portal.url + "/_sim/inject?fault=bogus", timeout=5).status_code == 400
    old = portal.task_id
    switched = requests.post(portal.url + "/_sim/scenario?name=backup", timeout=5).json()
    assert switched["taskId"] == portal.task_id != old and portal.scenario == "backup"
    assert requests.post(portal.url + "/_sim/scenario?name=bogus", timeout=5).status_code == 400
    assert response(portal, BACKUP)["taskId"] == portal.task_id and response(portal, RESTORE) is None
    assert portal.requests("getrestoreprogress") == 5 and portal.requests() == 7
    portal.reset_counts()
    assert portal.requests() == 0


def test_counting_under_concurrency(portal: Simulator) -> None:
    with ThreadPoolExecutor(max_workers=16) as pool:
        codes = list(pool.map(lambda _: get(portal, RESTORE).status_code, range(48)))
    assert codes == [200] * 48 and portal.requests("restore") == 48 and portal.requests("history") == 0


def test_set_scenario_restarts_with_a_new_task(portal: Simulator, manual_clock: ManualClock) -> None:
    at(manual_clock, 700)
    old = response(portal, RESTORE)
    portal.set_scenario("restore")
    fresh = response(portal, RESTORE)
    assert old["isCompleted"] and not fresh["isCompleted"] and fresh["progress"] == 0
    assert fresh["taskId"] == portal.task_id != old["taskId"] and fresh["tenantId"] == 1
    with pytest.raises(ValueError):
        portal.set_scenario("nope")
    with pytest.raises(ValueError):
        Simulator("nope")


def test_manual_clock() -> None:
    clock = ManualClock()
    assert clock() == START
    clock.advance(2.5)
    assert clock() == START + 2.5 and ManualClock(5)() == 5


def test_stop_cuts_connections_and_frees_the_port(manual_clock: ManualClock) -> None:
    sim = Simulator("restore", clock=manual_clock)
    sim.start()
    port = int(sim.url.rsplit(":", 1)[1])
    with requests.Session() as session:  # keeps its connection alive across calls
        assert session.get(sim.url + RESTORE, timeout=5).status_code == 200
        sim.stop()
        sim.stop()  # twice is fine
        with pytest.raises(requests.ConnectionError):
            session.get(sim.url + RESTORE, timeout=5)
    assert not any(t.name == f"docspace-simulator-{port}" for t in threading.enumerate())
    with Simulator("restore", clock=manual_clock, port=port) as again:
        assert again.url == f"http://127.0.0.1:{port}" and get(again, RESTORE).status_code == 200


def test_nothing_is_logged_and_the_key_never_echoed(manual_clock: ManualClock,
                                                    capfd: pytest.CaptureFixture[str]) -> None:
    capfd.readouterr()  # only what happens from here on
    with Simulator("backup", api_key=KEY, clock=manual_clock, slow_seconds=0.2) as sim:
        for fault in ("drop", "stall-body", None):
            if fault:
                sim.inject(fault)
            try:
                resp = get(sim, HISTORY, {"Authorization": f"Bearer {KEY}x"}, timeout=1)
            except requests.RequestException:
                continue
            assert KEY not in resp.text and all(KEY not in v for v in resp.headers.values())
    out, err = capfd.readouterr()
    assert out == "" and err == ""


@pytest.mark.slow
def test_cli_help_lists_scenarios_faults_and_options() -> None:
    out = subprocess.run([sys.executable, "-m", "simulator", "--help"], cwd=ROOT, capture_output=True,
                         text=True, timeout=30, check=True).stdout
    for word in (*SCENARIOS, *FAULTS, "--speed", "--api-key", "--fault-every", "--port", "--latency",
                 "--trickle-interval"):
        assert word in out


def _ignore_sigint() -> None:
    """In the child before exec: what a background job of a non-interactive shell inherits."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def test_a_child_started_so_inherits_sigint_ignored() -> None:
    """The premise of the next test: without its own handlers the CLI would never see Ctrl-C."""
    probe = "import signal; print(signal.getsignal(signal.SIGINT) is signal.SIG_IGN)"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=30,
                         preexec_fn=_ignore_sigint, start_new_session=True, check=True).stdout
    assert out.strip() == "True"


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_cli_serves_until_sigterm_or_ctrl_c(signum: int) -> None:
    command = [sys.executable, "-m", "simulator", "--port", "0", "--scenario", "idle", "--api-key", KEY]
    proc = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=_ignore_sigint, start_new_session=True)
    lines: queue.Queue[str | None] = queue.Queue()

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(line)
        lines.put(None)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        serving = lines.get(timeout=30)  # no sleeping: the line says when it listens
        assert serving is not None and "serving" in serving and KEY not in serving
        url = re.search(r"http://127\.0\.0\.1:(\d+)", serving)
        assert url
        assert requests.get(url.group() + BACKUP, timeout=5).status_code == 401
        assert requests.get(url.group() + BACKUP, headers=AUTH, timeout=5).json()["count"] == 0
        proc.send_signal(signum)
        assert proc.wait(timeout=10) == 0
        reader.join(5)
        rest = "".join(iter(lines.get_nowait, None))
        assert proc.stderr is not None and proc.stderr.read() == ""  # no traceback, no warning
        assert rest.splitlines()[-1] == "DocSpace simulator stopped"
        with pytest.raises(requests.ConnectionError):  # nobody listens any more
            requests.get(url.group() + BACKUP, timeout=5)
        with socket.socket() as again:  # and the port can be bound again
            again.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            again.bind(("127.0.0.1", int(url.group(1))))
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_a_datastore_backup_expires_after_a_day(manual_clock: ManualClock) -> None:
    with Simulator("idle", api_key=KEY, clock=manual_clock) as sim:
        job = post(sim, START_BACKUP, {"storageType": "4"}).json()["response"]
        at(manual_clock, 300)
        record = next(r for r in response(sim, HISTORY) if r["id"] == job["taskId"])
        assert record["storageType"] == 4 and record["createdOn"] == stamp(START + 300)
        assert record["expiresOn"] == stamp(START + 300 + 86_400)
