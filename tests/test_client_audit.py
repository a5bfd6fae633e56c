"""The client reads the audit trail over loopback HTTP: only the asked kinds inside the asked time, every page,
dates sent with an explicit offset, a trail that ignores the filter recognised, and 402 in plain words."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from lib.portal import audit
from lib.portal.audit import AuditAction, AuditEvent, parse_event
from lib.portal.client import DocSpaceClient
from lib.portal.errors import PaymentRequired, PortalRestoring, UnexpectedResponse
from simulator import ManualClock, Options, Simulator
from tests.canned import Canned
from tests.factories import KEY, T0

NOW = datetime.fromtimestamp(T0, UTC)  # 2027-01-15 08:00 UTC
MONTH = NOW - timedelta(days=30)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T0)


def test_the_backup_events_of_the_last_month(clock: ManualClock) -> None:
    with Simulator("idle", api_key=KEY, clock=clock, options=Options(days=12)) as sim:
        trail = DocSpaceClient(sim.url, KEY).get_audit_events(MONTH, NOW)
        assert trail.filtered and trail.complete_from == MONTH and trail.until == NOW
        kinds = [e.action_id for e in trail.events]
        assert kinds.count(AuditAction.SCHEDULED_BACKUP_COMPLETED) == 12
        assert set(kinds) <= set(audit.WATCHED)  # not "started", not the files updated
        assert [e.when for e in trail.events] == sorted(e.when for e in trail.events)
        (manual,) = [e for e in trail.events if e.action_id == AuditAction.BACKUP_COMPLETED]
        assert manual.when == datetime(2027, 1, 15, 2, 0, 1, tzinfo=UTC) and not manual.scheduled
        scheduled = [e for e in trail.events if e.scheduled]
        assert scheduled[-1].when == datetime(2027, 1, 15, 2, 2, 18, tzinfo=UTC)
        assert scheduled[-1].action == "Scheduled backup completed" and scheduled[-1].offset_minutes == 0
        assert scheduled[-1].user == "Demo Admin" and "Demo Admin" not in repr(scheduled[-1])  # kept, not logged
        assert sim.requests("security/audit") == len(audit.WATCHED)  # one request per kind: one page each


def test_a_portal_in_another_zone_gives_utc_times_and_its_offset(clock: ManualClock) -> None:
    with Simulator("idle", api_key=KEY, clock=clock, options=Options(utc_offset=-300)) as sim:
        client = DocSpaceClient(sim.url, KEY)
        events = client.get_audit_events(MONTH, NOW, [AuditAction.SCHEDULED_BACKUP_COMPLETED]).events
        newest = events[-1]
        assert newest.offset_minutes == -300 and newest.when.tzinfo is UTC
        assert newest.when == datetime(2027, 1, 15, 7, 2, 18, tzinfo=UTC)  # 02:02 on the portal's clock


def test_many_events_come_page_by_page(clock: ManualClock) -> None:
    with Simulator("idle", api_key=KEY, clock=clock, options=Options(days=150)) as sim:
        trail = DocSpaceClient(sim.url, KEY).get_audit_events(NOW - timedelta(days=170), NOW,
                                                              [AuditAction.SCHEDULED_BACKUP_COMPLETED])
        assert len(trail.events) == 150 and len({e.id for e in trail.events}) == 150
        assert sim.requests("security/audit") == 2  # 100, then 50


def test_a_trail_without_the_audit_feature_is_filtered_here(clock: ManualClock) -> None:
    with Simulator("idle", api_key=KEY, clock=clock, options=Options(audit=False)) as sim:
        trail = DocSpaceClient(sim.url, KEY).get_audit_events(MONTH, NOW)
        assert not trail.filtered
        assert {e.action_id for e in trail.events} <= set(audit.WATCHED)
        assert trail.events  # the newest scheduled and manual backups are among the 20 newest
        # the 20 newest of every kind reach back about a day and a half: complete from there on only
        assert trail.complete_from == datetime(2027, 1, 13, 14, 30, tzinfo=UTC)
        assert all(e.when >= trail.complete_from for e in trail.events)
        assert sim.requests("security/audit") <= 2  # it stopped asking once the filter was seen ignored


def test_a_portal_not_paid_for_says_so_in_words(clock: ManualClock) -> None:
    with Simulator("idle", api_key=KEY, clock=clock, options=Options(paid=False)) as sim:
        client = DocSpaceClient(sim.url, KEY)
        for read in (lambda: client.get_audit_events(MONTH, NOW), client.get_backup_history,
                     client.get_backup_schedule):
            with pytest.raises(PaymentRequired) as refused:
                read()
            assert str(refused.value.message) == ("This portal's plan does not include backups. Ask the portal's owner "
                                             "to check its DocSpace plan; restores are still watched.")
            assert "402" not in str(refused.value.message)
        assert client.get_backup_progress() is None  # [AllowNotPayment]


def test_locked_while_restoring(clock: ManualClock) -> None:
    with Simulator("restore", api_key=KEY, clock=clock) as sim:
        clock.advance(100)
        with pytest.raises(PortalRestoring):
            DocSpaceClient(sim.url, KEY).get_audit_events(MONTH, NOW)


def test_dates_are_sent_in_seconds_with_an_offset() -> None:
    q = audit.query(5129, datetime(2027, 1, 1, 12, 30, 15, 123456, tzinfo=UTC), NOW, 200)
    assert q == {"action": "5129", "from": "2027-01-01T12:30:15+00:00", "to": "2027-01-15T08:00:00+00:00",
                 "count": "100", "startIndex": "200"}
    with pytest.raises(ValueError):
        audit.query(5129, datetime(2027, 1, 1), NOW)  # naive: the server would refuse it


def test_an_odd_but_readable_event_and_a_broken_one() -> None:
    odd = parse_event({"id": "7", "date": {"utcTime": "2027-01-15T02:02:18Z", "timeZoneOffset": "00:00:00"},
                       "actionId": "ScheduledBackupFailed", "action": "Scheduled backup failed", "target": [1]})
    assert odd == AuditEvent(7, datetime(2027, 1, 15, 2, 2, 18, tzinfo=UTC), 5129, "Scheduled backup failed", ("1",),
                             "", 0)
    with Canned() as canned:
        canned.answer(200, json.dumps({"response": [{"id": 1, "actionId": 5128}], "status": 0}))
        with pytest.raises(UnexpectedResponse):
            DocSpaceClient(canned.url, KEY).get_audit_events(MONTH, NOW)
        canned.answer(200, json.dumps({"response": {"id": 1}, "status": 0}))
        with pytest.raises(UnexpectedResponse):
            DocSpaceClient(canned.url, KEY).get_audit_events(MONTH, NOW)
        assert all("from=2026-12-16T08%3A00%3A00%2B00%3A00" in r["path"] for r in canned.seen)
