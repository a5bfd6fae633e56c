"""End-to-end, the stakeholder's path (issue #22): type an address on the live restore page, get the
confirmation email from a real SMTP server on loopback, open its link in the browser, let the restore
complete, get exactly one email, and unsubscribe from its link."""

from __future__ import annotations

import re

import pytest
import requests
from playwright.sync_api import expect

from simulator import Simulator
from tests.e2e.conftest import wait_for_app
from tests.factories import KEY
from tests.servers import AppServer, free_port, wait_until
from tests.smtp import body, smtp  # noqa: F401 - the fixture

pytestmark = pytest.mark.e2e
PASSWORD = "smtp-pw-never-shown"


def test_subscribe_confirm_one_email_unsubscribe_in_the_browser(browser, smtp, tmp_path) -> None:  # noqa: F811
    inbox, smtp_port = smtp
    port = free_port()
    app_url = f"http://127.0.0.1:{port}"
    with Simulator("restore", speed=6, api_key=KEY) as sim:  # a restore of about 100 s
        secrets = (f'[portals.prod]\nurl = "{sim.url}"\napi_key = "{KEY}"\nlabel = "Production"\n\n'
                   f'[monitor]\nrefresh_seconds = 2\n\n[notify]\napp_url = "{app_url}"\n\n'
                   f'[email]\nhost = "127.0.0.1"\nport = {smtp_port}\nfrom = "monitor@example.com"\n'
                   f'security = "none"\n')
        server = AppServer(secrets, tmp_path, port=port)
        try:
            page = browser.new_page()
            page.goto(server.url + "/?portal=prod")
            wait_for_app(page)
            main = page.get_by_test_id("stMain")
            expect(main).to_contain_text(re.compile(r"Restoring — \d+%"), timeout=20_000)
            page.get_by_label("Email").fill("ann@example.com")
            page.get_by_role("button", name=re.compile("^Tell me when it ends")).click()
            expect(main).to_contain_text("Check your inbox", timeout=20_000)
            (confirmation,) = inbox.wait(1)
            confirm = re.search(r"(http://\S+/confirm\?t=\S+)", body(confirmation)).group(1)
            assert confirm.startswith(app_url)
            other = browser.new_page()
            other.goto(confirm)
            expect(other.locator("h1")).to_have_text("Confirmed")
            expect(other.locator("body")).to_contain_text("one email when this restore on Production ends")
            expect(main).to_contain_text("The restore completed.", timeout=150_000)
            wait_until(lambda: len(inbox.messages) >= 2, "the outcome email", timeout=30)
            told = inbox.messages[1]
            assert told["Subject"] == "✅ Production: the restore completed."
            assert told["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
            other.goto(told["List-Unsubscribe"].strip("<>"))
            other.get_by_role("button", name="Unsubscribe").click()
            expect(other.locator("h1")).to_have_text("You are unsubscribed")
            expect(other.locator("body")).to_contain_text("It worked")
            other.get_by_role("link", name="Open the app").click()  # back to the portal's page in the app
            expect(other.get_by_test_id("stMain")).to_contain_text("The restore completed.", timeout=20_000)
            # one-click from a mail program: a POST without a browser, the same answer
            reply = requests.post(told["List-Unsubscribe"].strip("<>"), data="List-Unsubscribe=One-Click",
                                  headers={"Content-Type": "application/x-www-form-urlencoded"}, timeout=10)
            assert reply.status_code == 200 and "It worked" in reply.text
            assert len(inbox.messages) == 2  # exactly one outcome email
            assert PASSWORD not in server.output() and KEY not in server.output()
            assert "ann@example.com" not in page.content().replace("name@example.com", "")
        finally:
            server.stop()
