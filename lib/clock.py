"""The app's notion of "now". Tests swap in a manual clock shared with the simulator."""

from __future__ import annotations

import time
from collections.abc import Callable

_now: Callable[[], float] = time.time


def now() -> float:
    return _now()


def use(clock: Callable[[], float] | None) -> None:
    """Use ``clock`` from now on (``None`` restores the real one)."""
    global _now
    _now = clock or time.time
