"""Sign-in end to end: the real app (`streamlit run`), a real OpenID Connect provider (npm's certified
`oidc-provider`, tests/js/oidc_provider.mjs) and Debian's Chromium. Nobody's `st.user` is mocked here:
the browser types an address on the provider's page, Authlib exchanges the code, Streamlit sets its
cookie, and the app reads who signed in.

Screenshots of the three states go to $SIGNIN_SHOTS when that is set (for a person to look at).
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import expect

from simulator import Simulator
from tests.e2e.conftest import AppServer, wait_for_app
from tests.e2e.test_browser import secrets_for
from tests.factories import KEY
from tests.oidc import ALICE, BOB, CAROL, OidcProvider, auth_secrets, free_port, node_or_skip

pytestmark = pytest.mark.e2e

REFUSED = "which is not on this app's list of viewers"
SHOTS = os.environ.get("SIGNIN_SHOTS")
SIGN_IN_SCREEN = ["DocSpace Backup Monitor", "Sign in to see how backups and restores are going.", "login", "Sign in"]


@dataclass
class SignInApp:
    server: AppServer
    provider: OidcProvider
    sim: Simulator
    cookie_secret: str

    def leaked(self, text: str) -> list[str]:
        """The secrets that appear in ``text`` (names only, so a failure message does not repeat them)."""
        found = {"api key": KEY, "client secret": self.provider.client_secret, "cookie secret": self.cookie_secret}
        return [name for name, value in found.items() if value in text]


@pytest.fixture
def signin_app(app_server, tmp_path: Path) -> Iterator[Callable[..., SignInApp]]:
    """The app with [auth] pointing at a freshly started provider, watching a simulated portal."""
    started: list[tuple[OidcProvider, Simulator]] = []

    def start(scenario: str = "restore", allow: tuple[str, ...] = (ALICE, "@example.com")) -> SignInApp:
        node_or_skip()
        sim = Simulator(scenario, speed=5, api_key=KEY)
        sim.start()
        provider_port, client_secret, cookie_secret = free_port(), secrets.token_urlsafe(24), secrets.token_hex(32)
        server = app_server(secrets_for(sim) + "\n" + auth_secrets(provider_port, client_secret, cookie_secret, allow))
        provider = OidcProvider(f"{server.url}/oauth2callback", tmp_path / f"oidc-{provider_port}.log",
                                port=provider_port, client_secret=client_secret)
        started.append((provider, sim))
        return SignInApp(server, provider, sim, cookie_secret)

    yield start
    for provider, sim in started:
        provider.stop()
        sim.stop()


def shot(page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


def visible(text: str) -> str:
    return text.replace("\u2060", "")  # the word joiners that keep an address from turning into a link


def main_text(page) -> str:
    return visible(page.get_by_test_id("stMain").inner_text())


def wait_for_sign_in_screen(page) -> None:
    wait_for_app(page)
    expect(page.get_by_role("button", name="Sign in")).to_be_visible(timeout=20_000)
    wait_for_app(page)


def sign_in(page, app: SignInApp, email: str) -> None:
    """Press "Sign in", type the address on the provider's own page, come back to the app."""
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{app.provider.issuer}/interaction/**", timeout=20_000)
    page.get_by_label("E-mail address").fill(email)
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(f"{app.server.url}/**", timeout=20_000)
    wait_for_app(page)


def sign_out(page, where) -> None:
    where.get_by_role("button", name="Sign out").click()
    wait_for_sign_in_screen(page)


def lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def assert_only_sign_in(page, app: SignInApp) -> None:
    """The whole page is the app's name, one sentence and the button ("login" is the button's icon)."""
    assert lines(main_text(page)) == SIGN_IN_SCREEN  # exactly these lines: more than expect can say
    assert "Production" not in page.content()
    expect(page.get_by_test_id("stSidebar")).not_to_be_visible()
    expect(page.get_by_test_id("stException")).to_have_count(0)
    # (the server watches the portal from its start, whoever visits: the gate decides what is shown)


def test_allowed_user_signs_in_sees_the_dashboard_and_signs_out(browser, signin_app) -> None:
    app = signin_app()
    page = browser.new_page(viewport={"width": 1100, "height": 760})
    page.goto(f"{app.server.url}/?portal=prod")
    wait_for_sign_in_screen(page)
    assert_only_sign_in(page, app)
    shot(page, "1-sign-in")

    sign_in(page, app, ALICE)
    main = page.get_by_test_id("stMain")
    expect(main).to_contain_text(re.compile(r"Restoring — \d+%|A restore is queued"), timeout=20_000)
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar.get_by_role("button", name="Sign out")).to_be_visible(timeout=10_000)
    assert f"Signed in as {ALICE}" in visible(sidebar.inner_text())  # the address is drawn with word joiners
    assert app.sim.requests() > 0
    # numbers rather than placeholders for the picture: the restore running, with its chart
    expect(main).to_contain_text(re.compile(r"Restoring — \d+%"), timeout=20_000)
    expect(page.get_by_test_id("stPlotlyChart").first).to_be_visible(timeout=20_000)
    wait_for_app(page)
    shot(page, "3-signed-in")
    html = page.content()
    assert not app.leaked(html) and not app.leaked(app.server.output()) and not app.leaked(page.url)

    sign_out(page, sidebar)
    expect(main).to_contain_text("Sign in")
    expect(main).not_to_contain_text("Restoring")
    # the cookie is gone: a fresh load of a page is back at "Sign in" too
    page.goto(f"{app.server.url}/backups?portal=prod")
    wait_for_sign_in_screen(page)
    assert "Signed in as" not in page.content()
    page.close()


def test_users_not_on_the_list_are_refused_and_can_sign_out(browser, signin_app) -> None:
    app = signin_app()
    page = browser.new_page(viewport={"width": 1100, "height": 600})
    page.goto(app.server.url)
    wait_for_sign_in_screen(page)
    sign_in(page, app, BOB)
    expect(page.get_by_text(REFUSED)).to_be_visible(timeout=20_000)
    text = main_text(page)  # the address is drawn with word joiners
    assert f"You are signed in as {BOB}, {REFUSED}. Ask the person who shared the link to add you." in text
    shot(page, "2-refused")
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    assert "Production" not in page.content()
    expect(page.get_by_test_id("stSidebar")).not_to_be_visible()
    # a shared link to another page, or the wall-screen view, refuses the same way
    page.goto(f"{app.server.url}/portals?portal=prod&view=kiosk")
    wait_for_app(page)
    expect(page.get_by_text(REFUSED)).to_be_visible(timeout=20_000)
    assert "Production" not in page.content()
    sign_out(page, page.get_by_test_id("stMain"))

    # carol's address is in the listed domain, but her provider says it is not verified
    sign_in(page, app, CAROL)
    expect(page.get_by_text(REFUSED)).to_be_visible(timeout=20_000)
    assert f"You are signed in as {CAROL}, {REFUSED}" in main_text(page)
    sign_out(page, page.get_by_test_id("stMain"))
    assert_only_sign_in(page, app)
    assert not app.leaked(page.content()) and not app.leaked(app.server.output())
    page.close()


def test_no_page_or_link_shows_anything_before_sign_in(browser, signin_app) -> None:
    app = signin_app("backup")
    page = browser.new_page()
    for path in ("/?view=kiosk", "/backups?portal=prod", "/backup?portal=prod&view=kiosk", "/portals",
                 "/?portal=nonexistent&view=kiosk"):
        page.goto(app.server.url + path)
        wait_for_sign_in_screen(page)
        # not a readiness wait but the time being watched: longer than a refresh, in which no timer may
        # start behind the screen and nothing may be asked of the portal
        page.wait_for_timeout(1500)
        assert_only_sign_in(page, app)
        expect(page).to_have_title("DocSpace Backup Monitor")
    page.close()
