"""Backup, Backups and All-portals pages in AppTest, against the simulator over loopback HTTP."""

from __future__ import annotations

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
        tick(at.switch_page(BACKUPS))
        past = at.dataframe[-1].value
    assert list(past["Operation"]) == ["backup"] and list(past["Outcome"]) == ["completed"]
    assert list(past["Took"]) == ["5 min"]
