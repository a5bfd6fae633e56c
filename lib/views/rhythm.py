"""One viewer's checking rhythm on a live page: live, a quiet look-out after the end, or paused.

Live: a check at the viewer's interval until the job ends. After the end: one quiet look a minute
for the next job, so a wall screen picks up a new restore with nobody at the keyboard. Paused: no
checks at all, for this tab only. The page keeps one :class:`Rhythm` per page and portal in session
state; this module decides, the page only draws.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import tzinfo
from enum import Enum

from lib import timewords

#: after a job ends, how often to look for the next one
AFTER_END_CHECK = 60.0


class Change(Enum):
    """What the last tick changed about the rhythm; anything but NONE needs a full rerun."""

    NONE = "none"
    RESUMED = "resumed"  # a new job started after the last one ended: back to live checks
    ENDED = "ended"  # the job ended; it was already over when this viewer arrived
    ENDED_WATCHED = "ended watched"  # the job ended while this viewer watched it run: worth a toast


@dataclass
class Rhythm:
    live: bool = True
    seen_running: bool = False

    def interval(self, refresh: float, paused: bool) -> float | None:
        """Seconds between this viewer's ticks, or None for no timer."""
        if paused:
            return None
        return refresh if self.live else max(AFTER_END_CHECK, refresh)

    def observe(self, running: bool, done: bool) -> Change:
        """Follow the job: back to live when a new one runs, quiet when it ends."""
        if running:
            self.seen_running = True
            if not self.live:
                self.live = True
                return Change.RESUMED
            return Change.NONE
        if done and self.live:
            self.live = False
            watched, self.seen_running = self.seen_running, False
            return Change.ENDED_WATCHED if watched else Change.ENDED
        return Change.NONE

    def live_again(self) -> None:
        self.live = True

    def footer(self, last_check: float | None, next_at: float | None, failures: int, now: float, tz: tzinfo,
               refresh: float, paused: bool) -> str:
        """"Last checked 10:42:05 · next check in 5 s · times in UTC", or why there is no next check soon.
        The page's one statement of its time zone: every clock time on it is in that zone."""
        if last_check is None:
            return ""
        return self._footer(last_check, next_at, failures, now, tz, refresh, paused) + \
            f" · times in {timewords.zone_label(tz)}"

    def _footer(self, last_check: float, next_at: float | None, failures: int, now: float, tz: tzinfo,
                refresh: float, paused: bool) -> str:
        text = f"Last checked {timewords.clock(last_check, tz, now, seconds=True)}"
        if paused:
            return text + " · paused: not checking"
        if not self.live:
            every = timewords.duration(max(AFTER_END_CHECK, refresh))
            return text + f" · finished; looking for a new job every {every}"
        if next_at is None:
            return text
        left = next_at - now
        text += " · checking now" if left < 0.5 else f" · next check in {timewords.duration(left)}"
        gap = next_at - last_check
        if failures > 1 and gap > refresh + 0.5:
            # the real wait, in numbers: not "in 2 s" beside "waiting longer"
            text += (f" ({failures} checks failed, so checks are now {timewords.duration(gap)} apart instead of "
                     f"{timewords.duration(refresh)})")
        return text
