"""The footer's wait after failed checks is the real one: measured between the checks as they came (a portal
that hangs makes each check wait for its silence on top of the delay), not the delay alone."""

from __future__ import annotations

from lib.jobs.timeline import Timeline
from lib.portal.errors import PortalUnreachable
from lib.portal.models import Operation
from lib.views.rhythm import Rhythm
from tests.factories import EN, T0, progress


def test_the_wait_said_is_the_wait_measured() -> None:
    t = Timeline(Operation.RESTORE)
    t.record(T0, progress(40))
    for at in (T0 + 12, T0 + 22, T0 + 49):  # 12, 10 and 27 s apart: each check waited for a silent portal
        t.record(at, PortalUnreachable("timed out"))
    assert t.gaps == (12.0, 10.0, 27.0)
    said = Rhythm().footer(t.last_poll_at, T0 + 57, t.failures, T0 + 50, EN, 2, False, t.gaps)
    assert said == ("Last checked 08:00:49 · next check in 7 sec (3 checks failed, so checks are now 10 sec to 27 sec "
                    "apart instead of 2 sec) · times in UTC")
    assert "8 sec apart" not in said


def test_checks_as_far_apart_as_planned_say_that_one_number() -> None:
    t = Timeline(Operation.RESTORE)
    t.record(T0, progress(40))
    for at in (T0 + 4, T0 + 12):
        t.record(at, PortalUnreachable("refused"))
    said = Rhythm().footer(t.last_poll_at, T0 + 20, t.failures, T0 + 13, EN, 2, False, t.gaps)
    assert "(2 checks failed, so checks are now 8 sec apart instead of 2 sec)" in said
