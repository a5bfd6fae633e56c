"""Faults a client must survive: their names, the queue that hands them out, and their canned answers.

Each request takes at most one fault: the first queued one whose path matches, else the periodic
``--fault`` every Nth request. The queue also counts requests, since the period depends on the count.
"""

from __future__ import annotations

import json
import threading
from typing import Any

from simulator.engine import check
from simulator.wire import JSON, Reply, envelope_body, json_reply

FAULTS = ("401", "403-restoring", "404", "429", "502", "503", "504", "slow", "drop", "stall-body",
          "malformed", "wrong-shape", "odd", "redirect", "html-200", "trickle", "latin1", "https-redirect",
          "complete-early", "over-100", "unknown-kind", "error-running")
#: accepted by ``inject`` and ``--fault`` too, beyond the public FAULTS tuple
EXTRA_FAULTS = ("402",)
FAULT_HELP = {
    "401": "401 with an empty body (key rejected)",
    "403-restoring": "403 with an empty body, as while a restore holds the portal",
    "404": "a transient 404 with an empty body (tenant not resolvable during a restore)",
    "429": "429 with an empty body, Retry-After and X-RateLimit-* headers",
    "502": "nginx HTML 502 page", "503": "nginx HTML 503 page with Retry-After", "504": "nginx HTML 504 page",
    "slow": "answer normally, but only after --slow-seconds",
    "drop": "close the connection without any answer",
    "stall-body": "send the headers and half the body, then stall --slow-seconds and close",
    "malformed": "200 with broken JSON",
    "wrong-shape": "200 with JSON of the wrong shape (a list or a bare string)",
    "odd": "200 with a legal-but-odd payload: enum names, float progress, extra keys, no status/taskId",
    "redirect": "302 to https://elsewhere.example/...",
    "html-200": "200 with an HTML login page",
    "trickle": "the normal answer, its body one byte every --trickle-interval seconds",
    "latin1": "200 with a failed restore whose JSON is Latin-1 ('é'), though Content-Type says utf-8",
    "https-redirect": "301 to https:// on the same host and port (the portal moved to https)",
    "complete-early": "the real progress answer, but isCompleted true (status 2) at its percent, with no error",
    "over-100": "the real progress answer, but with progress 140",
    "unknown-kind": "the real progress answer, but backupProgressEnum 7 (a kind no client knows)",
    "error-running": "the real progress answer, with an error text while isCompleted stays false",
    "402": "402 payment required with an empty body (PaymentFilter)",
}
#: what the ``latin1`` fault's failed restore says: French, as a portal in that culture would
LATIN1_TEXT = "Le fichier de sauvegarde n'est pas valide (é)"
#: what the ``error-running`` fault's job says while it goes on
RUNNING_ERROR = "Could not read one file; retrying it."
#: faults that twist the values of the real progress answer (nothing else changes)
TWISTS = ("complete-early", "over-100", "unknown-kind", "error-running")
#: faults that change how the real answer is delivered; every other fault replaces the answer
DELIVERY = ("slow", "drop", "stall-body", "trickle", "odd", *TWISTS)

_NGINX = ("<html>\r\n<head><title>{code} {text}</title></head>\r\n<body>\r\n<center><h1>{code} {text}</h1>"
          "</center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n")
_NGINX_TEXT = {"301": "Moved Permanently", "502": "Bad Gateway", "503": "Service Temporarily Unavailable",
               "504": "Gateway Time-out"}
_LOGIN_PAGE = (b"<!DOCTYPE html><html lang=\"en\"><head><title>ONLYOFFICE DocSpace</title></head><body>"
               b"<form action=\"/login\" method=\"post\"><input name=\"email\"><input name=\"password\" "
               b"type=\"password\"><button>Sign in</button></form></body></html>")


class FaultQueue:
    """Faults waiting for requests, and the request counts (control calls are never counted)."""

    def __init__(self, fault: str | None = None, every: int = 0):
        """``fault`` every ``every``-th request (0: never), besides whatever is injected."""
        if fault is not None:
            check(fault, FAULTS + EXTRA_FAULTS, "fault")
        self.fault = fault
        self.every = every
        self._lock = threading.Lock()
        self._queued: list[tuple[str, str | None]] = []
        self._counts: dict[str, int] = {}
        self._served = 0

    def inject(self, fault: str, count: int = 1, path: str | None = None) -> None:
        """The next ``count`` requests whose path contains ``path`` (any if None) get ``fault``."""
        check(fault, FAULTS + EXTRA_FAULTS, "fault")
        with self._lock:
            self._queued.extend([(fault, path.lower() if path else None)] * count)

    def clear(self) -> None:
        """Drop every queued fault (the periodic ``fault`` stays)."""
        with self._lock:
            self._queued.clear()

    def take(self, path: str) -> str | None:
        """Count a request to ``path`` and hand it its fault, if any."""
        with self._lock:
            self._served += 1
            self._counts[path] = self._counts.get(path, 0) + 1
            for i, (fault, where) in enumerate(self._queued):
                if where is None or where in path:
                    del self._queued[i]
                    return fault
            if self.fault and self.every > 0 and self._served % self.every == 0:
                return self.fault
        return None

    def requests(self, path_contains: str = "") -> int:
        needle = path_contains.lower()
        with self._lock:
            return sum(n for path, n in self._counts.items() if needle in path)

    def reset_counts(self) -> None:
        with self._lock:
            self._counts.clear()


def nginx_page(code: str) -> bytes:
    """The HTML page nginx writes for its own errors and redirects."""
    return _NGINX.format(code=code, text=_NGINX_TEXT[code]).encode()


def latin1_reply(task_id: str, href: str) -> Reply:
    """A failed restore in Latin-1 under a utf-8 label: 'é' is one byte 0xE9, invalid UTF-8."""
    progress = {"isCompleted": True, "progress": 42, "error": LATIN1_TEXT, "tenantId": 1,
                "backupProgressEnum": 1, "status": 2, "taskId": task_id}
    body = envelope_body(progress, href=href, method="GET")
    return Reply(200, json.dumps(body, ensure_ascii=False).encode("latin-1"), JSON)


def twist(progress: dict[str, Any], fault: str | None) -> dict[str, Any]:
    """A progress answer with one odd value, as a portal might send it (the ``TWISTS`` faults)."""
    if fault == "complete-early":
        return {**progress, "isCompleted": True, "status": 2}
    if fault == "over-100":
        return {**progress, "progress": 140}
    if fault == "unknown-kind":
        return {**progress, "backupProgressEnum": 7}
    if fault == "error-running":
        return {**progress, "error": RUNNING_ERROR}
    return progress


def fault_reply(fault: str, *, path: str, host: str, now: float, retry_after: int, task_id: str) -> Reply:
    """The answer of a fault that replaces the real one. ``path`` is the request's, query included."""
    retry = {"Retry-After": str(retry_after)}
    if fault in ("401", "402", "403-restoring", "404"):
        return Reply(int(fault[:3]))
    if fault == "429":
        limits = {"X-RateLimit-Limit": "1500", "X-RateLimit-Remaining": "0",
                  "X-RateLimit-Reset": str(int(now) + retry_after)}
        return Reply(429, headers={**retry, **limits})
    if fault in ("502", "503", "504"):
        return Reply(int(fault), nginx_page(fault), "text/html", retry if fault == "503" else None)
    if fault == "malformed":
        return Reply(200, b'{"response": {"isCompleted": false, "progress": 4', JSON)
    if fault == "wrong-shape":
        if "history" in path.lower():
            return json_reply(200, "just a string")
        return json_reply(200, {"response": [1, 2, 3], "status": 0})
    if fault == "redirect":
        return Reply(302, headers={"Location": f"https://elsewhere.example{path}"})
    if fault == "https-redirect":
        return Reply(301, nginx_page("301"), "text/html", {"Location": f"https://{host}{path}"})
    if fault == "latin1":
        return latin1_reply(task_id, f"http://{host}{path}")
    return Reply(200, _LOGIN_PAGE, "text/html; charset=utf-8")  # html-200
