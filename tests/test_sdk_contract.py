"""Contract test against a client we did not write: ONLYOFFICE's official Python SDK.

docspace-api-sdk is generated from ONLYOFFICE's OpenAPI spec, so its pydantic models are their own
statement of the wire format. Every *success* payload the simulator produces must parse with them,
and the SDK's own HTTP client must be able to talk to the simulator. Where the SDK and the real server
disagree, the server wins (reference §9), and the test says so instead of bending the simulator.

(The SDK's package import builds every model of the whole API, which takes several seconds: that is
the cost of this file, not of the simulator. So the file is marked slow, and the `sdk` fixture imports
the SDK only when a test here runs.)
"""

from __future__ import annotations

import json
from datetime import datetime
from types import SimpleNamespace
from typing import Any
from uuid import UUID

import pytest
import requests

from simulator import NEVER, SKIPPED_WARNING, ManualClock, Options, Simulator
from tests.factories import KEY

AUTH = {"Authorization": f"Bearer {KEY}"}
START = 1_000_000.0  # ManualClock's default start: when a fixture's job starts

pytestmark = pytest.mark.slow

# sdk.known: the JSON names the SDK's BackupProgress knows. The reference read the SDK of 2025-10, which had no
# `warning` (server v3.6+) and no `status` (server v3.7+); the pinned docspace-api-sdk 3.7.0 has both.
# The simulator sends them because the server does. An SDK that lacks them must drop them silently
# (its from_dict picks known keys only), never fail: that is what `_check_progress` asserts.
DOCUMENTED_DRIFT = {"warning", "status"}


@pytest.fixture(scope="module")
def sdk() -> SimpleNamespace:
    """The SDK's models, exceptions and clients by name (``sdk.BackupProgressWrapper``), imported here
    rather than at the top: the import takes seconds, which a run that deselects these tests
    (``-m "not slow"``) should not pay. ``sdk.known``: the JSON names its BackupProgress knows."""
    import docspace_api_sdk
    from docspace_api_sdk import exceptions, models

    known = {field.alias or name for name, field in models.BackupProgress.model_fields.items()}
    clients = {name: getattr(docspace_api_sdk, name)
               for name in ("ApiClient", "AuditTrailDataApi", "BackupApi", "Configuration")}
    return SimpleNamespace(**(vars(models) | vars(exceptions) | clients | {"known": known}))


def body(sim: Simulator, action: str, method: str = "GET", payload: Any = None) -> dict[str, Any]:
    path = action if action.startswith("/") else f"/api/2.0/backup/{action}"
    resp = requests.request(method, sim.url + path, headers=AUTH, json=payload, timeout=5)
    assert resp.status_code == 200, (action, resp.status_code)
    return resp.json()


def at(clock: ManualClock, seconds: float) -> None:
    clock.advance(START + seconds - clock())


def _check_progress(sdk: SimpleNamespace, raw: dict[str, Any]) -> Any:
    """Parse with the SDK; what it knows must round-trip exactly, what it does not know is dropped."""
    wrapper = sdk.BackupProgressWrapper.from_dict(raw)
    assert wrapper is not None and wrapper.response is not None
    assert wrapper.count == 1 and wrapper.status == 0 and wrapper.status_code == 200
    assert wrapper.links is not None and wrapper.links[0].href == raw["links"][0]["href"]
    assert sdk.BackupProgressWrapper.from_json(json.dumps(raw)) == wrapper
    sent = raw["response"]
    assert set(sent) - sdk.known <= DOCUMENTED_DRIFT  # no other disagreement with the SDK
    # to_dict() writes `None` for a nullable key the payload left out (warning, link): those are absent
    dumped = {k: v for k, v in wrapper.response.to_dict().items() if v is not None}
    assert dumped == {k: v for k, v in sent.items() if k in sdk.known}
    return wrapper.response


def test_restore_progress_parses_at_every_phase(sdk: SimpleNamespace, manual_clock: ManualClock) -> None:
    with Simulator("restore", api_key=KEY, clock=manual_clock) as sim:
        created, running, completed = (sdk.DistributedTaskStatus.Created, sdk.DistributedTaskStatus.Running,
                                       sdk.DistributedTaskStatus.Completed)
        for t, pct, tenant, status in ((0, 0, 1, created), (30, 10, 1, running), (240, 42, 1, running),
                                       (420, 75, 2, running), (600, 100, 2, completed)):
            at(manual_clock, t)
            progress = _check_progress(sdk, body(sim, "getrestoreprogress"))
            assert (progress.progress, progress.tenant_id, progress.task_id) == (pct, tenant, sim.task_id)
            assert progress.backup_progress_enum is sdk.BackupProgressEnum.Restore
            assert progress.link is None and progress.warning is None  # never sent for a restore
            if "status" in sdk.known:
                assert progress.status is status


def test_backup_progress_running_and_done(sdk: SimpleNamespace, manual_clock: ManualClock) -> None:
    with Simulator("backup", api_key=KEY, clock=manual_clock) as sim:
        running = _check_progress(sdk, body(sim, "getbackupprogress"))
        assert running.link == "" and running.is_completed is False and running.error == ""
        assert running.backup_progress_enum is sdk.BackupProgressEnum.Backup
        at(manual_clock, 270)
        assert _check_progress(sdk, body(sim, "getbackupprogress")).progress == 90  # uploading
        at(manual_clock, 300)
        done = _check_progress(sdk, body(sim, "getbackupprogress"))
        assert done.is_completed and done.progress == 100 and (done.link or "").startswith("/storage/backup/")


def test_backup_warning_is_the_servers_field(sdk: SimpleNamespace, manual_clock: ManualClock) -> None:
    with Simulator("backup", api_key=KEY, clock=manual_clock, warning_text=SKIPPED_WARNING) as sim:
        at(manual_clock, 300)
        raw = body(sim, "getbackupprogress")
        done = _check_progress(sdk, raw)
        assert raw["response"]["warning"] == SKIPPED_WARNING
        if "warning" in sdk.known:
            assert done.warning == SKIPPED_WARNING
        else:  # an SDK of 2025-10: dropped, not an error
            assert "warning" not in done.to_dict()


def test_failed_and_cancelled_jobs(sdk: SimpleNamespace, manual_clock: ManualClock) -> None:
    with Simulator("fail", api_key=KEY, clock=manual_clock) as sim:
        at(manual_clock, 200)
        failed = _check_progress(sdk, body(sim, "getrestoreprogress"))
        assert failed.is_completed and failed.error == "The backup file is invalid."
        if "status" in sdk.known:  # the server says Completed (2) for a failure; Failted (4) is never sent
            assert failed.status is sdk.DistributedTaskStatus.Completed
    with Simulator("cancel", api_key=KEY, clock=manual_clock) as sim:
        at(manual_clock, 500)
        cancelled = _check_progress(sdk, body(sim, "getbackupprogress"))
        assert cancelled.is_completed and cancelled.progress == 45
        if "status" in sdk.known:
            assert cancelled.status is sdk.DistributedTaskStatus.Canceled


def test_no_job_parses_as_no_response(sdk: SimpleNamespace, manual_clock: ManualClock) -> None:
    with Simulator("idle", api_key=KEY, clock=manual_clock) as sim:
        for action in ("getrestoreprogress", "getbackupprogress"):
            idle = sdk.BackupProgressWrapper.from_dict(body(sim, action))
            assert idle is not None and idle.response is None and idle.count == 0


def test_an_unknown_future_field_is_dropped_not_an_error(sdk: SimpleNamespace, manual_clock: ManualClock) -> None:
    with Simulator("backup", api_key=KEY, clock=manual_clock) as sim:
        raw = body(sim, "getbackupprogress")
        raw["response"]["somethingNew"] = {"introducedIn": "9.9"}
        parsed = sdk.BackupProgressWrapper.from_dict(raw)
        assert parsed is not None and parsed.response is not None
        assert parsed.response.task_id == sim.task_id and "somethingNew" not in parsed.response.to_dict()


def test_history_parses(sdk: SimpleNamespace, manual_clock: ManualClock) -> None:
    with Simulator("backup", api_key=KEY, clock=manual_clock) as sim:
        at(manual_clock, 300)
        raw = body(sim, "getbackuphistory")
        history = sdk.BackupHistoryRecordArrayWrapper.from_dict(raw)
        assert history is not None and history.response is not None
        assert history.count == len(history.response) == len(raw["response"]) == 7
        for record, sent in zip(history.response, raw["response"], strict=True):
            assert record.id == UUID(sent["id"]) and record.file_name == sent["fileName"]
            assert record.storage_type == sent["storageType"]
            assert record.created_on == datetime.fromisoformat(sent["createdOn"])
            assert record.expires_on == (datetime(1, 1, 1) if sent["expiresOn"] == NEVER
                                         else datetime.fromisoformat(sent["expiresOn"]))
        kinds = {r.storage_type for r in history.response}
        assert kinds == {sdk.BackupStorageType.Documents, sdk.BackupStorageType.DataStore}
        assert UUID(sim.task_id) in {r.id for r in history.response}  # the finished backup's record


def test_schedule_parses(sdk: SimpleNamespace, manual_clock: ManualClock) -> None:
    with Simulator("overdue", api_key=KEY, clock=manual_clock) as sim:
        raw = body(sim, "getbackupschedule")
        schedule = sdk.ScheduleWrapper.from_dict(raw)
        assert schedule is not None and schedule.response is not None and schedule.count == 1
        sched = schedule.response
        assert sched.cron_params.period is sdk.BackupPeriod.EveryDay and sched.cron_params.hour == 2
        assert sched.storage_type is sdk.BackupStorageType.Documents
        assert sched.storage_params == {"folderId": "1234"}
        assert sched.backups_stored == 7 and sched.dump is False
        assert sched.last_backup_time == datetime.fromisoformat(raw["response"]["lastBackupTime"])


def test_settings_parse_and_report_the_restore(sdk: SimpleNamespace, manual_clock: ManualClock) -> None:
    with Simulator("restore", api_key=KEY, clock=manual_clock) as sim:
        at(manual_clock, 100)
        settings = sdk.SettingsWrapper.from_dict(body(sim, "/api/2.0/settings"))
        assert settings is not None and settings.response is not None
        assert settings.response.tenant_status is sdk.TenantStatus.Restoring
        assert settings.response.version == "3.7.2"


def test_post_answers_parse(sdk: SimpleNamespace, manual_clock: ManualClock) -> None:
    with Simulator("idle", api_key=KEY, clock=manual_clock) as sim:
        dto = sdk.BackupDto(storage_type=sdk.BackupStorageType.Documents,
                            storage_params=[sdk.ItemKeyValuePairObjectObject(key="folderId", value="5")])
        started = _check_progress(sdk, body(sim, "startbackup", "POST", dto.to_dict()))
        assert started.task_id == sim.task_id and started.progress == 0
        login = sdk.AuthenticationTokenWrapper.from_dict(
            body(sim, "/api/2.0/authentication", "POST", {"userName": "admin@example.com",
                                                          "password": "demo-password"}))
        assert login is not None and login.response is not None and login.response.token
        assert login.response.expires is not None and login.response.expires.tzinfo is not None


@pytest.fixture
def sdk_api(sdk: SimpleNamespace, manual_clock: ManualClock) -> Any:
    """The SDK's own client, pointed at a simulated restore. The SDK names its key header
    "ApiKeyBearer"; the server reads only ``Authorization: Bearer sk-…`` (reference §4), which the
    SDK sends when the key is given as an OAuth2 access token."""
    with Simulator("restore", api_key=KEY, clock=manual_clock) as sim, \
            sdk.ApiClient(sdk.Configuration(host=sim.url, access_token=KEY)) as client:
        yield sim, sdk.BackupApi(client)


def test_the_sdk_client_itself_reads_the_simulator(sdk: SimpleNamespace, sdk_api: Any,
                                                    manual_clock: ManualClock) -> None:
    sim, api = sdk_api
    for dump in (None, False, True):  # the SDK sends `Dump=true`: capital D, lowercase value
        progress = api.get_restore_progress(dump=dump)
        assert progress.response is not None and progress.response.task_id == sim.task_id
    assert len(api.get_backup_history().response) == 6
    assert api.get_backup_schedule().response.cron_params.hour == 2
    assert api.get_backup_progress().response is None  # a restore is running, not a backup
    at(manual_clock, 100)
    with pytest.raises(sdk.ForbiddenException) as locked:  # the empty-body 403 while restoring
        api.get_backup_history()
    assert locked.value.status == 403 and not locked.value.body
    assert api.get_restore_progress().response.progress > 10


def test_the_sdk_client_sees_an_empty_401(sdk: SimpleNamespace, manual_clock: ManualClock) -> None:
    with Simulator("backup", api_key=KEY, clock=manual_clock) as sim, \
            sdk.ApiClient(sdk.Configuration(host=sim.url, access_token="sk-" + "0" * 64)) as client:
        with pytest.raises(sdk.UnauthorizedException) as rejected:
            sdk.BackupApi(client).get_backup_progress()
        assert rejected.value.status == 401 and not rejected.value.body
        assert sdk.BackupApi(client).get_restore_progress().response is None  # anonymous: still fine


# ---------------------------------------------------------------- the audit trail (docs/_notes-audit.md)

AUDIT = "/api/2.0/security/audit/events/filter"


def _check_audit(sdk: SimpleNamespace, raw: dict[str, Any]) -> list[Any]:
    """Every key the simulator sends is one the SDK's AuditEventDto knows, and every value but ``date``
    round-trips. ``date`` is where the SDK is wrong: it models ApiDateTime as an object ``{utcTime,
    timeZoneOffset}``, but the server writes a string (ApiDateTimeConverter.Write). The SDK's from_dict
    wraps the string as ``utcTime`` (the offset survives inside the datetime, its own ``timeZoneOffset``
    stays empty), and to_dict() drops both fields (readOnly): a round trip through the SDK loses the date."""
    wrapper = sdk.AuditEventArrayWrapper.from_dict(raw)
    assert wrapper is not None and wrapper.count == len(wrapper.response) == len(raw["response"]) > 0
    known = {field.alias or name for name, field in sdk.AuditEventDto.model_fields.items()}
    for sent, parsed in zip(raw["response"], wrapper.response, strict=True):
        assert set(sent) <= known
        assert isinstance(sent["date"], str)  # the wire: a string, not the SDK's object
        assert parsed.var_date.utc_time == datetime.fromisoformat(sent["date"])
        assert parsed.var_date.time_zone_offset is None and parsed.to_dict()["date"] == {}
        dumped = parsed.model_dump(mode="json", by_alias=True, exclude_none=True)
        assert {k: v for k, v in dumped.items() if k != "date"} == {k: v for k, v in sent.items() if k != "date"}
    return wrapper.response


def test_audit_events_parse_with_the_sdks_models(sdk: SimpleNamespace, manual_clock: ManualClock) -> None:
    with Simulator("backup", api_key=KEY, clock=manual_clock, options=Options(utc_offset=120)) as sim:
        at(manual_clock, 301)
        for action in (5125, 5128, 5041, 5127):
            events = _check_audit(sdk, body(sim, f"{AUDIT}?action={action}"))
            assert {e.action_id for e in events} == {sdk.MessageAction(action)}
            assert all(e.product is sdk.ProductType.Settings and e.location is sdk.LocationType.Settings
                       and e.action_type is sdk.ActionType.Update and e.entries == [] for e in events)
    with Simulator("restore", api_key=KEY, clock=manual_clock) as sim:
        (started,) = _check_audit(sdk, body(sim, f"{AUDIT}?action=RestoreStarted"))
        assert started.action_id is sdk.MessageAction.RestoreStarted and started.target == ["1"]
    with Simulator("idle", api_key=KEY, clock=manual_clock) as sim:
        requests.delete(sim.url + "/api/2.0/backup/deletebackupschedule", headers=AUTH, timeout=5)
        (deleted,) = _check_audit(sdk, body(sim, f"{AUDIT}?action=5130"))
        assert deleted.action_type is sdk.ActionType.Delete


def test_the_trail_of_a_portal_without_the_audit_feature(sdk: SimpleNamespace, manual_clock: ManualClock) -> None:
    with Simulator("idle", api_key=KEY, clock=manual_clock, options=Options(audit=False)) as sim:
        events = _check_audit(sdk, body(sim, f"{AUDIT}?action=5129"))
        assert len(events) == 20 and sdk.MessageAction.FileUpdated in {e.action_id for e in events}
        assert sdk.ProductType.Documents in {e.product for e in events}


def test_the_sdk_client_cannot_send_a_date_the_server_takes(sdk: SimpleNamespace, manual_clock: ManualClock) -> None:
    """The SDK puts an ApiDateTime model into the query as ``str(model)`` (``from={}``), which the server's
    binder refuses: to read a time range, this app writes the dates itself (lib/portal/audit.query)."""
    with Simulator("idle", api_key=KEY, clock=manual_clock) as sim, \
            sdk.ApiClient(sdk.Configuration(host=sim.url, access_token=KEY)) as client:
        api = sdk.AuditTrailDataApi(client)
        assert len(api.get_audit_events_by_filter(action=sdk.MessageAction.ScheduledBackupCompleted).response) == 5
        since = sdk.ApiDateTime(utc_time=datetime.fromtimestamp(START - 86_400 * 2).astimezone())
        with pytest.raises(sdk.BadRequestException) as refused:
            api.get_audit_events_by_filter(action=sdk.MessageAction.ScheduledBackupCompleted, var_from=since)
        assert refused.value.status == 400 and "from" in json.loads(refused.value.body)["errors"]
