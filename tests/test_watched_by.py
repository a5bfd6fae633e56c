"""Which copy watches, in the words a progress page's Details use."""

from __future__ import annotations

import pytest

from lib.views.duty import watched_by
from lib.watching.health import Holder
from tests.factories import EN, T0


@pytest.mark.parametrize(("holder", "words"), [
    (Holder("app", "web-1", 42, T0 - 3600, mine=True, alive=True),
     "This copy of the app, on web-1 (process 42), since 07:00."),
    (Holder("app", "web-2", 7, T0 - 60, mine=False, alive=True),
     "Another copy of the app, on web-2 (process 7), since 07:59."),
    (Holder("headless", "watch-1", 9, T0 - 2 * 86_400, mine=False, alive=True),
     "The headless watcher, on watch-1 (process 9), since Jan 13, 08:00."),
    (Holder("headless", "watch-1", 9, T0, mine=False, alive=False),
     "Nobody right now: the last copy to watch, on watch-1 (process 9), has gone quiet."),
    (Holder("app", "web-1", 42, T0, mine=True, alive=True, alone=True),
     "This copy of the app, on its own while the history database cannot be reached."),
])
def test_each_case_is_one_sentence(holder: Holder, words: str) -> None:
    assert watched_by(holder, EN, T0) == ("Watched by", words)


def test_without_a_lease_nothing_is_said() -> None:
    assert watched_by(None, EN, T0) is None
