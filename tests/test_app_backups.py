"""Backup, Backups and All-portals pages in AppTest, against the simulator over loopback HTTP."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from lib import clock
from simulator import ManualClock, Simulator
from tests.apptest import app, texts
from tests.conftest import settle
from tests.factories import KEY


def make_app(portals: dict[str, dict], **extra: dict) -> AppTest:
    return app(portals=portals, monitor={"refresh_seconds": 2}, **extra)


def run(at: AppTest, page: str | None = None) -> AppTest:
    settle()
    if page is not None:
        at.switch_page(page)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    settle()
    return at


def test_backup_page_from_creating_to_download(manual_clock: ManualClock) -> None:
    clock.use(manual_clock)
    with Simulator("backup", api_key=KEY, clock=manual_clock) as sim:
        at = make_app({"prod": {"url": sim.url, "api_key": KEY}})
        run(at)
        manual_clock.advance(10)
        run(at, "app_pages/backup.py")
        assert "Backing up — 3% · creating the backup" in texts(at)
        manual_clock.advance(260)
        run(at)
        assert "Backing up — 90% · uploading and finishing" in texts(at)
        manual_clock.advance(100)
        run(at)
        assert "The backup completed." in texts(at)
        buttons = at.get("link_button")
        assert buttons and buttons[0].proto.url.startswith(sim.url + "/")


def test_backup_page_without_key_says_so_and_restore_still_works(manual_clock: ManualClock) -> None:
    clock.use(manual_clock)
    with Simulator("restore", api_key=KEY, clock=manual_clock) as sim:
        at = make_app({"prod": {"url": sim.url}})
        run(at)
        assert "A restore is queued" in texts(at)
        run(at, "app_pages/backup.py")
        assert "needs an admin API key" in texts(at)
        run(at, "app_pages/backups.py")
        assert "needs an admin API key" in texts(at)


def test_rejected_key_is_one_sentence(manual_clock: ManualClock) -> None:
    clock.use(manual_clock)
    with Simulator("backup", api_key=KEY, clock=manual_clock) as sim:
        at = make_app({"prod": {"url": sim.url, "api_key": "sk-" + "f" * 64}})
        run(at)
        run(at, "app_pages/backups.py")
        assert "did not accept the API key" in texts(at)


def test_backups_page_while_portal_restores(manual_clock: ManualClock) -> None:
    clock.use(manual_clock)
    with Simulator("restore", api_key=KEY, clock=manual_clock) as sim:
        manual_clock.advance(45)  # tenant status 4: backup endpoints answer 403 with no body
        at = make_app({"prod": {"url": sim.url, "api_key": KEY}})
        run(at)
        run(at, "app_pages/backups.py")
        assert "The portal is being restored; backups are unavailable until it finishes." in texts(at)
        assert at.get("page_link")


def test_backups_page_history_schedule_and_overdue(manual_clock: ManualClock) -> None:
    clock.use(manual_clock)
    with Simulator("overdue", api_key=KEY, clock=manual_clock) as sim:
        at = make_app({"prod": {"url": sim.url, "api_key": KEY}})
        run(at)
        run(at, "app_pages/backups.py")
        page = texts(at)
        assert "A scheduled backup is overdue." in page
        assert "Every day at 02:00 UTC, keeps 7 copies" in page
        table = at.dataframe[0].value
        created = list(table.iloc[:, 0])
        assert created == sorted(created, reverse=True)  # newest first
        assert "Created (UTC)" in table.columns[0]


def test_portals_overview_one_line_each(manual_clock: ManualClock) -> None:
    clock.use(manual_clock)
    with Simulator("restore", api_key=KEY, clock=manual_clock) as restoring, \
            Simulator("overdue", api_key=KEY, clock=manual_clock) as late:
        at = make_app({"a": {"url": restoring.url, "label": "Alpha"},
                       "b": {"url": late.url, "api_key": KEY, "label": "Beta"}})
        run(at)
        manual_clock.advance(100)
        run(at, "app_pages/portals.py")
        page = texts(at)
        assert "Restoring · 17% · restoring data" in page
        assert "A scheduled backup is overdue." in page
        badges = [b.proto.label for b in at.get("badge")] if at.get("badge") else []
        labels = " ".join(badges) or page
        assert "running" in labels and "warning" in labels
        links = [link.proto.label for link in at.get("page_link")]
        assert "Alpha" in links and "Beta" in links


def test_cancelled_backup_and_a_completed_one_with_a_warning(manual_clock: ManualClock) -> None:
    clock.use(manual_clock)
    with Simulator("cancel", api_key=KEY, clock=manual_clock) as sim:
        at = make_app({"prod": {"url": sim.url, "api_key": KEY}})
        manual_clock.advance(60)
        run(at, "app_pages/backup.py")
        manual_clock.advance(100)
        run(at)
        page = texts(at)
        assert "The backup was cancelled." in page and "Backup cancelled" in page
        assert "Stopped at: 45%" in page and "Watched for: 1 min" in page
    warning = "Some files were not included in the backup. For more details, please check backup.log"
    with Simulator("backup", api_key=KEY, clock=manual_clock, warning_text=warning) as sim:
        at = make_app({"prod": {"url": sim.url, "api_key": KEY}})
        manual_clock.advance(400)
        run(at, "app_pages/backup.py")
        page = texts(at)
        assert "The backup completed with a warning." in page and "Some files were not included" in page
        assert at.get("link_button")  # the file can still be downloaded


def test_past_operations_are_listed_with_durations(manual_clock: ManualClock) -> None:
    clock.use(manual_clock)
    with Simulator("backup", api_key=KEY, clock=manual_clock) as sim:
        at = make_app({"prod": {"url": sim.url, "api_key": KEY}})
        run(at, "app_pages/backup.py")
        manual_clock.advance(300)
        run(at)
        sim.set_scenario("backup")  # a second backup starts: the first one becomes history
        manual_clock.advance(10)
        next(b for b in at.button if b.label == "Watch again").click()
        run(at)
        run(at, "app_pages/backups.py")
        past = at.dataframe[-1].value
    assert list(past["Operation"]) == ["backup"] and list(past["Outcome"]) == ["completed"]
    assert list(past["Took"]) == ["5 min"]
