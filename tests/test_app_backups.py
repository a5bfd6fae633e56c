"""Backup, Backups and All-portals pages in AppTest, against the simulator over loopback HTTP."""

from __future__ import annotations

import re

from simulator import Simulator
from tests.apptest import make_app, texts
from tests.factories import KEY, ManualClock

BACKUP, BACKUPS, PORTALS = "app_pages/backup.py", "app_pages/backups.py", "app_pages/portals.py"


def test_backup_page_from_creating_to_download(manual_clock: ManualClock, tick) -> None:
    with Simulator("backup", api_key=KEY, clock=manual_clock) as sim:
        at = make_app(sim)
        tick(at)
        tick(at.switch_page(BACKUP), 10)
        assert "Backing up — 3% · creating the backup" in texts(at)
        tick(at, 260)
        assert "Backing up — 90% · uploading and finishing" in texts(at)
        tick(at, 100)
        assert "The backup completed." in texts(at)
        buttons = at.get("link_button")
        assert buttons and buttons[0].proto.url.startswith(sim.url + "/")


def test_backup_page_without_key_says_so_and_restore_still_works(manual_clock: ManualClock, tick) -> None:
    with Simulator("restore", api_key=KEY, clock=manual_clock) as sim:
        at = make_app(portals={"prod": {"url": sim.url}})
        tick(at)
        assert "A restore is queued" in texts(at)
        tick(at.switch_page(BACKUP))
        assert "needs an admin API key" in texts(at)
        tick(at.switch_page(BACKUPS))
        assert "needs an admin API key" in texts(at)


def test_rejected_key_is_one_sentence(manual_clock: ManualClock, tick) -> None:
    with Simulator("backup", api_key=KEY, clock=manual_clock) as sim:
        at = make_app(portals={"prod": {"url": sim.url, "api_key": "sk-" + "f" * 64}})
        tick(at)
        tick(at.switch_page(BACKUPS))
        assert "did not accept the API key" in texts(at)


def test_backups_page_while_portal_restores(manual_clock: ManualClock, tick) -> None:
    with Simulator("restore", api_key=KEY, clock=manual_clock) as sim:
        at = make_app(sim)
        tick(at, 45)  # tenant status 4: backup endpoints answer 403 with no body
        tick(at.switch_page(BACKUPS))
        assert "The portal is being restored; backups are unavailable until it finishes." in texts(at)
        assert at.get("page_link")


def test_backups_page_history_schedule_and_overdue(manual_clock: ManualClock, tick) -> None:
    with Simulator("overdue", api_key=KEY, clock=manual_clock) as sim:
        at = make_app(sim)
        tick(at)
        tick(at.switch_page(BACKUPS))
        page = texts(at)
        assert "A scheduled backup is overdue." in page
        assert "Every day at 02:00 UTC, keeps 7 copies" in page
        table = at.dataframe[0].value
        created = list(table.iloc[:, 0])
        assert created == sorted(created, reverse=True)  # newest first
        assert "Created (UTC)" in table.columns[0]


def test_portals_overview_one_line_each(manual_clock: ManualClock, tick) -> None:
    with Simulator("restore", api_key=KEY, clock=manual_clock) as restoring, \
            Simulator("overdue", api_key=KEY, clock=manual_clock) as late:
        at = make_app(portals={"a": {"url": restoring.url, "label": "Alpha"},
                               "b": {"url": late.url, "api_key": KEY, "label": "Beta"}})
        tick(at)
        tick(at.switch_page(PORTALS), 100)
        page = texts(at)
        assert "Restoring · 17% · restoring data" in page
        assert "A scheduled backup is overdue." in page
        badges = [b.proto.label for b in at.get("badge")] if at.get("badge") else []
        labels = " ".join(badges) or page
        assert "running" in labels and "warning" in labels
        links = [link.proto.label for link in at.get("page_link")]
        assert "Alpha" in links and "Beta" in links


def test_cancelled_backup_and_a_completed_one_with_a_warning(manual_clock: ManualClock, tick) -> None:
    with Simulator("cancel", api_key=KEY, clock=manual_clock) as sim:
        at = make_app(sim)
        tick(at.switch_page(BACKUP), 60)
        tick(at, 100)
        page = texts(at)
        assert "The backup was cancelled." in page and "Backup cancelled" in page
        assert "Stopped at: 45%" in page and "Watched for: 1 min" in page
    warning = "Some files were not included in the backup. For more details, please check backup.log"
    with Simulator("backup", api_key=KEY, clock=manual_clock, warning_text=warning) as sim:
        at = make_app(sim)
        tick(at.switch_page(BACKUP), 400)
        page = texts(at)
        assert "The backup completed with a warning." in page and "Some files were not included" in page
        assert at.get("link_button")  # the file can still be downloaded


def test_past_operations_are_listed_with_durations(manual_clock: ManualClock, tick) -> None:
    with Simulator("backup", api_key=KEY, clock=manual_clock) as sim:
        at = make_app(sim)
        tick(at.switch_page(BACKUP))
        tick(at, 300)
        sim.set_scenario("backup")  # a second backup starts: the first one becomes history
        next(b for b in at.button if b.label == "Watch again").click()
        tick(at, 10)
        tick(at.switch_page("app_pages/history.py"))
        past = at.dataframe[-1].value
    assert list(past["Operation"]) == ["backup", "backup"] and list(past["Outcome"]) == ["running", "completed"]
    assert list(past["Took"]) == ["", "5 min"]


def test_backups_view_tells_times_in_one_zone_and_the_schedule_in_the_viewers() -> None:
    from datetime import UTC, datetime, timedelta

    from lib.portal.models import Period, Schedule, StorageType
    from lib.timewords import zone
    from lib.views.backups import backups_view
    from lib.watching.poller import Poll
    from tests.factories import en

    now = datetime(2027, 1, 15, 8, tzinfo=UTC)
    schedule = Schedule(Period.EVERY_DAY, 2, None, StorageType.DOCUMENTS, 7, now - timedelta(days=3))
    view = backups_view(Poll(now.timestamp(), ([], schedule), 0), None, 60, now.timestamp(),
                        en(zone("Asia/Katmandu")))  # as a browser may report it
    assert view.schedule.startswith("Every day at 07:45 Asia/Kathmandu time (02:00 UTC on the portal's clock)")
    assert view.overdue is not None and "expected one at 07:45;" in view.overdue[1]  # the same clock as above
    assert "times in Asia/Kathmandu" in view.checked and "Katmandu" not in view.checked


def test_the_restore_page_says_its_zone(manual_clock: ManualClock, tick) -> None:
    with Simulator("restore", api_key=KEY, clock=manual_clock) as sim:
        at = make_app(sim)
        tick(at)
        tick(at)
        assert "times in UTC" in texts(at)


def test_a_portal_label_is_plain_text_on_every_page(manual_clock: ManualClock, tick) -> None:
    """Markdown in a label is shown as written: on /portals as in the sidebar, the tab and elsewhere."""
    label = "**bold** _it_ [x](https://evil.example)"
    with Simulator("restore", api_key=KEY, clock=manual_clock) as sim:
        at = make_app(portals={"prod": {"url": sim.url, "api_key": KEY, "label": label}})
        tick(at)
        tick(at.switch_page(PORTALS))
        link = next(p.proto.label for p in at.get("page_link") if "bold" in p.proto.label)
        assert link != label and "**" not in link.replace("\\*", "")  # every sign escaped
        assert re.sub(r"\\(.)", r"\1", link.replace("\u2060", "")) == label  # and shown as written


def test_backup_page_while_the_portal_restores_says_it_once_and_calmly(manual_clock: ManualClock, tick) -> None:
    with Simulator("restore", api_key=KEY, clock=manual_clock) as sim:
        manual_clock.advance(45)  # the portal is locked by the restore
        at = make_app(sim)
        tick(at)
        tick(at.switch_page(BACKUP))
        tick(at)
        boxes = [e.value for kind in ("info", "warning", "error") for e in getattr(at, kind)]
        said = [b for b in boxes if "being restored" in b]
        assert len(said) == 1 and not at.error, boxes
        assert "backups are unavailable until it finishes" in said[0]
        assert any(link.proto.label == "Watch the restore" for link in at.get("page_link"))


def test_check_now_reads_the_backup_list_again(manual_clock: ManualClock, tick) -> None:
    with Simulator("overdue", api_key=KEY, clock=manual_clock) as sim:
        at = make_app(sim)
        tick(at.switch_page(BACKUPS))
        asked = sim.requests("getbackuphistory")
        tick(at, 5)
        assert sim.requests("getbackuphistory") == asked  # not due for another minute
        next(b for b in at.button if b.label == "Check now").click()
        tick(at)
        assert sim.requests("getbackuphistory") == asked + 1
