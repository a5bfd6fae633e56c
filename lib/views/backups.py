"""The Backups page's decisions: the files, the schedule in words, the last and next backup, overdue, automatic
backups that stopped, and how far DocSpace's audit trail could be read.

Pure: given the latest answer about the backup list and schedule (whether a restore holds the portal, and what
the history database knows), it says everything the page shows. The page only lays it out.
"""

from __future__ import annotations

from dataclasses import dataclass

from lib import timewords
from lib.i18n import Viewer
from lib.jobs import schedule as sched
from lib.jobs.backups_made import last_backup_time, newest_first
from lib.portal.errors import Category, DocSpaceError, PaymentRequired
from lib.portal.models import BackupFile, BackupsAnswer, Progress
from lib.views.known import Known, stopped_sentence, trail_details
from lib.watching.poller import Poll


@dataclass(frozen=True)
class Tile:
    label: str
    value: str
    help: str | None = None


@dataclass(frozen=True)
class BackupsView:
    """``state``: "checking" (no answer yet), "restoring", "problem", "plan" (the portal's plan has no backups)
    or "ok"."""

    state: str
    problem: str = ""  # one sentence with what to do, for "problem" and "plan"
    locked: bool = False  # the problem is the key (a lock icon, not a cloud)
    overdue: tuple[str, str] | None = None  # (headline, the rest) when a scheduled backup did not happen
    stopped: str = ""  # automatic backups stopped: the schedule the portal had is gone (one sentence)
    tiles: tuple[Tile, ...] = ()
    schedule: str = ""  # "Every day at 02:00 UTC, keeps 7 copies, stored in a room in DocSpace."
    files: tuple[BackupFile, ...] = ()
    checked: str = ""  # when the list was read, and how often it is re-read
    details: tuple[str, ...] = ()  # where the backups are known from, and whether the audit trail is short


def backups_view(poll: Poll[BackupsAnswer] | None, restore: Poll[Progress | None] | None, every: float,
                 now: float, viewer: Viewer, known: Known | None = None, label: str = "") -> BackupsView:
    """``known``: what the history database adds (backups made, the trail, the schedule the portal had);
    ``label``: the portal's name, for the sentence that automatic backups stopped."""
    v = viewer
    if poll is None:
        return BackupsView("checking")
    restoring = (restore is not None and restore.ok and isinstance(restore.result, Progress)
                 and not restore.result.is_completed)
    error = poll.result if isinstance(poll.result, DocSpaceError) else None
    if (error is not None and error.category is Category.RESTORING) or (restoring and error is not None):
        return BackupsView("restoring")
    if error is not None and error.status == PaymentRequired.status:  # a plan without backups: calm, not a fault
        return BackupsView("plan", v.say(error.message), checked=v._("Last checked {time}; we check again "
                                                                     "automatically.", time=v.clock(poll.at, now)))
    if error is not None:
        return BackupsView("problem", v.say(error.message), error.category is Category.AUTH,
                           checked=v._("Last tried {time}; we try again automatically.",
                                       time=v.clock(poll.at, now, seconds=True)))
    history, schedule = poll.result  # type: ignore[misc]
    last = known.last_backup(history) if known is not None else last_backup_time(history)
    ago = timewords.ago(now - last.timestamp(), v) if last else v._("never")
    tiles = [Tile(v._("Last backup"), ago, v.date_time(last) if last else None)]
    overdue, words, stopped = None, "", ""
    if schedule is None:
        gone = known.stopped(None, poll.at) if known is not None else None
        stopped = stopped_sentence(gone, label or v._("this portal"), v) if gone is not None else ""
        tiles.append(Tile(v._("Next scheduled"), v._("none: backups stopped") if gone else v._("no schedule")))
    else:
        late = sched.overdue_since(schedule, now, last)
        if late is not None:
            overdue = (v._("A scheduled backup is overdue."),
                       v._("The schedule expected one at {time}; the last backup ran {ago}. Check the portal's backup "
                           "settings and the backup service.", time=v.clock(late, now), ago=ago))
        nxt = sched.next_due(schedule, timewords.utc(now))
        tiles += [Tile(v._("Next scheduled"), timewords.weekday_clock(nxt.timestamp(), v, now) if nxt else "—",
                       v.date_time(nxt) if nxt else None),
                  Tile(v._("Backups kept"), v.number(schedule.backups_stored) if schedule.backups_stored else "—")]
        words = v._("{schedule}, stored in {place}.", schedule=sched.words(schedule, v, timewords.utc(now)),
                    place=v._(schedule.storage_type.words))
    return BackupsView("ok", overdue=overdue, stopped=stopped, tiles=tuple(tiles), schedule=words,
                       files=tuple(newest_first(history)),
                       details=tuple(trail_details(known.read, now, v)) if known is not None else (),
                       checked=v._("Checked {time} (times in {zone}); the list is re-read every {duration}.",
                                   time=v.clock(poll.at, now, seconds=True), zone=timewords.zone_label(v.tz),
                                   duration=v.duration(every)))
