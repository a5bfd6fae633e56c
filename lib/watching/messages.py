"""Every notification a person reads, worded here and nowhere else: outcomes, stalls, overdue backups, and
automatic backups that stopped because the schedule went away.

The watcher and the recording decide *that* something is worth telling (once per operation and
event); this module decides *how* it reads. Each is a :class:`Note`: a title, a body and the page it is
about, each sentence a :class:`~lib.i18n.Msg` kept as it was decided and said in each channel's language
when it is sent. Plain words, the portal's label first, the portal's own text quoted as it was sent (each
channel makes it inert for its own markup when it sends it: the values, never our own words or links).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

from lib.db.rows import stored_msg
from lib.i18n import M_, At, Duration, Mk_, Msg, Percent


@dataclass(frozen=True)
class Note:
    """One notification: the title (the sentence the webhook has always sent), the body's sentences, and
    the app's page it is about (a path such as ``/?portal=prod``; ``[notify] app_url`` goes before it)."""

    title: Msg
    body: tuple[Msg, ...] = ()
    link: str = ""

    def __str__(self) -> str:
        return str(self.title)

    def to_json(self) -> dict[str, Any]:
        return {"title": self.title.to_json(), "body": [m.to_json() for m in self.body], "link": self.link}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Note:
        return cls(Msg.from_json(data["title"]), tuple(Msg.from_json(m) for m in data.get("body", ())),
                   str(data.get("link", "")))

    @classmethod
    def of(cls, said: Note | Msg) -> Note:
        return said if isinstance(said, Note) else cls(said)


def escaped(msg: Msg, escape: Callable[[str], str]) -> Msg:
    """``msg`` with the words it quotes (its text values: labels, the portal's own words) made inert for
    where it is sent (a Slack webhook, an Apprise channel, an email); our own words are left as they are."""
    def value(v: Any) -> Any:
        if isinstance(v, Msg):
            return escaped(v, escape)
        return escape(v) if type(v) is str else v
    return Msg(msg.text, tuple((k, value(v)) for k, v in msg.values), msg.plural, msg.n, msg.context)


def stored_note(text: str) -> Note:
    """A message as its row keeps it: a note's JSON, or (written before channels) one sentence."""
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if isinstance(data, dict) and "title" in data:
        return Note.from_json(data)
    return Note(stored_msg(text))


def page(kind: str, portal: str) -> str:
    """The app's page about a portal's restore (``/``), backup (``/backup``) or backups (``/backups``)."""
    path = {"restore": "/", "backup": "/backup", "backups": "/backups", "history": "/history"}.get(kind, "/")
    return f"{path}?portal={quote(portal, safe='')}"

#: how much of the portal's own error text a message quotes
PORTAL_TEXT = 300


def outcome(portal: str, label: str, noun: str, outcome: str, percent: int, portal_text: str,
            took: float | None = None, exact: bool = True) -> Note:
    """A job ended: completed (or "complete" below 100 %, as DocSpace said it), failed, cancelled.
    ``took``: seconds from its start (``exact``) or, when its start was not seen, from its first sight."""
    text = portal_text.strip()[:PORTAL_TEXT]
    body: list[Msg] = []
    if took is not None and (exact or took >= 1):  # ("at least 0 s" says nothing)
        body.append(M_("It took {duration}.", duration=Duration(took)) if exact else
                    M_("It took at least {duration} (from when this app first saw it).", duration=Duration(took)))
    if outcome == "completed" and percent >= 100:
        title = Mk_(noun, "✅ {label}: the {noun} completed.", label=label)
    elif outcome == "completed":
        title = Mk_(noun, "⚠️ {label}: DocSpace reports the {noun} complete at {percent}.", label=label,
                    percent=Percent(percent))
    elif outcome == "failed":
        title = Mk_(noun, "❌ {label}: the {noun} failed at {percent}: {text}", label=label, percent=Percent(percent),
                    text=text)
        text = ""  # said in the title
    else:
        title = Mk_(noun, "⚠️ {label}: the {noun} was cancelled.", label=label)
    if text:
        body.append(M_("DocSpace said: “{text}”", text=text))
    return Note(title, tuple(body), link=page(noun, portal))


def stalled(portal: str, label: str, noun: str, quiet: float, percent: int) -> Note:
    return Note(Mk_(noun, "⚠️ {label}: the {noun} has made no progress for {duration} (at {percent}).", label=label,
               duration=Duration(quiet), percent=Percent(percent)), link=page(noun, portal))


def stall_reminder(portal: str, label: str, noun: str, quiet: float, percent: int) -> Note:
    return Note(Mk_(noun, "⏰ {label}: still no progress on the {noun} after {duration} (at {percent}).", label=label,
               duration=Duration(quiet), percent=Percent(percent)), link=page(noun, portal))


def stall_over(portal: str, label: str, noun: str, percent: int) -> Note:
    """After a stall that was told, it moves again (an end is told by its outcome message alone)."""
    return Note(Mk_(noun, "✅ {label}: the {noun} is moving again, at {percent}.", label=label,
                    percent=Percent(percent)), link=page(noun, portal))


def overdue(portal: str, label: str, late: float) -> Note:
    """``late``: seconds since the missed run was due."""
    return Note(M_("⚠️ {label}: a scheduled backup is overdue (expected {duration} ago).", label=label,
              duration=Duration(late)), link=page("backups", portal))


def overdue_reminder(portal: str, label: str, late: float) -> Note:
    return Note(M_("⏰ {label}: still no backup since the one scheduled {duration} ago.", label=label,
              duration=Duration(late)), link=page("backups", portal))


def back_on_schedule(portal: str, label: str) -> Note:
    return Note(M_("✅ {label}: a backup was made; backups are on schedule again.", label=label),
                link=page("backups", portal))


def schedule_removed(portal: str, label: str, after: datetime, before: datetime, by_admin: bool | None,
                     by_restore: bool) -> Note:
    """The schedule was there at ``after`` and gone at ``before`` (UTC); who removed it, as far as is known:
    an admin (the audit trail says so), a restore (it brought back a portal without one), or DocSpace."""
    start, end = At(after.timestamp()), At(before.timestamp())
    if by_restore:
        title = M_("⚠️ {label}: automatic backups have stopped. After the restore the portal has no backup schedule "
                   "(it was there at {start} UTC and gone at {end} UTC); an admin must set it up again.", label=label,
                   start=start, end=end)
    elif by_admin:
        title = M_("⚠️ {label}: automatic backups have stopped. An admin deleted the schedule between {start} and "
                   "{end} UTC (DocSpace's audit trail records it); set it up again if that was not meant.",
                   label=label, start=start, end=end)
    elif by_admin is None:
        title = M_("⚠️ {label}: automatic backups have stopped. The schedule was removed between {start} and "
                   "{end} UTC. DocSpace removes it when a backup fails for quota or payment reasons (or an admin "
                   "deleted it); an admin must set it up again.", label=label, start=start, end=end)
    else:
        title = M_("⚠️ {label}: automatic backups have stopped. The schedule was removed between {start} and "
                   "{end} UTC. DocSpace removes it when a backup fails for quota or payment reasons; an admin must "
                   "set it up again.", label=label, start=start, end=end)
    return Note(title, link=page("backups", portal))


def schedule_removed_reminder(portal: str, label: str, gone: float) -> Note:
    """``gone``: seconds since the schedule was first seen missing."""
    return Note(M_("⏰ {label}: automatic backups are still stopped; the schedule was removed {duration} ago and "
                   "has not been set up again.", label=label, duration=Duration(gone)), link=page("backups", portal))


def schedule_back(portal: str, label: str) -> Note:
    return Note(M_("✅ {label}: automatic backups are scheduled again.", label=label), link=page("backups", portal))


def no_schedule(portal: str, label: str) -> Note:
    """Said once for a portal never seen with a schedule."""
    return Note(M_("ℹ️ {label}: this portal has no automatic backups (no backup schedule is set up in DocSpace).",
              label=label), link=page("backups", portal))


def nobody_watches(last: float) -> Msg:
    """The watcher stopped writing to the history, and no copy that may watch took over."""
    return M_("⚠️ Nobody is watching the portals: the watcher stopped writing to the history at {time}, so no "
              "alerts will come until it runs again (python -m lib.watch).", time=At(last))
