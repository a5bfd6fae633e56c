"""Email to subscribers and the weekly summary: exactly once per outcome (or week) per recipient, through
restarts and however many copies run.

The watcher tells the outbox every notification it decides (:meth:`Outbox.tell`, beside the webhook): an
outcome of a restore or backup, or a missed scheduled backup, kept in the database until every email of it
was dealt with. The outbox finds who asked for it and sends each one email in their own language, after
claiming a row per recipient in the notifications table
(key ``portal|kind|run|event|mail|<sha of the address>``, :func:`lib.db.lease.claim`): a second copy, or the
same one after a restart, finds it sent. The weekly summary is claimed the same way (``digest|<ISO
week>|<sha>``); its content comes from the pages' own knowledge (``compose``, given by the app or
``python -m lib.watch``), since this layer may not import the views.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from lib import i18n
from lib.db import lease
from lib.db import subscriptions as subs
from lib.db.store import HistoryStore, StoreAway
from lib.i18n import M_, Msg, Viewer
from lib.settings.config import AppConfig
from lib.text import clean
from lib.watching import mailer, subscribers
from lib.watching.counts import Counts
from lib.watching.messages import Note, escaped, page, stored_note
from lib.watching.notify import CLAIM_AGAIN, CLAIM_GRACE, RESUME_WITHIN, RETRY_DELAYS

OUTCOMES = ("completed", "failed", "cancelled")
#: the last part of the key that keeps a decided event until its recipients were found
EVENT = "mail|event"
#: the digest is sent from its hour until this long after it (an app started days later skips that week)
DIGEST_WINDOW = 24 * 3600.0
#: within that window, who is still to get it is read this often (not at every round of the outbox)
DIGEST_EVERY = 300.0
log = logging.getLogger(__name__)

#: (store, config, portal names, viewer, now) -> the digest as a letter without its recipient
Compose = Callable[[HistoryStore, AppConfig, list[str], Viewer, float], mailer.Letter]


@dataclass
class _Email:
    key: str
    letter: mailer.Letter
    stored: str
    done: list[str] = field(default_factory=list)  # one-time subscriptions this email fulfils
    event: str = ""  # the decided event it tells: kept open until every email of it was dealt with
    attempts: int = 0
    next_try: float = 0.0


class Outbox:
    def __init__(self, config: AppConfig, store: HistoryStore, *, clock: Callable[[], float] = time.time,
                 me: lease.Me | None = None, send: mailer.Send = mailer.send, compose: Compose | None = None,
                 retry_delays: tuple[float, ...] = RETRY_DELAYS, counts: Counts | None = None):
        self.config = config
        self._counts = counts or Counts()
        self.settings = config.mail
        self._store = store
        self._clock = clock
        self._me = me
        self._alone = secrets.token_hex(8)
        self._send = send
        self._compose = compose
        self._delays = retry_delays
        self._events: list[tuple[tuple[str, ...], Note]] = []
        self._digest_wait: dict[str, float] = {}  # a summary whose send failed -> when to try again
        self._digest_next = float("-inf")  # when the outbox's rounds look for summaries to send again
        self._queue: list[_Email] = []
        self._cond = threading.Condition()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self.last_error: Msg | None = None  # why the last email that failed did, until one goes (the page says it)

    @property
    def enabled(self) -> bool:
        return self.settings is not None and self.settings.smtp is not None

    # ------------------------------------------------------------ from the watcher

    def tell(self, key: tuple[str, ...], said: Note | Msg) -> None:
        """A notification was decided: whoever asked for it gets an email (soon, on the outbox's thread)."""
        if not self.enabled or len(key) < 3:
            return
        if (key[1] in ("restore", "backup") and key[-1] in OUTCOMES) or (key[1] == "schedule" and key[-1] == "overdue"):
            # kept until its recipients are found: a copy that stops first leaves it to the next (:meth:`load`)
            text = Note.of(said)
            self._store.notification_decided("|".join((*key, EVENT)), json.dumps(text.to_json()), self._clock())
            with self._cond:
                self._events.append((key, text))
                self._cond.notify_all()

    def load(self) -> None:
        """Take up events a copy that stopped had decided and not yet turned into emails (the last hour's)."""
        if not self.enabled:
            return
        now = self._clock()
        for name, row in self._store.notified().items():
            if name.endswith("|" + EVENT) and row["sent"] is None and now - row["created"] < RESUME_WITHIN:
                with self._cond:
                    self._events.append((tuple(name.split("|")[:-2]), stored_note(row["text"])))

    def start(self) -> None:
        if self._thread is None and self.enabled:
            self.load()
            self._thread = threading.Thread(target=self._run, name="outbox", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        with self._cond:
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(5)

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                self.deliver_due()
                self.digest_if_due()
            except Exception:
                log.exception("the outbox failed a round")
            with self._cond:
                if not self._stopping.is_set():
                    self._cond.wait(0.5 if self._events or self._queue else 30.0)

    # ------------------------------------------------------------ outcomes

    def deliver_due(self) -> int:
        """Turn decided events into emails per recipient, then send the ones whose time has come."""
        with self._cond:
            events, self._events = self._events, []
        for n, (key, text) in enumerate(events):
            try:
                self._queue_for(key, text)
            except StoreAway:
                with self._cond:
                    self._events[:0] = events[n:]
                break
        now = self._clock()
        with self._cond:
            due = [e for e in self._queue if e.next_try <= now]
            for email in due:
                email.next_try = float("inf")
        for email in due:
            self._try(email)
        return len(due)

    def _queue_for(self, key: tuple[str, ...], text: Note) -> None:
        assert self.settings is not None
        portal, _event = key[0], key[-1]
        kind, whats, run = ("backup", ("missed",), "") if key[1] == "schedule" else \
            (key[1], ("this-operation", "next-outcome"), key[2])
        found = self._store.at_once(lambda conn: subs.recipients(conn, portal, kind, whats, run))
        event = "|".join((*key, EVENT))
        by_address: dict[str, list[subs.Subscription]] = {}
        for sub in found:
            by_address.setdefault(sub.address_sha, []).append(sub)
        for sha, mine in by_address.items():
            first = mine[0]
            v = i18n.viewer(first.language, None)
            label = self.config.label_of(portal, v)
            said = v.say(escaped(text.title, clean))  # the portal's words without bidi or invisible controls
            body = tuple(v.say(escaped(m, clean)) for m in text.body)
            link = subscribers.unsubscribe_link(self._store, self.settings, first.id)
            letter = mailer.Letter(
                first.address, subject(said), (said, *body),
                ((v._("See its timeline"), self.settings.link(page("history", portal))),),
                unsubscribe=link,
                footer=v._("You asked for this on the DocSpace Backup Monitor ({what}). To stop: {link}",
                           what=v.say(subscribers.what_words(first.what, first.kind, label)), link=link))
            name = "|".join((*key, "mail", sha[:24]))
            email = _Email(name, letter, json.dumps(text.to_json()), [s.id for s in mine], event=event)
            with self._cond:
                if all(e.key != name for e in self._queue):
                    self._queue.append(email)
        if not by_address:
            self._store.notification_tried(event, sent=self._clock(), attempts=1, error="")
        log.info("%s: %d subscriber(s) to tell", "|".join(key), len(by_address))

    def _claimed(self, email: _Email) -> bool | None:
        """True: send it; False: sent already or another copy has it; None: the database is away."""
        now, tries = self._clock(), len(self._delays) + 1
        try:
            if self._me is not None:
                me = self._me
                return self._store.at_once(lambda conn: lease.claim(conn, me, email.key, email.stored, now,
                                                                    tries=tries, grace=CLAIM_GRACE))
            return self._store.at_once(lambda conn: lease.claim_alone(conn, self._alone, email.key, email.stored,
                                                                      now, tries=tries, grace=CLAIM_GRACE))
        except StoreAway:
            return None

    def _try(self, email: _Email) -> bool:
        assert self.settings is not None and self.settings.smtp is not None
        mine = self._claimed(email)
        if mine is None:
            with self._cond:
                email.next_try = self._clock() + CLAIM_AGAIN
            return False
        if not mine:  # sent or given up on (done with), or another copy's claim is young (it may be sending)
            done, attempts = self._finished(email.key)
            if done or attempts > len(self._delays):
                self._drop(email)
            else:  # not closed: a copy that claimed it and died leaves it to this one after the grace
                with self._cond:
                    email.next_try = self._clock() + CLAIM_GRACE
            return False
        email.attempts += 1
        error: mailer.MailError | None = None
        try:
            self._send(self.settings.smtp, mailer.build(email.letter, self.settings.smtp.sender))
        except mailer.MailError as exc:
            error = exc
        now = self._clock()
        if error is None or email.attempts > len(self._delays):
            self._drop(email)
        else:
            with self._cond:
                email.next_try = now + self._delays[email.attempts - 1]
        self.last_error = M_("An email could not be sent: {reason}", reason=error.said) if error else None
        self._counts.told("email", error is None)
        if error is None:
            log.info("email sent: %s", email.key.rpartition("|mail|")[0] or email.key.rpartition("|")[0])
        else:
            log.warning("email not sent (%s): %s", email.key.split("|")[0], error.said)
        sent, attempts, why = (None if error else now), email.attempts, str(error.said) if error else ""

        def record(conn: Any) -> None:
            lease.tried(conn, email.key, email.stored, now, sent=sent, attempts=attempts, error=why)
            if sent is not None:
                subs.told(conn, email.done, now)
            else:
                subs.release(conn, email.key)

        try:
            self._store.at_once(record)
        except StoreAway:
            self._store.notification_tried(email.key, sent=sent, attempts=attempts, error=why)
        return error is None

    def _finished(self, key: str) -> tuple[bool, int]:
        """(sent, tries) of an email as the database has it; (False, 0) while it cannot be read."""
        try:
            return self._store.at_once(lambda conn: subs.tries_of(conn, key))
        except StoreAway:
            return False, 0

    def _drop(self, email: _Email) -> None:
        """Done with it (sent, given up on, or another copy's). Its event is closed with its last email: until
        then a restart takes the event up again (:meth:`load`), and the claims keep anyone from getting it twice."""
        with self._cond:
            if email in self._queue:
                self._queue.remove(email)
            closed = bool(email.event) and all(e.event != email.event for e in self._queue)
        if closed:
            self._store.notification_tried(email.event, sent=self._clock(), attempts=1, error="")

    # ------------------------------------------------------------ the weekly summary

    def digest_week(self, now: float) -> tuple[str, float]:
        """This week's name (ISO, in the digest's zone) and the instant its summary is due."""
        assert self.settings is not None
        zone = ZoneInfo(self.settings.digest_zone)
        local = datetime.fromtimestamp(now, zone)
        year, week, weekday = local.isocalendar()
        day = local.date() + timedelta(days=self.settings.digest_day - (weekday - 1))
        due = datetime(day.year, day.month, day.day, self.settings.digest_hour, tzinfo=zone).timestamp()
        return f"{year}-W{week:02d}", due

    def digest_if_due(self) -> int:
        if not self.enabled or self._compose is None:
            return 0
        now = self._clock()
        _week, due = self.digest_week(now)
        if not due <= now < due + DIGEST_WINDOW or now < self._digest_next:
            return 0
        sent = self.send_digest()
        # who gets it is read again every few minutes (someone may ask meanwhile), or at the next retry
        self._digest_next = min([now + DIGEST_EVERY, *(t for t in self._digest_wait.values() if t > now)])
        return sent

    def send_digest(self) -> int:
        """The weekly summary to everyone who gets it, unless it went to them this week; how many were sent."""
        if not self.enabled or self._compose is None:
            return 0
        assert self.settings is not None
        now = self._clock()
        week, _due = self.digest_week(now)
        everyone = [p.name for p in self.config.portals]
        wanted: dict[str, tuple[str, list[str], str, subs.Subscription | None]] = {}
        for address in self.settings.digest_to:
            wanted[subs.sha(address)] = (address, everyone, self.config.notify_language, None)
        for sub in self._store.at_once(subs.digest_subscribers):
            address, portals, language, first = wanted.get(sub.address_sha, (sub.address, [], sub.language, sub))
            if sub.portal in everyone and sub.portal not in portals:
                portals = [*portals, sub.portal]
            wanted[sub.address_sha] = (address, portals, language, first)
        sent = 0
        letters: dict[tuple[tuple[str, ...], str], mailer.Letter] = {}  # (portals, language) -> the summary
        for sha, (address, portals, language, first) in wanted.items():
            key = f"digest|{week}|{sha[:24]}"
            if not portals or self._digest_wait.get(key, 0.0) > now:
                continue  # its last try failed: the next one waits as an outcome email's would
            done, attempts = self._store.at_once(lambda conn, k=key: subs.tries_of(conn, k))
            if done or attempts > len(self._delays):
                continue  # sent this week, or given up on after every retry
            v = i18n.viewer(language, None).with_zone(ZoneInfo(self.settings.digest_zone))
            made = (tuple(portals), language)
            if made not in letters:  # the same portals in the same language: the same summary
                letters[made] = self._compose(self._store, self.config, portals, v, now)
            letter = letters[made]
            link = subscribers.unsubscribe_link(self._store, self.settings, first.id) if first else None
            footer = (v._("You asked for this weekly summary on the DocSpace Backup Monitor. To stop: {link}",
                          link=link) if link else
                      v._("The app's administrator set this address up to get the weekly summary ([digest] to)."))
            email = _Email(key, dataclasses.replace(letter, to=address, unsubscribe=link, footer=footer),
                           json.dumps(Msg.of("weekly summary").to_json()), attempts=attempts)
            if self._try(email):
                sent += 1
            else:
                self._digest_wait[key] = email.next_try
        return sent


def subject(said: str) -> str:
    """A subject line from a notification's sentence: its first line, without a line break, short."""
    line = " ".join(said.split())
    return line if len(line) <= 120 else line[:117].rstrip() + "…"
