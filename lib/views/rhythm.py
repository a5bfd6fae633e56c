"""One viewer's checking rhythm on a live page: live, a quiet look-out after the end, or paused.

Live: a check at the viewer's interval until the job ends. After the end: one quiet look a minute
for the next job, so a wall screen picks up a new restore with nobody at the keyboard. Paused: no
checks at all, for this tab only. The page keeps one :class:`Rhythm` per page and portal in session
state; this module decides, the page only draws.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from lib import timewords
from lib.i18n import Viewer

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

    def footer(self, last_check: float | None, next_at: float | None, failures: int, now: float, viewer: Viewer,
               refresh: float, paused: bool, gaps: tuple[float, ...] = ()) -> str:
        """"Last checked 10:42:05 · next check in 5 s · times in UTC", or why there is no next check soon.
        The page's one statement of its time zone: every clock time on it is in that zone. ``gaps``: the
        seconds between the last checks as they really came (a fetch that hangs makes them longer)."""
        if last_check is None:
            return ""
        parts = [viewer._("Last checked {time}", time=viewer.clock(last_check, now, seconds=True)),
                 *self._next(last_check, next_at, failures, now, viewer, refresh, paused, gaps),
                 viewer._("times in {zone}", zone=timewords.zone_label(viewer.tz))]
        return " · ".join(parts)

    def _next(self, last_check: float, next_at: float | None, failures: int, now: float, v: Viewer,
              refresh: float, paused: bool, gaps: tuple[float, ...]) -> list[str]:
        if paused:
            return [v._("paused: not checking")]
        if not self.live:
            return [v._("finished; looking for a new job every {duration}",
                        duration=v.duration(max(AFTER_END_CHECK, refresh)))]
        if next_at is None:
            return []
        left = next_at - now
        text = v._("checking now") if left < 0.5 else v._("next check in {duration}", duration=v.duration(left))
        gap = next_at - last_check
        if failures > 1 and gap > refresh + 0.5:
            # the real wait, in numbers: not "in 2 s" beside "waiting longer"; measured between the failed
            # checks when known (each waits for its answer, or for the portal's silence, on top of the delay)
            measured = gaps[-(failures - 1):]
            apart = v.duration(gap)
            if measured and max(measured) - min(measured) >= 1:
                apart = v._("{low} to {high}", low=v.duration(min(measured)), high=v.duration(max(measured)))
            elif measured:
                apart = v.duration(measured[-1])
            text = v.n_("{next} ({n} check failed, so checks are now {gap} apart instead of {usual})",
                        "{next} ({n} checks failed, so checks are now {gap} apart instead of {usual})", failures,
                        next=text, gap=apart, usual=v.duration(refresh))
        return [text]
