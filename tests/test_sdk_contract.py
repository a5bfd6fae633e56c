"""Contract test against a client we did not write: ONLYOFFICE's official Python SDK
(docspace-api-sdk, generated from their OpenAPI spec) must parse every success payload the
simulator produces. Where the SDK and the real server differ, the server wins (see comments)."""

from __future__ import annotations

import pytest
import requests

from lib.simulator import ManualClock, Simulator
from tests.conftest import KEY

sdk = pytest.importorskip("docspace_api_sdk.models")

AUTH = {"Authorization": f"Bearer {KEY}"}


def body(sim: Simulator, action: str) -> dict:
    resp = requests.get(f"{sim.url}/api/2.0/backup/{action}", headers=AUTH, timeout=5)
    assert resp.status_code == 200
    return resp.json()


def test_restore_progress_parses_with_the_sdk_at_every_phase(manual_clock: ManualClock) -> None:
    with Simulator("restore", api_key=KEY, clock=manual_clock) as sim:
        for advance, pct in ((0, 0), (45, 10), (200, 43), (250, 75), (200, 100)):
            manual_clock.advance(advance)
            raw = body(sim, "getrestoreprogress")
            parsed = sdk.BackupProgressWrapper.from_dict(raw)
            assert parsed.response.progress == pct
            assert parsed.response.backup_progress_enum.value == 1
            assert parsed.response.task_id == sim.task_id
            # The reference read the SDK at 2025-10, without `status`; the pinned 3.7.0 release has it.
            # Either way the server's int is what counts, and the SDK agrees with it now.
            assert parsed.response.status.value == raw["response"]["status"]


def test_backup_progress_and_its_warning_parse_with_the_sdk(manual_clock: ManualClock) -> None:
    warning = "Some files were not included in the backup. For more details, please check backup.log"
    with Simulator("backup", api_key=KEY, clock=manual_clock, warning_text=warning) as sim:
        running = sdk.BackupProgressWrapper.from_dict(body(sim, "getbackupprogress"))
        assert running.response.link == "" and running.response.is_completed is False
        manual_clock.advance(400)
        raw = body(sim, "getbackupprogress")
        done = sdk.BackupProgressWrapper.from_dict(raw)
        assert done.response.is_completed and done.response.link.startswith("/")
        # `warning` exists on the server since v3.6; the SDK of 2025-10 lacked it, 3.7.0 reads it.
        assert raw["response"]["warning"] == warning == done.response.warning
        history = sdk.BackupHistoryRecordArrayWrapper.from_dict(body(sim, "getbackuphistory"))
        assert str(sim.task_id) in {str(r.id) for r in history.response}


def test_failed_cancelled_and_idle_payloads(manual_clock: ManualClock) -> None:
    with Simulator("fail", api_key=KEY, clock=manual_clock) as sim:
        manual_clock.advance(400)
        failed = sdk.BackupProgressWrapper.from_dict(body(sim, "getrestoreprogress"))
        assert failed.response.error == "The backup file is invalid." and failed.response.is_completed
    with Simulator("cancel", api_key=KEY, clock=manual_clock) as sim:
        manual_clock.advance(200)
        cancelled = sdk.BackupProgressWrapper.from_dict(body(sim, "getbackupprogress"))
        assert cancelled.response.is_completed
    with Simulator("idle", api_key=KEY, clock=manual_clock) as sim:
        idle = sdk.BackupProgressWrapper.from_dict(body(sim, "getrestoreprogress"))
        assert idle.response is None and idle.count == 0  # no `response` key at all when idle


def test_schedule_parses_with_the_sdk(manual_clock: ManualClock) -> None:
    with Simulator("overdue", api_key=KEY, clock=manual_clock) as sim:
        schedule = sdk.ScheduleWrapper.from_dict(body(sim, "getbackupschedule"))
        assert schedule.response.cron_params.hour == 2 and schedule.response.backups_stored == 7
        history = sdk.BackupHistoryRecordArrayWrapper.from_dict(body(sim, "getbackuphistory"))
        assert len(history.response) == 5
