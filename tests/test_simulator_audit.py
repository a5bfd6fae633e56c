"""The simulator's audit trail, schedule removal, failed scheduled run and unpaid portal, as DocSpace v3.7.2
answers them (docs/_notes-audit.md), checked over real loopback HTTP with a manual clock."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from simulator import NEVER, ManualClock, Options, Simulator
from simulator.__main__ import options, parser
from simulator.past import SCHEDULED_ERROR
from tests.factories import KEY, T0

AUTH = {"Authorization": f"Bearer {KEY}"}
FILTER = "/api/2.0/security/audit/events/filter"
LAST = "/api/2.0/security/audit/events/last"
BACKUP = "/api/2.0/backup/"
#: T0 is 2027-01-15 08:00 UTC: the newest seeded scheduled run is that day's 02:00
DAY = datetime.fromtimestamp(T0, UTC).replace(hour=0)
DATE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}(Z|[+-]\d\d:\d\d)$")
KEYS = ["id", "date", "user", "userId", "action", "actionId", "actionType", "product", "location", "entries",
        "context"]
MANUAL = ["id", "date", "user", "userId", "action", "actionId", "ip", "browser", "platform", "page", "actionType",
          "product", "location", "entries", "context"]


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T0)


def get(sim: Simulator, path: str, **params: Any) -> requests.Response:
    return requests.get(sim.url + path, params=params, headers=AUTH, timeout=5)


def events(sim: Simulator, **params: Any) -> list[dict[str, Any]]:
    resp = get(sim, FILTER, **params)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["count"] == len(body["response"]) and body["status"] == 0
    return body["response"]


def iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def test_an_event_has_the_servers_shape(clock: ManualClock) -> None:
    with Simulator("idle", api_key=KEY, clock=clock) as sim:
        assert events(sim, action=5129) == []  # no scheduled run failed here
        scheduled = events(sim, action=5128)
        assert len(scheduled) == 5 and [list(e) for e in scheduled] == [KEYS] * 5  # no ip/page: no request wrote it
        first = scheduled[0]
        assert first["action"] == "Scheduled backup completed" and first["actionId"] == 5128
        assert (first["actionType"], first["product"], first["location"]) == (2, 7, 29)  # Update, Settings, Settings
        assert first["entries"] == [] and first["context"] == "Settings" and isinstance(first["id"], int)
        assert first["date"] == "2027-01-15T02:02:18.0000000Z" and DATE.match(first["date"])
        manual = events(sim, action="BackupCompleted")  # the name works as well as the number
        assert len(manual) == 1 and list(manual[0]) == MANUAL and manual[0]["ip"] == "127.0.0.1"
        assert [e["date"] for e in scheduled] == sorted((e["date"] for e in scheduled), reverse=True)  # newest first


def test_dates_are_written_in_the_portals_zone(clock: ManualClock) -> None:
    with Simulator("idle", api_key=KEY, clock=clock, options=Options(utc_offset=120)) as sim:
        newest = events(sim, action=5128)[0]
        assert newest["date"] == "2027-01-15T02:02:18.0000000+02:00"  # 02:00 on the portal's clock, 00:02 UTC
        settings = requests.get(sim.url + "/api/2.0/settings", timeout=5).json()["response"]
        assert (settings["timezone"], settings["utcOffset"], settings["utcHoursOffset"]) == ("Etc/GMT-2", "02:00:00", 2)


@pytest.mark.parametrize("value", ["2027-01-10T00:00:00", "2027-01-10", "2027-01-10T00:00:00.123456+00:00",
                                   "yesterday"])
def test_a_date_without_an_explicit_zone_is_refused(clock: ManualClock, value: str) -> None:
    with Simulator("idle", api_key=KEY, clock=clock) as sim:
        resp = get(sim, FILTER, action=5128, **{"from": value})
        assert resp.status_code == 400 and resp.headers["Content-Type"].startswith("application/problem+json")
        assert resp.json()["errors"] == {"from": ["The input was not valid."]}


@pytest.mark.parametrize(("params", "field"), [({"count": 0}, "Count"), ({"count": 101}, "Count"),
                                               ({"count": "many"}, "count"), ({"action": "NoSuchAction"}, "action")])
def test_other_bad_queries_are_400(clock: ManualClock, params: dict[str, Any], field: str) -> None:
    with Simulator("idle", api_key=KEY, clock=clock) as sim:
        resp = get(sim, FILTER, **params)
        assert resp.status_code == 400 and field in resp.json()["errors"]


def test_filters_by_action_and_time_and_pages(clock: ManualClock) -> None:
    with Simulator("idle", api_key=KEY, clock=clock, options=Options(days=12)) as sim:
        since = DAY - timedelta(days=3)
        found = events(sim, action=5128, **{"from": iso(since), "to": iso(DAY + timedelta(hours=3))})
        assert [e["date"][:10] for e in found] == ["2027-01-15", "2027-01-14", "2027-01-13", "2027-01-12"]
        # an offset is honoured: 01:00+02:00 is 23:00 UTC the day before
        found = events(sim, action=5128, **{"from": "2027-01-15T01:00:00+02:00"})
        assert [e["date"][:10] for e in found] == ["2027-01-15"]
        pages = [events(sim, action=5128, count=5, startIndex=start) for start in (0, 5, 10)]
        assert [len(p) for p in pages] == [5, 5, 2]
        assert len({e["id"] for p in pages for e in p}) == 12


def test_without_the_audit_feature_the_20_newest_come_whatever_was_asked(clock: ManualClock) -> None:
    with Simulator("idle", api_key=KEY, clock=clock, options=Options(audit=False)) as sim:
        found = events(sim, action=5129, count=100, **{"from": iso(DAY - timedelta(days=30)), "to": iso(DAY)})
        assert len(found) == 20 and {e["actionId"] for e in found} - {5129}  # other kinds, none of them failed runs
        assert 5002 in {e["actionId"] for e in found}  # the portal in use: files updated
        assert found == events(sim, action=5128) == get(sim, LAST).json()["response"]  # the same 20, always
        assert found[-1]["date"] > iso(DAY - timedelta(days=30))  # and not the days that were asked for
        assert get(sim, FILTER, **{"from": "2027-01-01"}).status_code == 400  # binding still checks the dates


def test_jobs_write_their_events(clock: ManualClock) -> None:
    with Simulator("backup", api_key=KEY, clock=clock) as sim:
        assert [e["actionId"] for e in events(sim, action=5041)][:1] == [5041]  # started now
        assert len(events(sim, action=5125)) == 1  # only the seeded manual one is complete
        clock.advance(301)
        done = events(sim, action=5125)
        assert len(done) == 2 and done[0]["date"].startswith("2027-01-15T08:05:01")
    with Simulator("cancel", api_key=KEY, clock=clock) as sim:
        clock.advance(200)
        (cancelled,) = events(sim, action=5131)
        assert cancelled["target"] == ["1"] and cancelled["action"] == "Backup cancelled"


def test_a_completed_restore_brings_back_the_trail_of_its_backup_under_new_ids(clock: ManualClock) -> None:
    with Simulator("restore", api_key=KEY, clock=clock) as sim:
        (started,) = events(sim, action=5132)
        assert started["target"] == ["1"] and started["action"] == "Restore started"
        before = {e["date"]: e["id"] for e in events(sim, action=5128)}
        clock.advance(100)
        assert get(sim, FILTER, action=5128).status_code == 403  # the portal is locked while it restores
        clock.advance(600)
        after = {e["date"]: e["id"] for e in events(sim, action=5128)}
        assert after.keys() == before.keys() and not set(after.values()) & set(before.values())
        assert events(sim, action=5132) == []  # written after the backup was made: gone with the old tenant
    with Simulator("fail", api_key=KEY, clock=clock) as sim:
        clock.advance(400)
        assert len(events(sim, action=5132)) == 1  # a failed restore keeps the old tenant and its trail


def test_a_failed_scheduled_run_is_on_backup_progress_for_a_day(clock: ManualClock) -> None:
    with Simulator("scheduled-fail", api_key=KEY, clock=clock, options=Options(days=12, keep_files=2)) as sim:
        progress = get(sim, BACKUP + "getbackupprogress").json()["response"]
        assert (progress["isCompleted"], progress["status"], progress["error"]) == (True, 2, SCHEDULED_ERROR)
        assert progress["progress"] == 30 and progress["backupProgressEnum"] == 0
        (failed,) = events(sim, action=5129)
        assert failed["date"].startswith("2027-01-15T02:02:18") and "target" not in failed  # no reason in the trail
        history = get(sim, BACKUP + "getbackuphistory").json()["response"]
        scheduled = sorted(r["createdOn"] for r in history if r["storageType"] == 0)
        assert scheduled == ["2027-01-13T02:02:17", "2027-01-14T02:02:17"]  # 2 files kept, none from the failed run
        assert len(events(sim, action=5128)) == 11  # but the trail has every other day
        schedule = get(sim, BACKUP + "getbackupschedule").json()["response"]
        assert schedule["lastBackupTime"] == "2027-01-15T02:00:03" and schedule["backupsStored"] == 2  # dispatched
        clock.advance(86_400 - 6 * 3600 + 137)  # 24 h after the run ended
        assert "response" not in get(sim, BACKUP + "getbackupprogress").json()


def test_docspace_removes_the_schedule_at_its_next_run_and_says_nothing(clock: ManualClock) -> None:
    with Simulator("removed", api_key=KEY, clock=clock) as sim:
        assert get(sim, BACKUP + "getbackupschedule").json()["response"]["cronParams"]["hour"] == 2
        clock.advance(18 * 3600 + 5)  # Jan 16 02:00:03: the next run finds the quota spent
        gone = get(sim, BACKUP + "getbackupschedule").json()
        assert "response" not in gone and gone["count"] == 0
        assert "response" not in get(sim, BACKUP + "getbackupprogress").json()  # no task
        assert events(sim, action=5130) == [] and len(events(sim, action=5128)) == 5  # and no event
        requests.post(sim.url + "/_sim/schedule?do=set", timeout=5)
        again = get(sim, BACKUP + "getbackupschedule").json()["response"]
        assert again["lastBackupTime"] == NEVER  # saving a schedule resets it


def test_an_admin_deleting_the_schedule_is_in_the_trail(clock: ManualClock) -> None:
    with Simulator("idle", api_key=KEY, clock=clock) as sim:
        resp = requests.delete(sim.url + BACKUP + "deletebackupschedule", headers=AUTH, timeout=5)
        assert resp.status_code == 200 and resp.json()["response"] is True
        assert "response" not in get(sim, BACKUP + "getbackupschedule").json()
        (deleted,) = events(sim, action=5130)
        assert (deleted["action"], deleted["actionType"], deleted["target"]) == ("Scheduled backup deleted", 3, ["1"])
        assert requests.post(sim.url + "/_sim/schedule?do=remove", timeout=5).status_code == 200  # none left: fine


@pytest.mark.parametrize(("path", "method", "code"), [
    (BACKUP + "getbackuphistory", "GET", 402), (BACKUP + "getbackupschedule", "GET", 402),
    (BACKUP + "deletebackupschedule", "DELETE", 402), (FILTER, "GET", 402), (LAST, "GET", 402),
    (BACKUP + "getbackupscount", "GET", 200), (BACKUP + "getservicestate", "GET", 200),
    (BACKUP + "getbackupprogress", "GET", 200), (BACKUP + "getrestoreprogress", "GET", 200),
    ("/api/2.0/settings", "GET", 200), ("/api/2.0/people/@self", "GET", 200),
])
def test_a_portal_not_paid_for_answers_402_where_the_server_does(clock: ManualClock, path: str, method: str,
                                                                 code: int) -> None:
    with Simulator("idle", api_key=KEY, clock=clock, options=Options(paid=False)) as sim:
        resp = requests.request(method, sim.url + path, headers=AUTH, timeout=5)
        assert resp.status_code == code
        if code == 402:
            assert resp.content == b""  # the PaymentFilter's StatusCodeResult: no body


def test_the_counts_and_the_service_state(clock: ManualClock) -> None:
    with Simulator("idle", api_key=KEY, clock=clock) as sim:
        assert get(sim, BACKUP + "getbackupscount").json()["response"] == 6  # all made in January 2027
        assert get(sim, BACKUP + "getservicestate").json()["response"] == {"enabled": False}


def test_a_trail_limited_in_days_and_who_may_read_it(clock: ManualClock) -> None:
    with Simulator("idle", api_key=KEY, clock=clock, user_key="sk-" + "1" * 64,
                   options=Options(days=30, trail_days=12)) as sim:
        assert len(events(sim, action=5128)) == 12
        assert requests.get(sim.url + FILTER, timeout=5).status_code == 401
        denied = requests.get(sim.url + FILTER, headers={"Authorization": "Bearer sk-" + "1" * 64}, timeout=5)
        assert denied.status_code == 403 and denied.json()["error"]["message"] == "Access denied"


def test_the_command_line_sets_the_past_and_the_plan() -> None:
    args = parser().parse_args(["--days", "12", "--keep-files", "2", "--no-audit", "--unpaid", "--utc-offset", "-300"])
    assert options(args) == Options(days=12, keep_files=2, trail_days=None, audit=False, paid=False, utc_offset=-300)
    with pytest.raises(SystemExit):
        parser().parse_args(["--scenario", "nope"])
