"""Asking to be told by email: the address checked, the limits kept, the double opt-in (a signed, single-use
confirmation link valid 24 h) and the one-click unsubscribe.

Every answer a page shows is one sentence that is the same whoever asks, subscribed or not: the page never
tells whether an address is on the list. The links are signed with ``[email] secret`` or, without it, a
random key made once per history database (never the API key).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import Connection

from lib import i18n
from lib.db import subscriptions as subs
from lib.db.store import HistoryStore, StoreAway
from lib.i18n import M_, Mk_, Msg
from lib.settings.mail import MailSettings
from lib.watching import mailer
from lib.watching.counts import Counts

#: a confirmation link is good for this long
CONFIRM_WITHIN = 24 * 3600.0
#: at most this many confirmation emails per address, and per app, per hour
PER_ADDRESS, PER_APP, HOUR = 3, 30, 3600.0
_secrets: weakref.WeakKeyDictionary[HistoryStore, str] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


@dataclass(frozen=True)
class Asked:
    """What a form asks for: ``whats`` from :data:`lib.db.subscriptions.WHATS`; ``operation``: the run
    running when a "this-operation" was asked for; ``language``: the page's."""

    portal: str
    label: str
    kind: str  # restore, backup, "" (the digest)
    whats: tuple[str, ...]
    operation: str = ""
    language: str = "en"


@dataclass(frozen=True)
class Answer:
    ok: bool
    said: Msg


def valid_address(address: str) -> str | None:
    """The address as it may be written to (no line break, no display name, a real shape), or None."""
    if not isinstance(address, str) or any(c in address for c in "\r\n\0<>,;\"") or len(address) > 254:
        return None
    try:
        checked = validate_email(address.strip(), check_deliverability=False, allow_display_name=False)
    except EmailNotValidError:
        return None
    return checked.normalized


def allowed(address: str, settings: MailSettings) -> bool:
    domain = address.rpartition("@")[2].lower()
    return not settings.domains or any(domain == d or domain.endswith("." + d) for d in settings.domains)


# ---------------------------------------------------------------- signed links


def secret(store: HistoryStore, settings: MailSettings) -> str:
    if settings.secret:
        return settings.secret
    with _lock:
        if store not in _secrets:
            _secrets[store] = store.at_once(subs.secret)
        return _secrets[store]


def sign(key: str, payload: str) -> str:
    mac = hmac.new(key.encode(), payload.encode(), hashlib.sha256).digest()
    return f"{payload}.{base64.urlsafe_b64encode(mac[:18]).decode()}"


def unsign(key: str, token: str, kind: str, now: float) -> str | None:
    """The id inside a token of this kind ("c" confirm, "u" unsubscribe), when its signature holds and it has
    not expired; None otherwise."""
    payload, _, _mac = (token or "").rpartition(".")
    if not payload or not hmac.compare_digest(sign(key, payload), token):
        return None
    parts = payload.split("-")
    if parts[0] != kind or len(parts) != (3 if kind == "c" else 2):
        return None
    if kind == "c" and (not parts[2].isdigit() or int(parts[2]) < now):
        return None
    return parts[1]


def unsubscribe_link(store: HistoryStore, settings: MailSettings, sub_id: str) -> str:
    return settings.link("/unsubscribe?t=" + sign(secret(store, settings), f"u-{sub_id}"))


# ---------------------------------------------------------------- what they get, in words


def what_words(what: str, kind: str, label: str) -> Msg:
    if what == "this-operation":
        return Mk_(kind or "operation", "one email when this {noun} on {label} ends", label=label)
    if what == "next-outcome":
        return Mk_(kind or "operation", "one email when the next {noun} on {label} ends", label=label)
    if what == "missed":
        return M_("an email whenever a scheduled backup of {label} is missed", label=label)
    return M_("a summary of {label}'s backups and restores every week", label=label)


# ---------------------------------------------------------------- the form


def subscribe(store: HistoryStore, settings: MailSettings | None, address: str, asked: Asked, now: float, *,
              verified: bool = False, send: mailer.Send = mailer.send, counts: Counts | None = None) -> Answer:
    """What the form does. ``verified``: the address is the signed-in viewer's own, verified by the sign-in
    provider: subscribed at once, no confirmation email. ``counts``: where the confirmation email is
    counted for /metrics (sent or failed)."""
    if settings is None or not settings.form or settings.smtp is None:
        return Answer(False, (settings.why_no_form if settings else None)
                      or M_("Email subscriptions are off: there is no [email] host in the settings."))
    clean = valid_address(address)
    if clean is None:
        return Answer(False, M_("That is not an email address we can write to: check it and try again."))
    if not allowed(clean, settings):
        return Answer(False, M_("Only addresses at {domains} may subscribe here.",
                                domains=", ".join(settings.domains)))
    language = i18n.language_of(asked.language) or "en"
    token = "" if verified else subs.new_id()
    rows = [subs.Subscription(subs.new_id(), clean, subs.sha(clean), asked.portal, asked.kind, what,
                              asked.operation if what == "this-operation" else "", language, now,
                              now if verified else None, token, None, None) for what in asked.whats]
    sha = rows[0].address_sha

    def add(conn: Connection) -> bool:
        if not verified:
            mine, total = subs.sent_recently(conn, sha, now - HOUR)
            if mine >= PER_ADDRESS or total >= PER_APP:
                return False
            subs.confirmation_sent(conn, sha, now)
        for row in rows:
            subs.add(conn, row)
        return True

    try:
        key = secret(store, settings)
        if not store.at_once(add):
            return Answer(False, M_("Too many confirmation emails were asked for in the last hour, so none was "
                                    "sent. Please try again later."))
    except StoreAway:
        return Answer(False, M_("The history database cannot be reached just now, so nothing was saved. Please "
                                "try again in a few minutes."))
    v = i18n.viewer(language, None)
    words = v.list([v.say(what_words(r.what, r.kind, asked.label)) for r in rows])
    if verified:
        return Answer(True, M_("Done: you will get {what}. Every email has a link to stop.", what=words))
    link = settings.link("/confirm?t=" + sign(key, f"c-{token}-{int(now + CONFIRM_WITHIN)}"))
    letter = mailer.Letter(
        clean, v._("Please confirm: {what}", what=words)[:150],
        (v._("Someone (we hope you) asked on the DocSpace Backup Monitor for {what}.", what=words),
         v._("To confirm, open the link below within 24 hours. If you did not ask, ignore this email: nothing "
             "more will be sent."),),
        ((v._("Yes, send me these emails"), link),),
        footer=v._("This email was sent once, because this address was typed into the form."))
    try:
        send(settings.smtp, mailer.build(letter, settings.smtp.sender))
    except mailer.MailError as exc:
        if counts is not None:
            counts.told("confirmation", False)
        return Answer(False, M_("The confirmation email could not be sent: {reason}", reason=exc.said))
    if counts is not None:
        counts.told("confirmation", True)
    return Answer(True, M_("Check your inbox: we sent a link to confirm. Nothing more is sent until you open it."))


# ---------------------------------------------------------------- the links in the emails


def confirm(store: HistoryStore, settings: MailSettings, token: str,
            now: float | None = None) -> list[subs.Subscription]:
    """Follow a confirmation link: the subscriptions it confirmed, or [] (expired, used, or not ours)."""
    now = time.time() if now is None else now
    token_id = unsign(secret(store, settings), token, "c", now)
    if token_id is None:
        return []
    return store.at_once(lambda conn: subs.confirm(conn, token_id, now))


def confirmed_before(store: HistoryStore, settings: MailSettings, token: str, now: float) -> bool:
    """A confirmation link still good that was used already, its subscriptions still on."""
    token_id = unsign(secret(store, settings), token, "c", now)
    return token_id is not None and store.at_once(lambda conn: subs.confirmed_before(conn, token_id))


def unsubscribe(store: HistoryStore, settings: MailSettings, token: str,
                now: float | None = None) -> tuple[bool, subs.Subscription | None]:
    """Follow an unsubscribe link (or its one-click POST): (whether the link is ours, whose it is when still
    known). Saying "done" for an address already off the list tells nobody anything."""
    return _follow(store, settings, token, lambda conn, sub_id: subs.unsubscribe(
        conn, sub_id, time.time() if now is None else now))


def read_link(store: HistoryStore, settings: MailSettings, token: str) -> tuple[bool, subs.Subscription | None]:
    """An unsubscribe link: whether it is ours, and the subscription it was made for (its portal and language
    word the page), when it is still kept."""
    return _follow(store, settings, token, subs.get)


def _follow(store: HistoryStore, settings: MailSettings, token: str,
            work: Callable[[Connection, str], subs.Subscription | None]) -> tuple[bool, subs.Subscription | None]:
    sub_id = unsign(secret(store, settings), token, "u", time.time())
    if sub_id is None:
        return False, None
    return True, store.at_once(lambda conn: work(conn, sub_id))
