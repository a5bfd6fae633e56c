"""The simulator honours the DocSpace contract's odd corners (reference §10), over real HTTP."""

from __future__ import annotations

import subprocess
import sys

import pytest
import requests

from lib.simulator import FAULTS, SCENARIOS, ManualClock, Simulator
from tests.conftest import KEY, ROOT

AUTH = {"Authorization": f"Bearer {KEY}"}


def get(sim: Simulator, path: str, headers: dict | None = None) -> requests.Response:
    return requests.get(sim.url + path, headers=headers or {}, timeout=5)


def test_success_envelope_and_no_response_key_when_idle(manual_clock: ManualClock) -> None:
    with Simulator("idle", api_key=KEY, clock=manual_clock) as sim:
        body = get(sim, "/api/2.0/backup/getrestoreprogress").json()
    assert "response" not in body and body["count"] == 0 and body["status"] == 0 and body["statusCode"] == 200
    assert body["links"] == [{"href": f"{sim.url}/api/2.0/backup/getrestoreprogress", "action": "GET"}]


def test_progress_object_shape(portal: Simulator) -> None:
    body = get(portal, "/api/2.0/backup/getrestoreprogress").json()
    progress = body["response"]
    assert body["count"] == 1
    assert list(progress) == ["isCompleted", "progress", "error", "tenantId", "backupProgressEnum", "status",
                              "taskId"]  # a restore has no link and no warning
    assert progress["error"] == "" and progress["backupProgressEnum"] == 1 and isinstance(progress["status"], int)


def test_both_prefixes_and_case_insensitive_dump(portal: Simulator) -> None:
    for path in ("/api/2.0/backup/getrestoreprogress", "/api/2.0/portal/getRestoreProgress?Dump=true",
                 "/api/2.0/backup/getrestoreprogress?dump=FALSE"):
        assert get(portal, path).json()["response"]["taskId"] == portal.task_id


def test_auth_like_the_real_portal(portal: Simulator) -> None:
    path = "/api/2.0/backup/getbackuphistory"
    for headers in ({}, {"Authorization": KEY}, {"Authorization": "Bearer sk-" + "0" * 64}):
        resp = get(portal, path, headers)
        assert resp.status_code == 401 and resp.content == b""
    assert get(portal, path, AUTH).json()["count"] == 6
    assert get(portal, "/api/2.0/backup/getrestoreprogress").status_code == 200  # anonymous


def test_while_restoring_backup_endpoints_answer_403_without_a_body(portal: Simulator,
                                                                     manual_clock: ManualClock) -> None:
    manual_clock.advance(100)
    assert get(portal, "/api/2.0/settings").json()["response"]["tenantStatus"] == 4
    resp = get(portal, "/api/2.0/backup/getbackupschedule", AUTH)
    assert resp.status_code == 403 and resp.content == b""
    assert get(portal, "/api/2.0/backup/getbackupschedule").status_code == 401  # auth runs first
    manual_clock.advance(400)  # the new tenant is in place at 75 %: unlocked
    assert get(portal, "/api/2.0/backup/getbackupschedule", AUTH).status_code == 200


def test_unknown_path_gets_the_error_envelope(portal: Simulator) -> None:
    resp = get(portal, "/api/2.0/backup/nothing")
    body = resp.json()
    assert resp.status_code == 404 and body["status"] == 1 and body["statusCode"] == 404
    assert set(body["error"]) == {"message", "type", "stack", "hresult"}


def test_html_pages_and_retry_after(portal: Simulator) -> None:
    portal.inject("503")
    resp = get(portal, "/api/2.0/backup/getrestoreprogress")
    assert resp.status_code == 503 and resp.headers["Content-Type"] == "text/html" and "nginx" in resp.text
    assert resp.headers["Retry-After"] == "7"
    portal.inject("429")
    resp = get(portal, "/api/2.0/backup/getrestoreprogress")
    assert resp.content == b"" and resp.headers["X-RateLimit-Remaining"] == "0"


def test_faults_by_path_count_and_period(manual_clock: ManualClock) -> None:
    with Simulator("restore", clock=manual_clock, fault="502", fault_every=3) as sim:
        codes = [get(sim, "/api/2.0/backup/getrestoreprogress").status_code for _ in range(6)]
        assert codes == [200, 200, 502, 200, 200, 502]
    with Simulator("restore", clock=manual_clock) as sim:
        sim.inject("401", count=2, path="history")
        assert get(sim, "/api/2.0/backup/getrestoreprogress").status_code == 200
        assert [get(sim, "/api/2.0/backup/getbackuphistory").status_code for _ in range(3)] == [401, 401, 200]
        with pytest.raises(ValueError):
            sim.inject("nope")


def test_control_endpoints_and_counting(portal: Simulator) -> None:
    get(portal, "/api/2.0/backup/getrestoreprogress")
    assert requests.post(portal.url + "/_sim/inject?fault=502&count=1", timeout=5).ok
    assert get(portal, "/api/2.0/backup/getrestoreprogress").status_code == 502
    assert get(portal, "/_sim/requests?path=getrestoreprogress").json() == {"count": 2}
    old = portal.task_id
    assert requests.post(portal.url + "/_sim/scenario?name=backup", timeout=5).json()["taskId"] != old
    assert portal.scenario == "backup" and portal.requests("getrestoreprogress") == 2


def test_cli_help_lists_scenarios_and_faults() -> None:
    out = subprocess.run([sys.executable, "-m", "lib.simulator", "--help"], cwd=ROOT, capture_output=True,
                         text=True, timeout=30, check=True).stdout
    for word in (*SCENARIOS, *FAULTS, "--speed", "--api-key"):
        assert word in out
