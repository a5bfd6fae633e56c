"""Which endpoint is due next: a heap of due times, so a turn of the watcher's loop looks only at what is due.

With a thousand portals, walking every endpoint twenty times a second to find the few that are due was
most of the watcher's CPU. Here an endpoint is put in with the time it is next due (when it is created,
after each fetch, when a viewer starts looking or asks to check now); putting it in again replaces the
earlier time (the old entry is skipped when it comes up).
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Hashable


class DueQueue:
    def __init__(self) -> None:
        self._heap: list[tuple[float, int, Hashable]] = []
        self._order = itertools.count()
        self._when: dict[Hashable, float] = {}  # the time each key is due (its newest entry)

    def put(self, key: Hashable, when: float) -> None:
        self._when[key] = when
        heapq.heappush(self._heap, (when, next(self._order), key))

    def pop_due(self, now: float) -> list[Hashable]:
        """The keys due by ``now``, soonest first; they leave the queue until put in again."""
        due = []
        while self._heap and self._heap[0][0] <= now:
            when, _, key = heapq.heappop(self._heap)
            if self._when.get(key) == when:
                del self._when[key]
                due.append(key)
        return due

    def next_at(self) -> float | None:
        """When the next key is due (None when none is waiting)."""
        while self._heap and self._when.get(self._heap[0][2]) != self._heap[0][0]:
            heapq.heappop(self._heap)  # an entry replaced by a later put
        return self._heap[0][0] if self._heap else None

    def __len__(self) -> int:
        return len(self._when)
