"""``GET /confirm?t=…`` and ``GET|POST /unsubscribe?t=…``: the links in the app's emails, served beside the
pages (``st.App`` routes), without sign-in or passcode: the signed token is the permission.

The confirmation link confirms on GET (one use, 24 h). The unsubscribe link shows a button on GET (a mail
scanner opening links must not unsubscribe anyone) and unsubscribes on POST, which is also RFC 8058's
one-click ``List-Unsubscribe=One-Click`` from a mail program.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

import anyio
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from lib import clock, i18n
from lib.db.store import HistoryStore, StoreAway
from lib.db.subscriptions import Subscription
from lib.settings.config import AppConfig
from lib.views import mailpages
from lib.watching import subscribers

log = logging.getLogger(__name__)
_HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Robots-Tag": "noindex"}


def _browser(request: Request) -> str | None:
    return (request.headers.get("accept-language") or "").split(",")[0].split(";")[0].strip() or None


def _reader(sub: Subscription | None, lang: str | None, browser: str | None) -> i18n.Viewer:
    """``?lang=`` first, then the language the person subscribed in (their emails speak it), then the browser's."""
    return i18n.viewer(lang or (sub.language if sub else None), browser)


def confirm_page(config: AppConfig, store: HistoryStore, token: str, now: float, lang: str | None = None,
                 browser: str | None = None) -> tuple[int, str]:
    settings = config.mail
    found = subscribers.confirm(store, settings, token, now)
    v = _reader(found[0] if found else None, lang, browser)
    if not found and subscribers.confirmed_before(store, settings, token, now):
        return 410, mailpages.confirmed_already(v)  # used up, but the person is subscribed: say so
    words = [v.say(subscribers.what_words(s.what, s.kind, config.label_of(s.portal, v))) for s in found]
    link = subscribers.unsubscribe_link(store, settings, found[0].id) if found else ""
    return (200 if found else 410), mailpages.confirmed(found, words, link, v)


def unsubscribe_page(config: AppConfig, store: HistoryStore, token: str, post: bool, now: float,
                     lang: str | None = None, browser: str | None = None) -> tuple[int, str]:
    settings = config.mail
    ours, sub = (subscribers.unsubscribe(store, settings, token, now) if post
                 else subscribers.read_link(store, settings, token))
    v = _reader(sub, lang, browser)
    label = config.label_of(sub.portal, v) if sub is not None else None
    if post:
        return (200 if ours else 400), mailpages.unsubscribed(ours, label, sub.portal if sub else "", v)
    return (200 if ours else 400), mailpages.unsubscribe_form(token, ours, label, v)


async def _serve(current: Callable[[], Any], request: Request) -> Response:
    token = request.query_params.get("t", "")
    post = request.method == "POST"
    if post and not token:
        token = str((await request.form()).get("t", ""))
    lang, browser = request.query_params.get("lang"), _browser(request)
    v = i18n.viewer(lang, browser)  # for what is said before a link is read

    def reply() -> tuple[int, str]:
        found = current()
        if isinstance(found, str):  # the settings have a mistake just now: the admin is told on the pages
            return 503, _try_later(v)
        if found[0].mail is None:
            return 404, mailpages.page(v._("Email is not set up"), [v._("This app sends no email.")], v)
        config, duty = found
        try:
            if request.url.path.endswith("/confirm"):
                return confirm_page(config, duty.store, token, clock.now(), lang, browser)
            return unsubscribe_page(config, duty.store, token, post, clock.now(), lang, browser)
        except StoreAway:
            return 503, _try_later(v)

    status, body = await anyio.to_thread.run_sync(reply)
    return HTMLResponse(body, status_code=status, headers=_HEADERS)


def _try_later(v: i18n.Viewer) -> str:
    return mailpages.page(v._("Please try again in a few minutes"), [
        v._("The app cannot read its list of subscriptions just now, so nothing was changed.")], v)


def routes(current: Callable[[], Any]) -> list[Route]:
    """``current``: the settings and this process's copy, or the settings' mistake (lib.ui.server's)."""
    serve = functools.partial(_serve, current)
    return [Route("/confirm", serve, methods=["GET"]), Route("/unsubscribe", serve, methods=["GET", "POST"])]
