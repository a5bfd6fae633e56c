"""The pages with DocSpace's audit trail, in AppTest against the simulator over loopback HTTP: weeks of backups
for an app installed today, the failed scheduled backup, a short trail in Details, the schedule that disappears
(page, overview, strip, one message and a reminder), a plan without backups, a restore nobody watched."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from lib.db.store import HistoryStore
from lib.jobs.trail import TrailRead
from lib.portal.audit import AuditAction, AuditEvent
from lib.timewords import utc
from simulator import ManualClock, Options, Simulator
from tests.apptest import make_app, texts
from tests.canned import Canned
from tests.factories import KEY, T0

BACKUPS, PORTALS, HISTORY = "app_pages/backups.py", "app_pages/portals.py", "app_pages/history.py"
DAY = 86_400.0


@pytest.fixture
def manual_clock() -> ManualClock:
    return ManualClock(T0)  # Friday 2027-01-15 08:00 UTC: a trail read 30 days back stays in this century


@pytest.fixture
def db(tmp_path: Path) -> dict:
    """A history file: SQLite in memory shares one connection between the watcher's threads, and a read that
    ends rolls back on it, which can lose another thread's write under way; a file gives each its own."""
    return {"url": f"sqlite:///{tmp_path}/history.db"}


def plain(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text.replace("\u2060", ""))


def badges(at) -> list[str]:
    """The health badges of /portals (st.badge draws Markdown: ``:red-badge[:material/…: words]``)."""
    return re.findall(r":[a-z]+-badge\[(?::material/[a-z_]+: )?([^\]]*)\]", texts(at))


def details(at) -> str:
    box = next(e for e in at.get("expander") if e.proto.label == "Details")
    return "\n".join(m.value for m in box.markdown).replace("\\", "")


def test_an_app_installed_today_sees_the_last_weeks_of_backups(manual_clock: ManualClock, tick, db) -> None:
    """The portal's list keeps 2 files; its trail has 12 days of scheduled backups: the strip shows all 12."""
    with Simulator("idle", api_key=KEY, clock=manual_clock, options=Options(days=12, keep_files=2)) as sim:
        at = tick(make_app(sim, history=db))  # the first look: the watcher reads the list, then the trail
        tick(at.switch_page(BACKUPS))
        page = texts(at)
        assert "Backed up on 12 of the last 30 days" in page
        assert "Last backup: 5 hr, 57 min ago" in page
        assert len(at.dataframe[0].value) == 3  # the list: 2 scheduled files and a manual one
        assert "DocSpace's audit trail tells every backup made or failed since Dec 16" in details(at)
        assert "missed" not in page and "not known" not in page


def test_the_failed_scheduled_backup_is_named_with_the_portals_words(manual_clock: ManualClock, tick,
                                                                    db) -> None:
    with Simulator("scheduled-fail", api_key=KEY, clock=manual_clock, options=Options(days=12)) as sim:
        at = tick(make_app(sim, history=db))  # the first look: the watcher reads the list, then the trail
        tick(at.switch_page(BACKUPS))
        page = texts(at)
        assert "Today (Jan 15): the scheduled 02:00 backup failed — Something went wrong while creating the backup." \
            in page, page
        assert "Backed up on 12 of the last 30 days · 1 failed" in page


def test_a_short_trail_is_said_in_details(manual_clock: ManualClock, tick, db) -> None:
    with Simulator("idle", api_key=KEY, clock=manual_clock, options=Options(days=12, audit=False)) as sim:
        at = tick(make_app(sim, history=db))  # the first look: the watcher reads the list, then the trail
        tick(at.switch_page(BACKUPS))
        assert "DocSpace's audit trail is short on this portal" in details(at)
        assert "nothing on record before" in texts(at)  # the days before the short trail are not known


def test_the_schedule_that_disappears_is_an_alarm_told_once_then_reminded(manual_clock: ManualClock, tick,
                                                                          db) -> None:
    sentence = ("Automatic backups on Production stopped: the schedule was removed on Jan 15 between 08:00 and 08:10. "
                "DocSpace removes it when a backup fails for quota or payment reasons; an admin must set it up again.")
    with Canned() as hook, Simulator("idle", api_key=KEY, clock=manual_clock) as sim:
        hook.answer(200)
        at = tick(make_app(sim, history=db, notify={"webhook_url": hook.url, "remind_hours": 1}))
        tick(at.switch_page(BACKUPS))
        assert "Every day at 02:00 UTC" in texts(at)
        manual_clock.advance(300)
        sim.remove_schedule()  # DocSpace's scheduler: the quota is spent (no audit event)
        tick(at, 300)
        assert [plain(e.value) for e in at.error] == [sentence]
        assert "Next scheduled: none: backups stopped" in texts(at)
        assert hook.got_post.wait(10)
        for _ in range(7):  # an hour more, looked at
            tick(at, 600)
        tick(at.switch_page(PORTALS))
        assert "backups stopped" in " ".join(badges(at)) and sentence in texts(at)
        tick(at.switch_page(HISTORY))
        assert sentence in [plain(e.value) for e in at.error]
        assert "Today (Jan 15): automatic backups stopped: the schedule was removed between 08:00 and 08:10" \
            in texts(at)
        for _ in range(50):  # the delivery thread posts the reminder
            if len(hook.posted) >= 2:
                break
            tick(at)
    said = [json.loads(body)["text"] for body in hook.posted]
    assert said[0].startswith("⚠️ Production: automatic backups have stopped. The schedule was removed between "
                              "08:00 and 08:10 UTC.")
    assert said[1:] == ["⏰ Production: automatic backups are still stopped; the schedule was removed 1 hr ago and "
                        "has not been set up again."]


def test_a_plan_without_backups_is_its_own_calm_state(manual_clock: ManualClock, tick, db) -> None:
    with Simulator("idle", api_key=KEY, clock=manual_clock, options=Options(paid=False)) as sim:
        at = tick(make_app(sim, history=db))  # the first look: the watcher reads the list, then the trail
        tick(at.switch_page(BACKUPS))
        assert [plain(e.value) for e in at.info if "plan" in e.value] == [
            "This portal's plan does not include backups. Ask the portal's owner to check its DocSpace plan; restores "
            "are still watched."]
        assert not at.error and "402" not in texts(at)
        tick(at.switch_page(PORTALS))
        assert "not in the plan" in " ".join(badges(at)) and "**Last backup:** not in the plan" in texts(at)
        assert "unreachable" not in " ".join(badges(at))


def test_a_restore_started_while_nobody_watched_is_in_history(manual_clock: ManualClock, tick, tmp_path: Path) -> None:
    """What an earlier run of the watcher read from the trail: a restore started Jan 13, 14:05 (its own "Restore
    started" stays only when it did not complete); the app never saw it."""
    url = f"sqlite:///{tmp_path}/history.db"
    store = HistoryStore(url)
    started = AuditEvent(7, utc(T0 - 2 * DAY + 6 * 3600 + 300), AuditAction.RESTORE_STARTED, "Restore started",
                         ("1",), "Jane Admin")
    store.save_audit("prod", [started], TrailRead(T0 - 30 * DAY, T0 - 3600, True, T0 - 3600))
    store.close()
    with Simulator("idle", api_key=KEY, clock=manual_clock) as sim:
        at = tick(make_app(sim, history={"url": url}))
        tick(at.switch_page(HISTORY))
        table = at.dataframe[0].value
        row = table[table["Started (UTC)"] == "Jan 13, 14:05"]
        assert list(row["Operation"]) == ["restore"]
        assert list(row["Outcome"]) == ["started; how it ended is not known (nobody watched)"]
        assert "By" not in table.columns and "Jane Admin" not in texts(at)  # no sign-in: no person's name
        assert "Jan 13: a restore started at 14:05; how it ended is not known" in texts(at)
