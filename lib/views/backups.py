"""The Backups page's decisions: the files, the schedule in words, the last and next backup, overdue.

Pure: given the latest answer about the backup list and schedule (and whether a restore holds the
portal), it says everything the page shows. The page only lays it out.
"""

from __future__ import annotations

from dataclasses import dataclass

from lib import timewords
from lib.i18n import Viewer
from lib.jobs import schedule as sched
from lib.jobs.backups_made import last_backup_time, newest_first
from lib.portal.errors import Category, DocSpaceError
from lib.portal.models import BackupFile, BackupsAnswer, Progress
from lib.watching.poller import Poll


@dataclass(frozen=True)
class Tile:
    label: str
    value: str
    help: str | None = None


@dataclass(frozen=True)
class BackupsView:
    """``state``: "checking" (no answer yet), "restoring", "problem" or "ok"."""

    state: str
    problem: str = ""  # one sentence with what to do, for "problem"
    locked: bool = False  # the problem is the key (a lock icon, not a cloud)
    overdue: tuple[str, str] | None = None  # (headline, the rest) when a scheduled backup did not happen
    tiles: tuple[Tile, ...] = ()
    schedule: str = ""  # "Every day at 02:00 UTC, keeps 7 copies, stored in a room in DocSpace."
    files: tuple[BackupFile, ...] = ()
    checked: str = ""  # when the list was read, and how often it is re-read


def backups_view(poll: Poll[BackupsAnswer] | None, restore: Poll[Progress | None] | None, every: float,
                 now: float, viewer: Viewer) -> BackupsView:
    v = viewer
    if poll is None:
        return BackupsView("checking")
    restoring = (restore is not None and restore.ok and isinstance(restore.result, Progress)
                 and not restore.result.is_completed)
    error = poll.result if isinstance(poll.result, DocSpaceError) else None
    if (error is not None and error.category is Category.RESTORING) or (restoring and error is not None):
        return BackupsView("restoring")
    if error is not None:
        return BackupsView("problem", v.say(error.message), error.category is Category.AUTH,
                           checked=v._("Last tried {time}; we try again automatically.",
                                       time=v.clock(poll.at, now, seconds=True)))
    history, schedule = poll.result  # type: ignore[misc]
    last = last_backup_time(history)
    ago = timewords.ago(now - last.timestamp(), v) if last else v._("never")
    tiles = [Tile(v._("Last backup"), ago, v.date_time(last) if last else None)]
    overdue, words = None, ""
    if schedule is None:
        tiles.append(Tile(v._("Next scheduled"), v._("no schedule")))
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
    return BackupsView("ok", overdue=overdue, tiles=tuple(tiles), schedule=words, files=tuple(newest_first(history)),
                       checked=v._("Checked {time} (times in {zone}); the list is re-read every {duration}.",
                                   time=v.clock(poll.at, now, seconds=True), zone=timewords.zone_label(v.tz),
                                   duration=v.duration(every)))
