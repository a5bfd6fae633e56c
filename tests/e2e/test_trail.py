"""End-to-end: an admin installs the app today. The portal's list keeps 2 files, its audit trail 12 days of
scheduled backups: /backups shows the 12 days, says in Details where they are counted from, and says at once,
as an alarm, when DocSpace removes the schedule."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from simulator import Options, Simulator
from tests.e2e.conftest import wait_for_app
from tests.e2e.test_browser import secrets_for
from tests.factories import KEY

pytestmark = pytest.mark.e2e


def test_backups_shows_the_weeks_the_trail_remembers_and_the_schedule_that_stops(browser, app_server) -> None:
    with Simulator("idle", api_key=KEY, options=Options(days=12, keep_files=2)) as sim:
        server = app_server(secrets_for(sim))
        page = browser.new_context(timezone_id="UTC").new_page()
        page.goto(f"{server.url}/backups?portal=prod")
        wait_for_app(page)
        main = page.get_by_test_id("stMain")
        # the page reruns every 10 s: the trail is read just after the first answer
        expect(main).to_contain_text("Backed up on 12 of the last 30 days", timeout=40_000)
        expect(main).not_to_contain_text("nothing on record before")  # no day left "not known"
        expect(main).not_to_contain_text("missed")
        expect(page.get_by_test_id("stPlotlyChart")).to_be_visible()
        expect(page.get_by_test_id("stDataFrame")).to_be_visible()  # the list: 2 scheduled files, 1 manual
        page.get_by_test_id("stExpander").filter(has_text="Details").click()
        expect(main).to_contain_text("DocSpace's audit trail tells every backup made or failed since")

        sim.remove_schedule()  # DocSpace's scheduler found the quota spent: no audit event, no task
        page.get_by_role("button", name="Check now").click()
        alarm = page.get_by_test_id("stAlert").filter(has_text="Automatic backups on Production stopped")
        # the browser reads en-US: "on Dec 2 at 11:12 AM" (the window is the minute between two answers)
        expect(alarm).to_contain_text(re.compile(r"the schedule was removed on \w+ \d+ (at|between) [\d:]+\s[AP]M"
                                                 r"( and [\d:]+\s[AP]M)?\. DocSpace removes it when a backup fails for "
                                                 r"quota or payment reasons; an admin must set it up again\."),
                                      timeout=30_000)
        expect(main).to_contain_text("none: backups stopped")
        expect(page.get_by_test_id("stException")).to_have_count(0)
        assert KEY not in page.content() and KEY not in server.output()
        page.close()
