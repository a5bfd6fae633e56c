"""Is the watching alive? What ``GET /healthz`` answers, decided from plain values (no HTTP, no threads).

200 while some copy holds the watch and portals answer; 503, with the reason, when no copy does, or
when no portal has answered for :data:`MISSED` of its check intervals (the watching is stuck, or every
portal is unreachable: either way nothing is being watched). Uptime monitors and systemd or Kubernetes
probes read it. It names portals and hosts only when the app is open to anyone who can reach it
(``names``); with a passcode or sign-in it gives counts, since the route bypasses those gates.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

#: a portal with no answer for this many of its check intervals counts as not being checked
MISSED = 3


@dataclass(frozen=True)
class Check:
    """One portal, as the watching copy sees it."""

    last: float | None  # its last answer (the watching copy's clock); None before the first
    every: float  # seconds between checks right now


@dataclass(frozen=True)
class Holder:
    """Who holds the watch, as this copy knows it."""

    role: str  # "app" or "headless"
    host: str
    pid: int
    since: float  # when it took the watch (its own clock)
    mine: bool  # this process
    alive: bool  # still renewing (or, for this process, watching)
    alone: bool = False  # this process watches without the lease: the database cannot be reached


@dataclass(frozen=True)
class Unwatched:
    """Nobody watches: the copy that wrote the history stopped (or none ever has), as a copy that only
    reads the database can tell."""

    since: float | None  # the holder's last renewal (its clock); None: nothing has ever held the watch


def answer(holder: Holder | None, checks: dict[str, Check], now: float, started: float, *, names: bool,
           problem: str = "") -> tuple[int, dict[str, Any]]:
    """The status code and the JSON body. ``now`` and ``started`` (when the watch began) are on the
    watching copy's clock, like the checks' times."""
    stale = {name for name, c in checks.items() if now - (started if c.last is None else c.last) > MISSED * c.every}
    reason = problem or _reason(holder, checks, stale, now, started)
    body: dict[str, Any] = {"status": "failing" if reason else "ok", "watching": not reason}
    if reason:
        body["reason"] = reason
    if holder is not None:
        body["holder"] = {"this_process": holder.mine, "role": holder.role, "alive": holder.alive,
                          "since": _iso(holder.since)}
        if holder.alone:
            body["holder"]["without_lease"] = True
        if names:
            body["holder"] |= {"host": holder.host, "pid": holder.pid}
    body["portals"] = _portals(checks, stale, now) if names else {
        "count": len(checks), "answering": len(checks) - len(stale), "stale": len(stale)}
    return (503 if reason else 200), body


def _reason(holder: Holder | None, checks: dict[str, Check], stale: set[str], now: float, started: float) -> str:
    if holder is None or not holder.alive:
        return "no copy of the app or of the headless watcher holds the watch"
    if checks and len(stale) == len(checks):
        answered = [c.last for c in checks.values() if c.last is not None]
        if not answered:
            return f"no portal has answered since the watch began {now - started:.0f} s ago"
        return (f"no portal has answered for {MISSED} check intervals "
                f"(the last answer came {now - max(answered):.0f} s ago)")
    return ""


def _portals(checks: dict[str, Check], stale: set[str], now: float) -> dict[str, Any]:
    return {name: {"last_check": None if c.last is None else _iso(c.last),
                   "seconds_ago": None if c.last is None else round(now - c.last, 1),
                   "every_seconds": c.every, "stale": name in stale} for name, c in sorted(checks.items())}


def _iso(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def checks_json(checks: dict[str, Check], now: float, started: float) -> dict[str, Any]:
    """What the watching copy publishes in the lease row, for the other copies' /healthz."""
    return {"now": now, "started": started, "portals": {n: [c.last, c.every] for n, c in checks.items()}}


def checks_from(published: dict[str, Any]) -> tuple[dict[str, Check], float, float] | None:
    """The checks, the time they were published and when the watch began; None when nothing was published."""
    try:
        portals = {str(n): Check(v[0], float(v[1])) for n, v in published["portals"].items()}
        return portals, float(published["now"]), float(published["started"])
    except (KeyError, TypeError, ValueError, IndexError, AttributeError):
        return None
