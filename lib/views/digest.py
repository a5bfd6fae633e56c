"""The weekly summary by email, for people who never open the app: per portal the last 7 days as a row of
cells (✓ backup, ✕ failed, ! missed, ↺ restore…, each with its words, and a legend of the symbols shown),
backups made, missed and failed, restores and how they ended with how long they took, the next scheduled
backup, and a link to /history. Times are said in the summary's zone, and it says which.

The days are the History page's own (:func:`lib.views.history.portal_strip`, from
:mod:`lib.views.strip` and :mod:`lib.views.known`): one way to know what happened on a day. A CSV of the
month's operations is attached ("proof of backups" for auditors).
"""

from __future__ import annotations

import html
from datetime import UTC, datetime, time, timedelta
from typing import Any

from lib import timewords
from lib.db.store import HistoryStore
from lib.i18n import Viewer
from lib.jobs.schedule import next_due
from lib.settings.config import AppConfig
from lib.text import clean
from lib.views.export import table_csv
from lib.views.history import Row, portal_strip, row_outcome, rows_of, took, trail_rows
from lib.views.strip import KINDS, DayCell
from lib.watching import endpoint_state
from lib.watching.mailer import Letter
from lib.watching.messages import page

WEEK = 7
MONTH = 31 * 86_400.0


def compose(store: HistoryStore, config: AppConfig, portals: list[str], v: Viewer, now: float) -> Letter:
    """The summary of these portals, said by ``v`` (language and zone); the recipient is filled in later."""
    states = store.states()
    today = v.moment(now).date()
    # the 7 days before today, whole: the row of days, the counts and the restores all say the same week
    first_day = today - timedelta(days=WEEK)
    start, end = (datetime.combine(d, time(), v.tz).timestamp() for d in (first_day, today))
    paragraphs: list[str] = [v._("Your weekly summary of backups and restores, for the 7 days up to {day}.",
                                 day=v.day(today - timedelta(days=1))),
                                 v._("Times are in {zone}.", zone=timewords.zone_label(v.tz))]
    rich, plain = [], []
    for name in portals:
        portal = config.portal(name)
        label = portal.label_for(v)
        saved = states.get(endpoint_state.key(name, "backups", "any"))
        answer = endpoint_state.backups_from(saved[1]["answer"]) if saved and saved[1].get("answer") else None
        strip = portal_strip(store, name, answer, now, v, label)
        cells = strip.cells[-WEEK - 1:-1]  # the 7 days before today
        lines = [_counts(cells, answer is not None, v)]
        ops = store.operations(portal=name, kind="restore", since=start - WEEK * 86_400.0)  # started before it too
        restores = [r for r in rows_of(ops, trail_rows(store, name, now), "restore")  # the trail's unwatched ones too
                    if r.outcome != "running" and start <= r.at < end]
        lines += [_restore(r, v) for r in reversed(restores)]  # oldest first
        if not restores:
            lines.append(v._("No restore this week."))
        schedule = answer.schedule if answer is not None else None
        upcoming = next_due(schedule, datetime.fromtimestamp(now, UTC)) if schedule is not None else None
        lines.append(v._("Next scheduled backup: {when}.", when=v.date_time(upcoming)) if upcoming else
                     v._("No automatic backup is scheduled.") if answer is not None else
                     v._("The schedule is not known (the app has no admin key for this portal, or has not read it)."))
        if strip.alarm:
            lines.append(strip.alarm)
        link = config.mail.link(page("history", name)) if config.mail and config.mail.app_url else ""
        rich.append(_portal_html(label, cells, lines, link, v))
        plain.append("\n".join([label, " ".join(c.symbol for c in cells) + "   " + _legend(cells, v), *[
            f"  {c.symbol} {c.words}" for c in cells], *lines] + ([f"{v._('Full history')}: {link}"] if link else [])))
    subject = v._("Weekly summary: backups and restores ({portals})",
                  portals=", ".join(config.portal(n).label_for(v) for n in portals))[:150]
    return Letter("", subject, tuple(paragraphs), html_extra="".join(rich), plain_extra="\n\n".join(plain),
                  attachment=(f"operations-{v.moment(now).date().isoformat()}.csv", "text/csv",
                              _csv(store, portals, now, v)))


def _counts(cells: list[DayCell], listed: bool, v: Viewer) -> str:
    """``listed``: the portal's backup list was read; without it, and nothing on record, the counts are not
    known (never "made: 0; missed: 0", which reads as an alarm)."""
    made, failed, missed = (sum(c.backups for c in cells), sum(c.failures for c in cells),
                            sum(c.missed for c in cells))
    if not listed and not made + failed + missed:
        return v._("Backups made, missed and failed: not known for these days.")
    return v._("Backups made: {made}; missed: {missed}; failed: {failed}.", made=v.number(made),
               missed=v.number(missed), failed=v.number(failed))


def _restore(row: Row, v: Viewer) -> str:
    """How a restore of the week ended, in the History page's words (one only the trail knows: not known)."""
    when = v.date_time(datetime.fromtimestamp(row.at, UTC))
    if row.op is None:
        return v._("Restore started {when}; nobody watched it, so how it ended is not known.", when=when)
    how = row_outcome(row, v)
    duration = took(row.op, v)
    if duration and row.op.outcome != "vanished" and row.op.started is not None:
        return v._("Restore started {when}: {how} after {duration}.", when=when, how=how, duration=duration)
    if duration:  # "at least 20 min", "seen for 3 min": not a time it took
        return v._("Restore started {when}: {how} ({duration}).", when=when, how=how, duration=duration)
    return v._("Restore started {when}: {how}.", when=when, how=how)


def _legend(cells: list[DayCell], v: Viewer) -> str:
    """What each symbol in this row means: only the ones it shows (``✓ backup, · nothing due``)."""
    words = {"failed": v.p_("legend", "failed"), "stopped": v.p_("legend", "backups stopped"),
             "missed": v.p_("legend", "missed"), "running": v.p_("legend", "running"),
             "restore": v.p_("legend", "restore"), "backup": v.p_("legend", "backup"),
             "due": v.p_("legend", "due"), "none": v.p_("legend", "nothing due"),
             "unknown": v.p_("legend", "not known")}
    shown = {c.kind for c in cells}
    return v.list([f"{kind.symbol} {words[name]}" for name, kind in KINDS.items() if name in shown], "unit")


def _portal_html(label: str, cells: list[DayCell], lines: list[str], link: str, v: Viewer) -> str:
    esc = html.escape
    colors = {"backup": "#dafbe1", "failed": "#ffebe9", "missed": "#fff1e5", "restore": "#fbefff",
              "stopped": "#ffebe9"}
    tds = "".join(
        f'<td title="{esc(c.words, quote=True)}" style="width:72px;padding:6px 4px;text-align:center;'
        f'vertical-align:top;'
        f'border:1px solid #d0d7de;background:{colors.get(c.kind, "#f6f8fa")};font-size:12px">'
        f'<div style="font-size:20px;line-height:24px">{esc(c.symbol)}</div>{esc(v.weekday(c.date))}</td>'
        for c in cells)
    words = "".join(f"<li>{esc(c.words)}</li>" for c in cells)
    facts = "".join(f'<p style="margin:4px 0">{esc(line)}</p>' for line in lines)
    more = (f'<p style="margin:8px 0"><a href="{esc(link, quote=True)}">{esc(v._("Full history"))}</a></p>'
            if link else "")
    return (f'<h2 style="font-size:18px;margin:24px 0 8px 0">{esc(label)}</h2>'
            f'<table role="presentation" cellspacing="0" cellpadding="0" style="border-collapse:collapse">'
            f"<tr>{tds}</tr></table>"
            f'<p style="margin:4px 0;color:#57606a;font-size:12px">{esc(_legend(cells, v))}</p>'
            f'<ul style="margin:8px 0;padding-left:20px;font-size:13px">{words}</ul>{facts}{more}')


def _csv(store: HistoryStore, portals: list[str], now: float, v: Viewer) -> bytes:
    """Every operation of the last month: the proof that backups ran. Column keys a machine can read; every
    cell kept from running as a formula (the portal's words reach a spreadsheet), as the pages' CSV is."""
    table: dict[str, list[Any]] = {key: [] for key in ("portal", "kind", "started_utc", "ended_utc", "outcome",
                                                       "last_percent", "portal_text")}
    for name in portals:
        for op in store.operations(portal=name, limit=5000):
            if op.first_seen < now - MONTH:
                continue
            start = datetime.fromtimestamp(op.started or op.first_seen, UTC).isoformat(timespec="seconds")
            end = datetime.fromtimestamp(op.ended, UTC).isoformat(timespec="seconds") if op.ended else ""
            for key, value in zip(table, (name, op.kind, start, end, op.outcome, op.last_percent,
                                          clean(op.portal_text)), strict=True):
                table[key].append(value)
    return table_csv(table).encode("utf-8")
