"""What a progress page says, in words: the hero sentence, the facts line, warnings and the level.

Pure: given a timeline, the clock and the viewer (their language and zone), it decides every word the
page shows about the operation's state. Pages only lay these out.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum

from lib import timewords
from lib.i18n import N_, Viewer
from lib.jobs import forecast
from lib.jobs.eta import DEFAULT_STALL_FLOOR, Estimate, estimate, stalled_for
from lib.jobs.forecast import Past
from lib.jobs.phases import Phase
from lib.jobs.recorded import RecordedOperation
from lib.jobs.timeline import Problem, Timeline
from lib.portal.errors import SLOW, Category
from lib.portal.models import Progress


class Level(StrEnum):
    """Health, told by words and an icon as well as a colour (its value is its English word)."""

    OK = N_("ok")
    IDLE = N_("idle")
    RUNNING = N_("running")
    WARNING = N_("warning")
    FAILED = N_("failed")
    UNREACHABLE = N_("unreachable")
    UNAUTHORIZED = N_("not authorized")
    RESTORING = N_("restoring")
    WAITING = N_("waiting")
    STOPPED = N_("backups stopped")  # the schedule the portal had is gone
    NOT_IN_PLAN = N_("not in the plan")  # the portal's plan has no backups (402)

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
    Level.RESTORING: "autorenew", Level.WAITING: "hourglass_top", Level.STOPPED: "event_busy",
    Level.NOT_IN_PLAN: "credit_card_off",
}
_COLORS = {
    Level.OK: "green", Level.IDLE: "gray", Level.RUNNING: "blue", Level.WARNING: "orange", Level.FAILED: "red",
    Level.UNREACHABLE: "red", Level.UNAUTHORIZED: "violet", Level.RESTORING: "blue", Level.WAITING: "gray",
    Level.STOPPED: "red", Level.NOT_IN_PLAN: "gray",
}


@dataclass(frozen=True)
class Number:
    """One tile in the row of numbers under the headline."""

    label: str
    value: str
    help: str | None = None
    ahead: bool = False  # about what is still to come (time left, done around): meaningless once it is old


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
    #: the row of numbers under the headline
    numbers: list[Number] = field(default_factory=list)
    #: the operation has ended (completed, failed or cancelled): live checking can stop
    done: bool = False
    #: with nothing running: how the last recorded one ended
    ended: str = ""
    #: what a box with the portal's own words is headed ("The portal says")
    portal_label: str = ""


def describe(timeline: Timeline, now: float, viewer: Viewer, *, stall_floor: float = DEFAULT_STALL_FLOOR,
             past: Past | None = None) -> Status:
    """Everything the hero area says about one operation; ``past``: what the recorded history adds."""
    status = _describe(timeline, now, viewer, stall_floor, past or Past(None, None))
    progress = timeline.last_progress
    if progress is not None and progress.reported_progress is not None and status.percent is not None:
        # clamped to 0..100, and said: the page shows what the portal sent
        said = viewer._("DocSpace reported {reported}; shown as {shown}.",
                        reported=viewer.percent(progress.reported_progress), shown=viewer.percent(status.percent))
        status = replace(status, notice=f"{said} {status.notice}".strip())
    if status.portal_text and not status.portal_label:
        status = replace(status, portal_label=viewer._("The portal's note") if status.level is Level.WARNING
                         else viewer._("The portal says"))
    return status


def _describe(timeline: Timeline, now: float, v: Viewer, stall_floor: float, past: Past) -> Status:
    noun = timeline.operation.noun
    problem = timeline.last_problem
    progress = timeline.last_progress
    if timeline.last_poll_at is None:
        return Status(Level.WAITING, v._("Checking the portal…"), title=v._("Checking…"))
    if problem is not None and problem.category is Category.RESTORING:
        # a normal, expected state: said once, calmly (the page adds the link to watch the restore)
        return Status(Level.RESTORING, v.k_(noun, "The portal is being restored; {noun}s are unavailable until it "
                                                  "finishes."), title=v._("Portal restoring"))
    if problem is not None and progress is None and problem.label == SLOW:
        # slow, not unreachable: the next check waits longer, and a loaded portal often answers then
        return Status(Level.WAITING, v._("Waiting for the portal to answer…"), [v.say(problem.message)],
                      title=v._("Checking…"))
    if problem is not None and (progress is None or problem.category is Category.AUTH):
        level = Level.UNAUTHORIZED if problem.category is Category.AUTH else Level.UNREACHABLE
        title = v._("Not authorized") if level is Level.UNAUTHORIZED else v._("Unreachable")
        return Status(level, _problem_headline(problem.category, noun, v), notice=v.say(problem.message),
                      title=title)
    if progress is None:
        return Status(Level.IDLE, v.k_(noun, "No {noun} is running."), title=v.k_(noun, "No {noun} running"),
                      ended=ended_words(past.last, noun, now, v))
    facts: list[str] = []
    seen = timeline.first_seen
    if seen is not None:
        runs = timeline.progress_points
        if runs and runs[0].percent in (0, None):
            facts.append(v._("started {time}", time=v.clock(seen, now)))
        else:
            facts.append(v._("first seen {time} at {percent}", time=v.clock(seen, now),
                             percent=v.percent(runs[0].percent or 0)))
    notice = "" if problem is None else _last_known(progress.progress, problem, timeline.last_ok_at or now, now, v)
    if not timeline.phase.running:
        return _ended(timeline, progress, facts, notice, now, v)
    return _running(timeline, progress, facts, notice, now, v, stall_floor, past.learned)


def _ended(timeline: Timeline, progress: Progress, facts: list[str], notice: str, now: float, v: Viewer) -> Status:
    """Failed, cancelled or completed (as the portal said it)."""
    noun, pct, phase = timeline.operation.noun, progress.progress, timeline.phase
    ended = _ended_numbers(timeline, now, v)
    stopped = Number(v._("Stopped at"), v.percent(pct))
    if phase is Phase.FAILED:
        return Status(Level.FAILED, v.k_(noun, "The {noun} failed at {percent}.", percent=v.percent(pct)), facts,
                      portal_text=progress.error, notice=notice, percent=pct, title=v.k_(noun, "Failed · {noun}"),
                      numbers=[stopped, *ended], done=True)
    if phase is Phase.CANCELLED:
        return Status(Level.WARNING, v.k_(noun, "The {noun} was cancelled."), facts,
                      portal_text=progress.warning, notice=notice, percent=pct, title=v.k_(noun, "Cancelled · {noun}"),
                      numbers=[stopped, *ended], done=True)
    if pct < 100:
        # what the portal said, not what we would expect: Details and the chart say the same
        odd = v.k_(noun, "A finished {noun} normally reads 100%; check in DocSpace that it really finished.")
        return Status(Level.WARNING, v.k_(noun, "DocSpace reports the {noun} complete at {percent}.",
                                          percent=v.percent(pct)), facts,
                      portal_text=progress.warning, notice=" ".join(filter(None, (odd, notice))), percent=pct,
                      title=v.k_(noun, "Complete at {percent} · {noun}", percent=v.percent(pct)),
                      numbers=[Number(v._("Done"), v.percent(pct)), *ended], done=True)
    level = Level.WARNING if progress.warning else Level.OK
    head = v.k_(noun, "The {noun} completed with a warning.") if progress.warning else \
        v.k_(noun, "The {noun} completed.")
    return Status(level, head, facts, portal_text=progress.warning, notice=notice, percent=100,
                  title=v.k_(noun, "Done · {noun}"), numbers=[Number(v._("Done"), v.percent(100)), *ended], done=True)


def _running(timeline: Timeline, progress: Progress, facts: list[str], notice: str, now: float, v: Viewer,
             stall_floor: float, learned: forecast.EarlierRuns | None) -> Status:
    noun, pct, phase, problem = timeline.operation.noun, progress.progress, timeline.phase, timeline.last_problem
    changed = timeline.last_change_at
    if changed is not None:
        facts.append(v._("last change {ago}", ago=timewords.ago(now - changed, v)))
    stalled = stalled_for(timeline, now, stall_floor)
    # a stalled job has no honest estimate, nor one read from an answer that is now old
    est = None if stalled is not None or problem is not None else estimate(timeline, now)
    done_by = None if problem is not None else forecast.done_by(timeline, now, learned, est)
    if done_by is not None and stalled is not None and not done_by.late:
        done_by = None  # no promise while it does not move; only "taking longer than…"
    eta_text = _eta_words(phase, est, done_by, now, v) if problem is None else ""
    before = forecast.before_start_words(learned, v) if phase in (Phase.QUEUED, Phase.PREPARING) else None
    if before:
        facts.append(before)  # before it has moved: how long the earlier ones took
    level = Level.RUNNING
    if progress.troubled and stalled is not None:
        # an error, and then nothing moved: most likely the end, though DocSpace has not said so
        return Status(Level.FAILED, v.k_(noun, "The {noun} seems to have failed at {percent}.",
                                         percent=v.percent(pct)), facts,
                      portal_text=progress.error,
                      notice=notice or v.k_(noun, "DocSpace reported an error and nothing has moved for {duration}, "
                                                  "though it has not said the {noun} ended. We keep checking in "
                                                  "case it goes on.", duration=v.duration(stalled)),
                      percent=pct, title=v.k_(noun, "Failed? · {noun}"),
                      numbers=[Number(v._("Stopped at"), v.percent(pct))])
    if progress.troubled and not notice:
        level = Level.WARNING
        notice = v.k_(noun, "DocSpace reports an error, but says the {noun} is still running, so we keep watching; "
                            "the outcome is known once DocSpace says it has ended.")
    elif stalled is not None and not notice:
        level = Level.WARNING
        notice = v.k_(noun, "No progress for {duration}. That is longer than this {noun} has needed between steps "
                            "so far; it may be stuck. Check the portal if this goes on.", duration=v.duration(stalled))
    headline, title = _running_headline(timeline, progress, v)
    if progress.warning or progress.troubled:
        level = Level.WARNING
    numbers = [Number(v._("Done"), v.percent(pct))]
    seen = timeline.first_seen
    if seen is not None:
        # only a start we saw (at 0%) tells how long it has run; otherwise, how long we have watched it
        whole = timeline.progress_points[0].percent in (0, None)
        numbers.append(Number(v._("Running for") if whole else v._("Watched for"), v.duration(now - seen)))
    if done_by is not None:
        numbers.append(Number(v._("Done around"), forecast.done_by_short(done_by, v, now), ahead=True))
    elif problem is not None:
        numbers.append(Number(v._("Time left"), v._("unknown"), ahead=True))
    elif phase.plateau:
        numbers.append(Number(v._("Time left"), v._("finishing"),
                              v._("DocSpace holds the percent still while it finishes; no estimate is possible."),
                              ahead=True))
    elif est is not None:
        numbers.append(Number(v._("Time left"), timewords.span_short(est.low, est.high, v), ahead=True))
    else:
        numbers.append(Number(v._("Time left"), "—", v._("An estimate appears once this phase has moved a few steps."),
                              ahead=True))
    return Status(level, headline, facts, portal_text=progress.error or progress.warning, notice=notice,
                  percent=pct, eta=eta_text, title=title, numbers=numbers)


def _eta_words(phase: Phase, est: Estimate | None, done_by: forecast.DoneBy | None, now: float, v: Viewer) -> str:
    """When it will be done: learned from earlier runs, else the time left in this phase."""
    if done_by is not None:
        words = forecast.done_by_words(done_by, v, now)
        return v._("finishing up · {done_by}", done_by=words) if phase.plateau else words
    if phase.plateau:
        return v._("finishing up")
    if est is None:
        return ""
    left, at = timewords.span(est.low, est.high, v), v.clock(now + timewords.round_remaining(est.mid), now)
    if est.end_percent < 100:
        return v._("{left} left (around {time}) to reach {percent}", left=left, time=at,
                   percent=v.percent(est.end_percent))
    return v._("{left} left (around {time})", left=left, time=at)


def _running_headline(timeline: Timeline, progress: Progress, v: Viewer) -> tuple[str, str]:
    """The hero sentence and the browser tab's title for a job that runs."""
    noun, pct, phase = timeline.operation.noun, v.percent(progress.progress), timeline.phase
    verb = v._(timeline.operation.verb)
    title = v._("{percent} · {verb}", percent=pct, verb=verb)
    if phase is Phase.QUEUED:
        headline = v.k_(noun, "A {noun} is queued and about to start.")
    elif phase is Phase.OTHER:
        headline = v._("An operation of a kind this app does not know ({code}) — {percent}",
                       code=progress.operation_code or "?", percent=pct)
        title = v._("{percent} · Unknown operation", percent=pct)
    else:
        headline = v._("{verb} — {percent} · {phase}", verb=verb, percent=pct, phase=v._(phase.value))
    if timeline.last_problem is not None:
        headline = v._("Last known: {headline}", headline=headline)
    return headline, title


def _last_known(pct: int, problem: Problem, last_ok: float, now: float, v: Viewer) -> str:
    """The last state we could read, with its age, and why the latest check did not give a new one."""
    at, said = v.clock(last_ok, now), v.say(problem.message)
    if problem.category in (Category.UNREADABLE, Category.MOVED):
        # it did answer: just not with something we can use
        return v._("{percent} as of {time} is the last state this app could read. {problem}", percent=v.percent(pct),
                   time=at, problem=said)
    return v._("{percent} as of {time}: the portal has not answered for {duration}. {problem}",
               percent=v.percent(pct), time=at, duration=v.duration(now - last_ok), problem=said)


def ended_words(op: RecordedOperation | None, noun: str, now: float, v: Viewer) -> str:
    """How the last recorded operation ended, in one sentence, for a page where nothing runs now."""
    if op is None:
        return v.k_(noun, "No {noun} has been recorded here yet.")
    at = timewords.when(op.ended or op.last_seen, v, now)
    pct = v.percent(op.last_percent)
    if op.outcome == "completed" and op.ended is not None and op.started is not None:
        return v.k_(noun, "The last {noun} completed {when}, after {duration}.", when=at,
                    duration=v.duration(op.ended - op.started))
    if op.outcome == "completed" and op.ended is not None:
        return v.k_(noun, "The last {noun} completed {when}, at least {duration} after it was first seen.", when=at,
                    duration=v.duration(op.ended - op.first_seen))
    if op.outcome == "completed":
        return v.k_(noun, "The last {noun} completed {when}.", when=at)
    if op.outcome == "failed" and op.portal_text:
        return v.k_(noun, "The last {noun} failed {when} at {percent}: “{text}”", when=at, percent=pct,
                    text=op.portal_text)
    if op.outcome == "failed":
        return v.k_(noun, "The last {noun} failed {when} at {percent}.", when=at, percent=pct)
    if op.outcome == "cancelled":
        return v.k_(noun, "The last {noun} was cancelled {when} at {percent}.", when=at, percent=pct)
    return v.k_(noun, "The last {noun} was last seen {when} at {percent}; how it ended is not known.", when=at,
                percent=pct)


def _ended_numbers(timeline: Timeline, now: float, v: Viewer) -> list[Number]:
    end, seen = timeline.finished_at, timeline.first_seen
    out: list[Number] = []
    if end is not None and seen is not None and end > seen:
        # we only know the whole duration when we saw it start
        whole = timeline.progress_points[0].percent in (0, None)
        out.append(Number(v._("Took") if whole else v._("Watched for"), v.duration(end - seen)))
    if end is not None:
        out.append(Number(v._("Finished at"), v.clock(end, now)))
    return out


def _problem_headline(category: Category, noun: str, v: Viewer) -> str:
    if category is Category.AUTH:
        return v.k_(noun, "Cannot read the {noun} status: the portal refused the API key.")
    if category is Category.MOVED:
        return v.k_(noun, "Cannot check the {noun}: the portal's address has changed.")
    if category is Category.UNREADABLE:
        return v.k_(noun, "The portal answered, but this app cannot read the {noun} status.")
    return v.k_(noun, "Cannot reach the portal to check the {noun}.")
