"""The watcher reads the audit trail with nobody looking (30 days on first watch, then incrementally, across a
restart), remembers the schedule and tells once when DocSpace removes it (a reminder with remind_hours,
"scheduled again" when it is back), tells a failed scheduled backup with the portal's words, and judges
"overdue" by backups that were made. Against the simulator over loopback HTTP, with a manual clock."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from lib.db.store import HistoryStore
from lib.jobs.trail import ScheduleMemory
from lib.portal.audit import AuditAction
from lib.portal.errors import PaymentRequired
from lib.settings.config import AppConfig, PortalConfig
from lib.watching.watcher import Watcher
from simulator import ManualClock, Options, Simulator
from simulator.past import SCHEDULED_ERROR
from tests.factories import KEY, T0

DAY = 86_400.0


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T0)  # 2027-01-15 08:00 UTC


class Told(list):
    def __call__(self, url: str, body: dict) -> None:
        self.append(body["text"].splitlines()[0])  # the title (the body says how long it took)


@pytest.fixture
def watching(clock: ManualClock, tmp_path: Path) -> Iterator:
    made: list[Watcher] = []

    def watch(sim: Simulator, told: Told | None = None, *, remind: float | None = None,
              at: ManualClock = clock, db: str = "h.db") -> Watcher:
        config = AppConfig((PortalConfig("prod", sim.url, "Production", KEY),), history_url=f"sqlite:///{tmp_path}/{db}",
                           webhook_url="https://hooks.example/x", remind_hours=remind)
        w = Watcher(config, HistoryStore(config.history_url, clock=at), clock=at,
                    send=told if told is not None else Told())
        w.notifier.load()  # what start() does first: the notifications decided before a restart
        made.append(w)
        return w

    yield watch
    for w in made:
        w.stop()


def tick(w: Watcher) -> None:
    w.sync()
    w.notifier.deliver_due()


def audit_requests(sim: Simulator) -> int:
    return sim.requests("security/audit")


def test_the_trail_is_read_back_30_days_then_only_what_is_new(clock: ManualClock, watching) -> None:
    with Simulator("idle", api_key=KEY, clock=clock, options=Options(days=40)) as sim:
        w = watching(sim)
        tick(w)
        completed = [e for e in w.store.audit_events("prod", 0)
                     if e.action_id == AuditAction.SCHEDULED_BACKUP_COMPLETED]
        assert len(completed) == 30 and min(e.when.timestamp() for e in completed) >= T0 - 30 * DAY
        read = w.store.trail_read("prod")
        assert read.complete_from == T0 - 30 * DAY and read.read_until == T0 and read.filtered
        asked = audit_requests(sim)
        assert asked == 6  # one request per kind the watcher reads
        clock.advance(300)  # the list is not due yet, nor the trail
        tick(w)
        assert audit_requests(sim) == asked
        requests.post(sim.url + "/api/2.0/backup/startbackup", json={"storageType": 4},
                      headers={"Authorization": f"Bearer {KEY}"}, timeout=5)
        clock.advance(600)
        tick(w)  # the list is due: the trail is read again, from an hour before the last read
        assert audit_requests(sim) == 2 * asked
        clock.advance(600)
        tick(w)
        manual = [e for e in w.store.audit_events("prod", T0) if e.action_id == AuditAction.BACKUP_COMPLETED]
        assert len(manual) == 1 and manual[0].when.timestamp() == T0 + 601  # the new backup, read incrementally
        assert w.store.trail_read("prod").complete_from == T0 - 30 * DAY  # no gap: still complete from then
        w.stop()
        clock.advance(3 * DAY)  # the app was away for three days
        again = watching(sim)
        tick(again)
        read = again.store.trail_read("prod")
        assert read.complete_from == T0 - 30 * DAY and read.read_until == clock()  # it went on where it stopped
        assert len(again.store.audit_events("prod", 0)) == len(w.store.audit_events("prod", 0))


def test_a_short_trail_and_a_trail_that_cannot_be_read(clock: ManualClock, watching) -> None:
    with Simulator("idle", api_key=KEY, clock=clock, options=Options(audit=False)) as sim:
        w = watching(sim)
        tick(w)
        read = w.store.trail_read("prod")
        assert not read.filtered and T0 - 2 * DAY < read.complete_from < T0 - DAY  # its 20 newest: a day and a half
        assert audit_requests(sim) <= 2
    with Simulator("idle", api_key=KEY, clock=clock, options=Options(paid=False)) as sim:
        w = watching(sim)
        tick(w)
        answer = w.backups("prod")
        assert isinstance(answer.result, PaymentRequired)
        assert str(answer.result.message).startswith("This portal's plan does not include backups.")
        assert audit_requests(sim) == 0  # the list was refused: the trail is not asked
    with Simulator("idle", api_key=KEY, clock=clock) as sim:
        sim.inject("402", count=1, path="security/audit")  # the list answers, the trail does not
        w = watching(sim, db="other.db")
        tick(w)
        failed = w.store.trail_read("prod")
        assert (failed.problem, failed.complete_from, failed.read_until) == ("not in the plan", None, None)
        assert w.store.audit_events("prod", 0) == [] and w.backups("prod").ok  # the list's answer stands
        clock.advance(600)
        tick(w)  # tried again with the list, ten minutes later: read
        read = w.store.trail_read("prod")
        assert read.problem == "" and read.complete_from == clock() - 30 * DAY and w.store.audit_events("prod", 0)


@pytest.mark.slow
def test_the_schedule_docspace_removes_is_told_once_then_reminded_then_back(clock: ManualClock, watching) -> None:
    told = Told()
    with Simulator("removed", api_key=KEY, clock=clock) as sim:
        w = watching(sim, told, remind=1.0)
        tick(w)
        assert w.store.schedule_memory("prod") == ScheduleMemory(T0, None) and told == []
        for _ in range(18 * 6 + 1):  # every 10 minutes until after 02:00 the next day
            clock.advance(600)
            tick(w)
        gone_at = w.store.schedule_memory("prod").gone_at
        assert gone_at == T0 + (18 * 6 + 1) * 600  # 02:10, the first answer without it
        assert told == ["⚠️ Production: automatic backups have stopped. The schedule was removed between Jan 16, "
                        "02:00 and Jan 16, 02:10 UTC. DocSpace removes it when a backup fails for quota or payment "
                        "reasons; an admin must set it up again."]
        for _ in range(13):  # two hours more
            clock.advance(600)
            tick(w)
        assert told[1:] == ["⏰ Production: automatic backups are still stopped; the schedule was removed 1 hr ago "
                            "and has not been set up again.",
                            "⏰ Production: automatic backups are still stopped; the schedule was removed 2 hr ago "
                            "and has not been set up again."]
        w.stop()
        again = watching(sim, told, remind=1.0)  # a restart tells nothing twice
        tick(again)
        assert len(told) == 3
        requests.post(sim.url + "/_sim/schedule?do=set", timeout=5)
        again.check_now("prod", "backups")
        tick(again)
        assert told[-1] == "✅ Production: automatic backups are scheduled again." and len(told) == 4
        assert again.store.schedule_memory("prod").gone_at is None


def test_an_admin_deleting_the_schedule_is_told_as_that(clock: ManualClock, watching) -> None:
    told = Told()
    with Simulator("idle", api_key=KEY, clock=clock) as sim:
        w = watching(sim, told)
        tick(w)
        clock.advance(300)
        requests.delete(sim.url + "/api/2.0/backup/deletebackupschedule", headers={"Authorization": f"Bearer {KEY}"},
                        timeout=5)
        clock.advance(300)
        tick(w)
        assert told == ["⚠️ Production: automatic backups have stopped. An admin deleted the schedule between Jan 15, "
                        "08:00 and Jan 15, 08:10 UTC (DocSpace's audit trail records it); set it up again if that "
                        "was not meant."]


def test_a_portal_never_seen_with_a_schedule_is_told_once(clock: ManualClock, watching) -> None:
    told = Told()
    with Simulator("idle", api_key=KEY, clock=clock) as sim:
        sim.remove_schedule()
        w = watching(sim, told)
        for _ in range(3):
            tick(w)
            clock.advance(600)
        w.stop()
        tick(watching(sim, told))
    assert told == ["ℹ️ Production: this portal has no automatic backups (no backup schedule is set up in DocSpace)."]


def test_a_failed_scheduled_backup_is_told_with_the_portals_words(clock: ManualClock, watching) -> None:
    told = Told()
    with Simulator("idle", api_key=KEY, clock=clock) as sim:
        w = watching(sim, told)
        tick(w)  # watched: no backup is running
        sim.set_scenario("scheduled-fail")  # meanwhile the schedule's run failed at once
        clock.advance(60)
        tick(w)
        (op,) = w.store.operations(kind="backup")
        assert (op.outcome, op.portal_text, op.last_percent) == ("failed", SCHEDULED_ERROR, 30)
        assert f"❌ Production: the backup failed at 30%: {SCHEDULED_ERROR}" in told


def test_a_failed_task_seen_on_the_first_answer_is_recorded_not_told(clock: ManualClock, watching) -> None:
    told = Told()
    with Simulator("scheduled-fail", api_key=KEY, clock=clock) as sim:
        w = watching(sim, told)
        tick(w)
        (op,) = w.store.operations(kind="backup")
        assert op.outcome == "failed" and not [t for t in told if "failed at" in t]  # it may be a day old


def test_overdue_is_judged_by_backups_made_not_by_the_dispatch_time(watching) -> None:
    told = Told()
    clock = ManualClock(T0 - 3600)  # 07:00, so the seeded manual backup was made at 01:00, before the run was due
    with Simulator("scheduled-fail", api_key=KEY, clock=clock) as sim:
        w = watching(sim, told, at=clock)
        tick(w)  # today's 02:00 run was dispatched (lastBackupTime 02:00:03), and it failed
        assert "⚠️ Production: a scheduled backup is overdue (expected 5 hr ago)." in told


def test_a_bug_in_taking_the_answer_never_stops_the_watching(clock: ManualClock, watching, caplog) -> None:
    with Simulator("idle", api_key=KEY, clock=clock) as sim:
        w = watching(sim)
        tick(w)
        watch = w._endpoints[("prod", "backups", None)].backups

        def broken(since, until):
            raise RuntimeError("a bug")

        watch._read_trail = broken
        clock.advance(600)
        tick(w)  # no exception reaches the watcher's pool
        assert "the backup list's answer could not be taken in full" in caplog.text
        assert w.backups("prod").ok and w.backups("prod").at == clock()
        clock.advance(600)
        tick(w)
        assert w.backups("prod").at == clock()  # and the list is still read every ten minutes


def test_a_history_that_cannot_be_opened_does_not_make_every_check_read_the_trail(clock: ManualClock, watching,
                                                                                 tmp_path: Path) -> None:
    """The database is away from the start: what the trail was read up to is kept in memory, so the trail
    is read again every 10 minutes, as usual, not at every check of the backup list."""
    (tmp_path / "blocked").write_text("a file where the history's folder should be")
    with Simulator("idle", api_key=KEY, clock=clock, options=Options(days=40)) as sim:
        w = watching(sim, db="blocked/h.db")
        tick(w)
        first = audit_requests(sim)
        assert first > 0 and w.store.problem is not None
        lists = sim.requests("getbackuphistory")
        for _ in range(4):  # four more checks of the list within the trail's 10 minutes
            clock.advance(60)
            w.check_now("prod", "backups")
            tick(w)
        assert sim.requests("getbackuphistory") == lists + 4
        assert audit_requests(sim) == first
