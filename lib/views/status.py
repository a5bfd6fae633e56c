"""What a progress page says, in words: the hero sentence, the facts line, warnings and the level.

Pure: given a timeline, the clock and the viewer's zone, it decides every word the page shows about
the operation's state. Pages only lay these out.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import tzinfo
from enum import StrEnum

from lib import timewords
from lib.jobs import forecast
from lib.jobs.eta import DEFAULT_STALL_FLOOR, Estimate, estimate, stalled_for
from lib.jobs.forecast import Past
from lib.jobs.phases import Phase
from lib.jobs.recorded import RecordedOperation
from lib.jobs.timeline import Problem, Timeline
from lib.portal.errors import SLOW, Category
from lib.portal.models import Progress


class Level(StrEnum):
    """Health, told by words and an icon as well as a colour."""

    OK = "ok"
    IDLE = "idle"
    RUNNING = "running"
    WARNING = "warning"
    FAILED = "failed"
    UNREACHABLE = "unreachable"
    UNAUTHORIZED = "not authorized"
    RESTORING = "restoring"
    WAITING = "waiting"

    @property
    def icon(self) -> str:
        """A Material icon name (Streamlit ships the font, so it renders on every machine)."""
        return f":material/{_ICONS[self]}:"

    @property
    def color(self) -> str:
        """A Streamlit badge colour; never the only sign, the icon and the word go with it."""
        return _COLORS[self]


_ICONS = {
    Level.OK: "check_circle", Level.IDLE: "bedtime", Level.RUNNING: "autorenew", Level.WARNING: "warning",
    Level.FAILED: "cancel", Level.UNREACHABLE: "cloud_off", Level.UNAUTHORIZED: "lock",
    Level.RESTORING: "autorenew", Level.WAITING: "hourglass_top",
}
_COLORS = {
    Level.OK: "green", Level.IDLE: "gray", Level.RUNNING: "blue", Level.WARNING: "orange", Level.FAILED: "red",
    Level.UNREACHABLE: "red", Level.UNAUTHORIZED: "violet", Level.RESTORING: "blue", Level.WAITING: "gray",
}


@dataclass(frozen=True)
class Status:
    level: Level
    headline: str
    facts: list[str] = field(default_factory=list)
    #: the portal's own error or warning text: shown as plain text, never as markup
    portal_text: str = ""
    #: a problem with reaching the portal, or a stall: one sentence with what to do
    notice: str = ""
    percent: int | None = None
    eta: str = ""
    title: str = ""  # for the browser tab
    #: (label, value) pairs for the row of numbers under the headline
    numbers: list[tuple[str, str]] = field(default_factory=list)
    #: the operation has ended (completed, failed or cancelled): live checking can stop
    done: bool = False
    #: with nothing running: how the last recorded one ended
    ended: str = ""


def describe(timeline: Timeline, now: float, tz: tzinfo, *, stall_floor: float = DEFAULT_STALL_FLOOR,
             past: Past | None = None) -> Status:
    """Everything the hero area says about one operation; ``past``: what the recorded history adds."""
    status = _describe(timeline, now, tz, stall_floor, past or Past(None, None))
    progress = timeline.last_progress
    if progress is not None and progress.reported_progress is not None and status.percent is not None:
        # clamped to 0..100, and said: the page shows what the portal sent
        said = f"DocSpace reported {progress.reported_progress}%; shown as {status.percent}%."
        status = replace(status, notice=f"{said} {status.notice}".strip())
    return status


def _describe(timeline: Timeline, now: float, tz: tzinfo, stall_floor: float, past: Past) -> Status:
    noun = timeline.operation.noun
    problem = timeline.last_problem
    progress = timeline.last_progress
    if timeline.last_poll_at is None:
        return Status(Level.WAITING, "Checking the portal…", title="Checking…")
    if problem is not None and problem.category is Category.RESTORING:
        # a normal, expected state: said once, calmly (the page adds the link to watch the restore)
        return Status(Level.RESTORING, f"The portal is being restored; {noun}s are unavailable until it finishes.",
                      title="Portal restoring")
    if problem is not None and progress is None and problem.label == SLOW:
        # slow, not unreachable: the next check waits longer, and a loaded portal often answers then
        return Status(Level.WAITING, "Waiting for the portal to answer…", [problem.message], title="Checking…")
    if problem is not None and (progress is None or problem.category is Category.AUTH):
        level = Level.UNAUTHORIZED if problem.category is Category.AUTH else Level.UNREACHABLE
        return Status(level, _problem_headline(problem.category, noun), notice=problem.message,
                      title=level.value.capitalize())
    if progress is None:
        return Status(Level.IDLE, f"No {noun} is running.", title=f"No {noun} running",
                      ended=ended_words(past.last, noun, now, tz))
    facts: list[str] = []
    seen = timeline.first_seen
    if seen is not None:
        runs = timeline.progress_points
        if runs and runs[0].percent in (0, None):
            facts.append(f"started {timewords.clock(seen, tz, now)}")
        else:
            facts.append(f"first seen {timewords.clock(seen, tz, now)} at {runs[0].percent}%")
    notice = "" if problem is None else _last_known(progress.progress, problem, timeline.last_ok_at or now, now, tz)
    if not timeline.phase.running:
        return _ended(timeline, progress, facts, notice, now, tz)
    return _running(timeline, progress, facts, notice, now, tz, stall_floor, past.learned)


def _ended(timeline: Timeline, progress: Progress, facts: list[str], notice: str, now: float,
           tz: tzinfo) -> Status:
    """Failed, cancelled or completed (as the portal said it)."""
    noun, pct, phase = timeline.operation.noun, progress.progress, timeline.phase
    ended = _ended_numbers(timeline, now, tz)
    if phase is Phase.FAILED:
        return Status(Level.FAILED, f"The {noun} failed at {pct}%.", facts,
                      portal_text=progress.error, notice=notice, percent=pct, title=f"Failed · {noun}",
                      numbers=[("Stopped at", f"{pct}%"), *ended], done=True)
    if phase is Phase.CANCELLED:
        return Status(Level.WARNING, f"The {noun} was cancelled.", facts,
                      portal_text=progress.warning, notice=notice, percent=pct, title=f"Cancelled · {noun}",
                      numbers=[("Stopped at", f"{pct}%"), *ended], done=True)
    if pct < 100:
        # what the portal said, not what we would expect: Details and the chart say the same
        odd = f"A finished {noun} normally reads 100%; check in DocSpace that it really finished."
        return Status(Level.WARNING, f"DocSpace reports the {noun} complete at {pct}%.", facts,
                      portal_text=progress.warning, notice=" ".join(filter(None, (odd, notice))), percent=pct,
                      title=f"Complete at {pct}% · {noun}", numbers=[("Done", f"{pct}%"), *ended], done=True)
    level = Level.WARNING if progress.warning else Level.OK
    head = f"The {noun} completed" + (" with a warning." if progress.warning else ".")
    return Status(level, head, facts, portal_text=progress.warning,
                  notice=notice, percent=100, title=f"Done · {noun}", numbers=[("Done", "100%"), *ended],
                  done=True)


def _running(timeline: Timeline, progress: Progress, facts: list[str], notice: str, now: float, tz: tzinfo,
             stall_floor: float, learned: forecast.EarlierRuns | None) -> Status:
    noun, pct, phase, problem = timeline.operation.noun, progress.progress, timeline.phase, timeline.last_problem
    changed = timeline.last_change_at
    if changed is not None:
        facts.append(f"last change {timewords.ago(now - changed)}")
    stalled = stalled_for(timeline, now, stall_floor)
    # a stalled job has no honest estimate, nor one read from an answer that is now old
    est = None if stalled is not None or problem is not None else estimate(timeline, now)
    done_by = None if problem is not None else forecast.done_by(timeline, now, learned, est)
    if done_by is not None and stalled is not None and not done_by.late:
        done_by = None  # no promise while it does not move; only "taking longer than…"
    eta_text = _eta_words(phase, est, done_by, now, tz) if problem is None else ""
    before = forecast.before_start_words(learned) if phase in (Phase.QUEUED, Phase.PREPARING) else None
    if before:
        facts.append(before)  # before it has moved: how long the earlier ones took
    level = Level.RUNNING
    if progress.troubled and stalled is not None:
        # an error, and then nothing moved: most likely the end, though DocSpace has not said so
        return Status(Level.FAILED, f"The {noun} seems to have failed at {pct}%.", facts,
                      portal_text=progress.error,
                      notice=notice or (f"DocSpace reported an error and nothing has moved for "
                                        f"{timewords.duration(stalled)}, though it has not said the {noun} "
                                        "ended. We keep checking in case it goes on."),
                      percent=pct, title=f"Failed? · {noun}", numbers=[("Stopped at", f"{pct}%")])
    if progress.troubled and not notice:
        level = Level.WARNING
        notice = (f"DocSpace reports an error, but says the {noun} is still running, so we keep watching; "
                  "the outcome is known once DocSpace says it has ended.")
    elif stalled is not None and not notice:
        level = Level.WARNING
        notice = (f"No progress for {timewords.duration(stalled)}. That is longer than this {noun} has needed "
                  f"between steps so far; it may be stuck. Check the portal if this goes on.")
    headline, title = _running_headline(timeline, progress)
    if progress.warning or progress.troubled:
        level = Level.WARNING
    numbers = [("Done", f"{pct}%")]
    seen = timeline.first_seen
    if seen is not None:
        # only a start we saw (at 0%) tells how long it has run; otherwise, how long we have watched it
        whole = timeline.progress_points[0].percent in (0, None)
        numbers.append(("Running for" if whole else "Watched for", timewords.duration(now - seen)))
    if done_by is not None:
        numbers.append(("Done around", forecast.done_by_short(done_by, tz, now)))
    else:
        numbers.append(("Time left", "unknown" if problem is not None else "finishing" if phase.plateau else
                        timewords.span_short(est.low, est.high) if est is not None else "—"))
    return Status(level, headline, facts, portal_text=progress.error or progress.warning, notice=notice,
                  percent=pct, eta=eta_text, title=title, numbers=numbers)


def _eta_words(phase: Phase, est: Estimate | None, done_by: forecast.DoneBy | None, now: float, tz: tzinfo) -> str:
    """When it will be done: learned from earlier runs, else the time left in this phase."""
    if done_by is not None:
        return ("finishing up · " if phase.plateau else "") + forecast.done_by_words(done_by, tz, now)
    if phase.plateau:
        return "finishing up"
    if est is None:
        return ""
    words = (f"{timewords.span(est.low, est.high)} left"
             f" (around {timewords.clock(now + timewords.round_remaining(est.mid), tz, now)})")
    return words + (f" to reach {est.end_percent}%" if est.end_percent < 100 else "")


def _running_headline(timeline: Timeline, progress: Progress) -> tuple[str, str]:
    """The hero sentence and the browser tab's title for a job that runs."""
    noun, pct, phase = timeline.operation.noun, progress.progress, timeline.phase
    title = f"{pct}% · {timeline.operation.verb}"
    if phase is Phase.QUEUED:
        headline = f"A {noun} is queued and about to start."
    elif phase is Phase.OTHER:
        headline = f"An operation of a kind this app does not know ({progress.operation_code or '?'}) — {pct}%"
        title = f"{pct}% · Unknown operation"
    else:
        headline = f"{timeline.operation.verb} — {pct}% · {phase.value}"
    if timeline.last_problem is not None:
        headline = f"Last known: {headline}"
    return headline, title


def _last_known(pct: int, problem: Problem, last_ok: float, now: float, tz: tzinfo) -> str:
    """The last state we could read, with its age, and why the latest check did not give a new one."""
    at = timewords.clock(last_ok, tz, now)
    if problem.category in (Category.UNREADABLE, Category.MOVED):
        # it did answer: just not with something we can use
        return f"{pct}% as of {at} is the last state this app could read. {problem.message}"
    return f"{pct}% as of {at}: the portal has not answered for {timewords.duration(now - last_ok)}. {problem.message}"


def ended_words(op: RecordedOperation | None, noun: str, now: float, tz: tzinfo) -> str:
    """How the last recorded operation ended, in one sentence, for a page where nothing runs now."""
    if op is None:
        return f"No {noun} has been recorded here yet."
    at = timewords.when(op.ended or op.last_seen, tz, now)
    took = ""
    if op.ended is not None and op.started is not None:
        took = f", after {timewords.duration(op.ended - op.started)}"
    elif op.ended is not None:
        took = f", at least {timewords.duration(op.ended - op.first_seen)} after it was first seen"
    if op.outcome == "completed":
        return f"The last {noun} completed {at}{took}."
    if op.outcome == "failed":
        said = f": “{op.portal_text}”" if op.portal_text else ""
        return f"The last {noun} failed {at} at {op.last_percent}%{said}"
    if op.outcome == "cancelled":
        return f"The last {noun} was cancelled {at} at {op.last_percent}%."
    return f"The last {noun} was last seen {at} at {op.last_percent}%; how it ended is not known."


def _ended_numbers(timeline: Timeline, now: float, tz: tzinfo) -> list[tuple[str, str]]:
    end, seen = timeline.finished_at, timeline.first_seen
    out: list[tuple[str, str]] = []
    if end is not None and seen is not None and end > seen:
        # we only know the whole duration when we saw it start
        whole = timeline.progress_points[0].percent in (0, None)
        out.append(("Took" if whole else "Watched for", timewords.duration(end - seen)))
    if end is not None:
        out.append(("Finished at", timewords.clock(end, tz, now)))
    return out


def _problem_headline(category: Category, noun: str) -> str:
    if category is Category.AUTH:
        return f"Cannot read the {noun} status: the portal refused the API key."
    if category is Category.MOVED:
        return f"Cannot check the {noun}: the portal's address has changed."
    if category is Category.UNREADABLE:
        return f"The portal answered, but this app cannot read the {noun} status."
    return f"Cannot reach the portal to check the {noun}."
