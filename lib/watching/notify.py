"""Notifications to every channel: once per operation, event and channel, across restarts and however many
copies run, and one slow or failing channel never delaying another.

The channels are the webhook (``[notify] webhook_url``: ``{"text": …}``, which Slack and Microsoft Teams
incoming webhooks both accept) and each Apprise URL (``[notify] urls``: a title and a body). Each has its
own queue and thread (a lane); every delivery must be answered in full within a deadline. A failed
delivery is tried again after 30 s, 2 min and 10 min; the failure, naming the channel (never its address),
is kept in :attr:`Notifier.last_error` for the page to show. Nothing here raises into the caller.

A message is decided once (its row in the database, under its own key, holds the :class:`Note`); each
channel then claims its own delivery: the webhook under the message's key (as before channels existed),
an Apprise channel under ``key|ch-<hash of its URL>``. With a lease (``me``), a delivery leaves only after
this copy claimed it while it held the watch (:func:`lib.db.lease.claim`): two copies, or a paused copy that
woke up after another took over, cannot both send it. When the database cannot be reached the delivery
waits for it. Deliveries another copy decided and did not send are found and sent.

The portal's words (labels, error texts) are made inert for each channel's markup as they are said
(Slack's escaping for the webhook; broken links, mentions and ``<…>`` for Apprise, which escapes HTML
itself); our own words and links are not touched.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from lib import channels
from lib.channels import ChannelFailed
from lib.db import lease
from lib.db.store import HistoryStore, StoreAway
from lib.i18n import ENGLISH, M_, Duration, Mn_, Msg, Viewer
from lib.portal.client import CHANNEL_DEADLINE, post_webhook
from lib.text import inert, slack_escape
from lib.watching.counts import Counts
from lib.watching.messages import Note, escaped, stored_note

#: seconds to wait before each retry of a failed delivery; then it gives up
RETRY_DELAYS = (30.0, 120.0, 600.0)
#: a delivery that was still waiting when the app stopped is tried again after a restart within this time
RESUME_WITHIN = 3600.0
#: while the database cannot be reached, a message waits this long before its claim is tried again
CLAIM_AGAIN = 5.0
#: another copy's claim younger than this may be a message on its way: it is left to that copy
CLAIM_GRACE = 120.0
#: how often messages owed by another copy (decided, never sent) are looked for
OWED_EVERY = 30.0
_CHANNEL_ROW = re.compile(r"\|ch-[0-9a-f]{12}$")
log = logging.getLogger(__name__)

Send = Callable[[str, dict[str, Any]], None]
SendApprise = Callable[[str, str, str, float], None]


@dataclass
class _Delivery:
    key: str  # the message's key (its row); the lane's claim adds its channel id
    note: Note  # said in the channel's language when it is sent
    attempts: int = 0
    next_try: float = 0.0

    @property
    def stored(self) -> str:
        """As the database keeps it: the message and its values, to be said in any language."""
        return json.dumps(self.note.to_json())


@dataclass
class _Lane:
    """One channel: its name for people, how its messages are said and sent, its queue and thread."""

    id: str  # "" for the webhook (its claims keep the message's key), else "ch-<hash>"
    name: Msg
    deliver: Callable[[str, str], None]  # title, body (the webhook puts them in one text)
    escape: Callable[[str], str]
    queue: list[_Delivery] = field(default_factory=list)
    done: set[str] = field(default_factory=set)  # delivered here, or given up on
    error: Msg | None = None
    error_at: float = 0.0
    owed_at: float = float("-inf")
    thread: threading.Thread | None = None

    def claim_key(self, key: str) -> str:
        return f"{key}|{self.id}" if self.id else key


def webhook_name(url: str) -> Msg:
    host = url.split("://", 1)[-1].split("/", 1)[0].lower()
    if host.endswith("slack.com"):
        return M_("The Slack webhook")
    if "office" in host or "logic.azure.com" in host:
        return M_("The Teams webhook")
    return M_("The webhook")


def _message_row(key: str) -> bool:
    """A row of the notifications table that is a message for the channels: not a channel's own claim
    (``…|ch-<hash>``), nor an email's (``…|mail|…``, ``digest|…``: lib.watching.outbox)."""
    return not (_CHANNEL_ROW.search(key) or "|mail|" in key or key.startswith("digest|"))


class Notifier:
    def __init__(self, webhook_url: str | None, store: HistoryStore, *, send: Send | None = None,
                 clock: Callable[[], float] = time.time, retry_delays: tuple[float, ...] = RETRY_DELAYS,
                 me: lease.Me | None = None, counts: Counts | None = None, viewer: Viewer = ENGLISH,
                 urls: tuple[str, ...] = (), app_url: str | None = None, deadline: float = CHANNEL_DEADLINE,
                 send_apprise: SendApprise = channels.send):
        """``me``: this copy, when copies share the database (a message is then claimed before it leaves);
        ``viewer``: the language (and zone) the messages are said in ([notify] language); ``urls``: Apprise
        channels; ``app_url``: where people open the app (links start with it; without it, no links);
        ``deadline``: every delivery's whole answer within this many seconds."""
        self.webhook_url = webhook_url
        self.viewer = viewer
        self.app_url = app_url.rstrip("/") if app_url else None
        self._store = store
        self._clock = clock
        self._delays = retry_delays
        self._me = me
        self._counts = counts or Counts()
        self._decided: set[str] = set()
        self._cond = threading.Condition()
        self._stopping = threading.Event()
        self.lanes: list[_Lane] = []
        if webhook_url:
            post = send if send is not None else partial(post_webhook, deadline=deadline)
            self.lanes.append(_Lane("", webhook_name(webhook_url), lambda title, body: post(
                webhook_url, {"text": f"{title}\n{body}" if body else title}), slack_escape))
        for n, url in enumerate(urls, start=1):
            kind = channels.service(url)
            name = M_("Notification channel {n} ({service})", n=str(n), service=kind.name if kind else "?")
            self.lanes.append(_Lane(channels.channel_id(url), name,
                                    partial(lambda u, title, body: send_apprise(u, title, body, deadline), url),
                                    inert))
        self.sent: list[str] = []  # texts delivered, newest last (the last 20)
        self.decisions = 0  # messages this copy decided to send (another copy may have sent some)

    @property
    def enabled(self) -> bool:
        return bool(self.lanes)

    @property
    def last_error(self) -> Msg | None:
        """Why the last delivery that failed did, while it does (the newest of the channels')."""
        with self._cond:
            failing = [lane for lane in self.lanes if lane.error is not None]
            return max(failing, key=lambda lane: lane.error_at).error if failing else None

    @property
    def waiting(self) -> int:
        """Deliveries not yet sent (nor given up on), over all channels."""
        with self._cond:
            return sum(len(lane.queue) for lane in self.lanes)

    def load(self, lanes: list[_Lane] | None = None) -> None:
        """Remember what was decided before (a restart, another copy); take up deliveries still owed. The
        periodic look for one lane reads only the rows of the last hour: older ones are never owed."""
        now = self._clock()
        rows = self._store.notified(None if lanes is None else now - RESUME_WITHIN)
        with self._cond:
            for lane in lanes or self.lanes:
                lane.owed_at = time.monotonic()
                queued = {d.key for d in lane.queue}
                for key, row in rows.items():
                    if not _message_row(key):
                        continue
                    self._decided.add(key)
                    mine = rows.get(lane.claim_key(key))
                    attempts = 0 if mine is None else mine["attempts"]
                    owed = ((mine is None or (mine["sent"] is None and attempts <= len(self._delays)))
                            and now - row["created"] < RESUME_WITHIN)
                    if owed and key not in queued and key not in lane.done:
                        lane.queue.append(_Delivery(key, stored_note(row["text"]), attempts))

    def notify(self, key: tuple[str, ...], said: Note | Msg) -> bool:
        """Send ``said`` to every channel unless this ``key`` (portal, operation, event…) was decided before."""
        if not self.enabled:
            return False
        name, note = "|".join(key), Note.of(said)
        with self._cond:
            if name in self._decided:
                return False
            self._decided.add(name)
            self.decisions += 1
            for lane in self.lanes:
                lane.queue.append(_Delivery(name, note))
            self._cond.notify_all()
        self._store.notification_decided(name, _Delivery(name, note).stored, self._clock())
        return True

    def start(self) -> None:
        for lane in self.lanes:
            if lane.thread is None:
                lane.thread = threading.Thread(target=self._run, args=(lane,), name=f"notify-{lane.id or 'webhook'}",
                                               daemon=True)
                lane.thread.start()

    def stop(self) -> None:
        self._stopping.set()
        with self._cond:
            self._cond.notify_all()
        until = time.monotonic() + 5  # five seconds for them all (a lane may be in a 15 s delivery)
        for lane in self.lanes:
            if lane.thread is not None:
                lane.thread.join(max(0.0, until - time.monotonic()))

    def deliver_due(self) -> int:
        """Send every delivery whose time has come, channel after channel; returns how many were tried."""
        return sum(self._deliver_due(lane) for lane in self.lanes)

    def _deliver_due(self, lane: _Lane) -> int:
        now = self._clock()
        with self._cond:
            due = [d for d in lane.queue if d.next_try <= now]
            for delivery in due:
                delivery.next_try = float("inf")  # taken: nobody else tries it meanwhile
        for delivery in due:
            self._try(lane, delivery)
        return len(due)

    def _run(self, lane: _Lane) -> None:
        while not self._stopping.is_set():
            if self._me is not None and time.monotonic() - lane.owed_at > OWED_EVERY:
                self.load([lane])  # what a copy that stopped had decided and not sent
            self._deliver_due(lane)
            with self._cond:
                if not self._stopping.is_set():  # (stop() sets it before it wakes this wait)
                    self._cond.wait(0.5 if lane.queue else 5.0)

    def _claimed(self, lane: _Lane, delivery: _Delivery) -> bool:
        """Whether this copy may send it now; False drops it (sent, or another copy has it) or, while the
        database cannot be reached, puts it off."""
        if self._me is None:
            return True
        me, now, key = self._me, self._clock(), lane.claim_key(delivery.key)
        try:
            mine = self._store.at_once(lambda conn: lease.claim(conn, me, key, delivery.stored, now,
                                                                tries=len(self._delays) + 1, grace=CLAIM_GRACE))
        except StoreAway:
            with self._cond:
                delivery.next_try = now + CLAIM_AGAIN
            return False
        if not mine:
            with self._cond:
                lane.queue.remove(delivery)
            log.debug("notification %s: sent or claimed by another copy", key)
        return mine

    def said(self, lane: _Lane, note: Note) -> tuple[str, str]:
        """The title and body as this channel gets them: in the channel's language, the portal's words inert
        for its markup, and the link to the app's page when ``app_url`` is set."""
        title = self.viewer.say(escaped(note.title, lane.escape))
        body = [self.viewer.say(escaped(line, lane.escape)) for line in note.body]
        if self.app_url and note.link:
            body.append(self.viewer.say(M_("Open it in the app: {link}", link=self.app_url + note.link)))
        return title, "\n".join(body)

    def _try(self, lane: _Lane, delivery: _Delivery) -> None:
        if not self._claimed(lane, delivery):
            return
        delivery.attempts += 1
        title, body = self.said(lane, delivery.note)
        error: Msg | None = None
        try:
            lane.deliver(title, body)
        except ChannelFailed as exc:
            error = M_("The notification could not be sent: {reason}", reason=exc.said(lane.name))
        except Exception:  # noqa: BLE001 - notifying must never break monitoring
            error = M_("The notification could not be sent: {channel} failed in an unexpected way.",
                       channel=lane.name)
        now = self._clock()
        with self._cond:
            if error is None:
                lane.queue.remove(delivery)
                lane.done.add(delivery.key)
                self.sent = [*self.sent[-19:], f"{title}\n{body}" if body else title]
                lane.error = None
            elif delivery.attempts > len(self._delays):
                lane.queue.remove(delivery)
                lane.done.add(delivery.key)
                lane.error = Mn_("{error} Gave up after {n} try.", "{error} Gave up after {n} tries.",
                                 delivery.attempts, error=error)
            else:
                delivery.next_try = now + self._delays[delivery.attempts - 1]
                lane.error = M_("{error} Trying again in {duration}.", error=error,
                                duration=Duration(self._delays[delivery.attempts - 1]))
            lane.error_at = time.monotonic()
            said = lane.error
        if error is None:
            log.info("notification sent: %s (%s)", title, lane.name)
        else:
            log.warning("%s", said)
        self._counts.told("message", error is None)
        self._written(lane.claim_key(delivery.key), delivery, now, error)

    def _written(self, key: str, delivery: _Delivery, now: float, error: Msg | None) -> None:
        """How it went, at once: a copy taking over must not send it again."""
        sent, attempts, why = None if error else now, delivery.attempts, str(error or "")
        try:
            self._store.at_once(lambda conn: lease.tried(conn, key, delivery.stored, now, sent=sent,
                                                         attempts=attempts, error=why))
        except StoreAway:  # queued, in order: the channel's row first (a claim makes it, but not without a lease)
            self._store.notification_decided(key, delivery.stored, now)
            self._store.notification_tried(key, sent=sent, attempts=attempts, error=why)
