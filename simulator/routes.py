"""The portal's routes as a table: a route is a function of the portal and the parsed request that
returns a ``Reply``, so the table reads as the API it fakes (reference §1); and the test control calls
under ``/_sim/``. What a route uses of the portal is the ``Simulator`` protocol below.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from email.message import Message
from typing import Any, Protocol

from simulator import trail, wire
from simulator.auth import Auth
from simulator.engine import Engine
from simulator.faults import FaultQueue, twist
from simulator.wire import Reply, json_reply


class Simulator(Protocol):
    """What the routes and the handler use of a portal (``simulator.portal.Simulator`` is the one there is).

    Said here, so the HTTP side stands on the portal's parts without importing the facade that owns it."""

    engine: Engine
    auth: Auth
    faults: FaultQueue
    clock: Callable[[], float]
    latency: float
    slow_seconds: float
    retry_after: int
    trickle_interval: float

    @property
    def scenario(self) -> str: ...
    @property
    def task_id(self) -> str: ...
    def set_scenario(self, name: str) -> None: ...
    def remove_schedule(self) -> bool: ...
    def set_schedule(self) -> None: ...
    def inject(self, fault: str, count: int = 1, path: str | None = None) -> None: ...
    def requests(self, path_contains: str = "") -> int: ...
    def reset_counts(self) -> None: ...
    def sleep(self, seconds: float) -> bool: ...

_BACKUP_PREFIXES = ("/api/2.0/backup", "/api/2.0/portal")
_BACKUP_ACTIONS = ("getrestoreprogress", "getbackupprogress", "getbackuphistory", "getbackupschedule",
                   "startbackup", "startrestore", "cancelbackup", "deletebackupschedule", "getbackupscount",
                   "getservicestate")
#: full paths of the other endpoints, with and without the ``.json`` suffix the server also accepts
_NAMED = {f"/api/2.0/{name}{suffix}": name for name in ("settings", "authentication", "people/@self",
                                                        "security/audit/events/filter", "security/audit/events/last")
          for suffix in ("", ".json")}


@dataclass(frozen=True)
class Request:
    """What a route needs from a request, parsed once."""

    method: str
    path: str  # lower case, without the query and a trailing slash
    target: str  # the path and query as sent, for links
    query: dict[str, str]  # names lower-cased; the last value wins
    body: bytes
    host: str  # the Host header, or the server's own address
    headers: Message
    odd: bool = False  # the ``odd`` fault: answer with legal-but-odd payloads
    twist: str | None = None  # a ``TWISTS`` fault: one odd value in the progress answer

    def ok(self, response: Any, *, odd: bool = False) -> Reply:
        """The success envelope, its link pointing back at this request."""
        return wire.envelope(response, href=f"http://{self.host}{self.target}", method=self.method, odd=odd)


Route = Callable[[Simulator, Request], Reply]


# ---------------------------------------------------------------- gates


def _gate(sim: Simulator, req: Request, *, passthrough: bool, admin: bool = False,
          paid: bool = False) -> Reply | None:
    """Authentication (401, empty), the tenant filter (403, empty), the payment filter (402, empty, on
    actions without [AllowNotPayment] when the portal is not paid for), then the permission."""
    authorization = req.headers.get("Authorization")
    who = sim.auth.who(authorization, req.headers.get("Cookie"))
    if who is None:
        basic = (authorization or "").strip().lower().startswith("basic")
        return Reply(401, headers={"WWW-Authenticate": "Basic"} if basic else None)
    if not passthrough and sim.engine.tenant_status() == 4:
        return Reply(403)
    if paid and not sim.engine.options.paid:
        return Reply(402)
    if admin and who != "admin":
        return wire.error(403, "Access denied", "System.Security.SecurityException")
    return None


def _admin(route: Route) -> Route:
    """An action for admins only, refused while the tenant is being restored; [AllowNotPayment]."""
    def gated(sim: Simulator, req: Request) -> Reply:
        return _gate(sim, req, passthrough=False, admin=True) or route(sim, req)
    return gated


def _paid(route: Route) -> Route:
    """An action for admins of a portal that is paid for (no [AllowNotPayment]: 402 otherwise)."""
    def gated(sim: Simulator, req: Request) -> Reply:
        return _gate(sim, req, passthrough=False, admin=True, paid=True) or route(sim, req)
    return gated


# ---------------------------------------------------------------- routes


def _settings(sim: Simulator, req: Request) -> Reply:
    settings = sim.engine.settings()
    return req.ok(wire.odd_settings(settings) if req.odd else settings, odd=req.odd)


def _login(sim: Simulator, req: Request) -> Reply:
    if sim.engine.tenant_status() == 4:
        return Reply(403)  # not in the tenant filter's pass-through list
    return sim.auth.log_in(req.body, now=sim.clock(), host=req.headers.get("Host", ""),
                           href=f"http://{req.host}{req.target}")


def _self(sim: Simulator, req: Request) -> Reply:
    """Who the credentials belong to (passes the tenant filter, so it works during a restore)."""
    who = sim.auth.who(req.headers.get("Authorization"), req.headers.get("Cookie"))
    return _gate(sim, req, passthrough=True) or req.ok(sim.auth.profile(who))


def _restore_progress(sim: Simulator, req: Request) -> Reply:
    """Anonymous and pass-through: no 401, no 403, so a client can watch the whole restore."""
    return _progress(sim.engine.restore_progress(), req)


@_admin
def _backup_progress(sim: Simulator, req: Request) -> Reply:
    return _progress(sim.engine.backup_progress(), req)


def _progress(progress: dict | None, req: Request) -> Reply:
    """A BackupProgress answer, with the odd-but-legal variant or a twist when a fault asks for one."""
    if req.odd and progress is not None:
        progress = wire.odd_progress(progress)
    if progress is not None:
        progress = twist(progress, req.twist)
    return wire.bad_dump(req.query) or req.ok(progress, odd=req.odd)


@_paid
def _history(sim: Simulator, req: Request) -> Reply:
    history = sim.engine.history()
    if req.odd:
        history = [wire.odd_record(r) for r in history]
    return wire.bad_dump(req.query) or req.ok(history, odd=req.odd)


@_paid
def _schedule(sim: Simulator, req: Request) -> Reply:
    schedule = sim.engine.schedule()
    if req.odd and schedule is not None:
        schedule = wire.odd_schedule(schedule)
    return wire.bad_dump(req.query) or req.ok(schedule, odd=req.odd)


@_paid
def _delete_schedule(sim: Simulator, req: Request) -> Reply:
    """An admin deletes the schedule: "Scheduled backup deleted" in the audit trail; true even with none."""
    sim.engine.remove_schedule(by_admin=True)
    return wire.bad_dump(req.query) or req.ok(True)


@_admin
def _backups_count(sim: Simulator, req: Request) -> Reply:
    return req.ok(sim.engine.backups_count())


@_admin
def _service_state(sim: Simulator, req: Request) -> Reply:
    """Whether the paid backup service is on in the portal's wallet (this demo portal has none)."""
    return req.ok({"enabled": False})


@_paid
def _audit_filter(sim: Simulator, req: Request) -> Reply:
    found = trail.query(sim.engine.audit(), req.query, now=sim.clock(), audit=sim.engine.options.audit)
    return found if isinstance(found, Reply) else req.ok(found)


@_paid
def _audit_last(sim: Simulator, req: Request) -> Reply:
    return req.ok(trail.last(sim.engine.audit(), sim.clock()))


@_admin
def _cancel_backup(sim: Simulator, req: Request) -> Reply:
    return req.ok(sim.engine.cancel_backup())


@_admin
def _start_backup(sim: Simulator, req: Request) -> Reply:
    parsed = wire.start_request(req.body)
    if isinstance(parsed, Reply):
        return parsed
    data, storage, params = parsed
    if data.get("dump") is True:
        return wire.error(400, "backup can`t start as dump", "System.ArgumentException")
    folder = params.get("folderId", "")
    if storage in (0, 1) and (storage == 0) != folder.lstrip("-").isdigit():
        return wire.error(400, "wrong folder type", "System.ArgumentException")
    return req.ok(sim.engine.start_backup(storage))


@_paid
def _start_restore(sim: Simulator, req: Request) -> Reply:
    parsed = wire.start_request(req.body)
    if isinstance(parsed, Reply):
        return parsed
    backup_id = parsed[0].get("backupId")
    if not isinstance(backup_id, str) or not backup_id:
        return wire.problem("BackupId", "The BackupId field is required.")
    try:
        wanted = str(uuid.UUID(backup_id))
    except ValueError:
        wanted = None  # not a GUID: storageParams["filePath"] names the file
    if wanted is not None and wanted not in {r["id"] for r in sim.engine.history()}:
        return wire.error(404, "File not found", "System.IO.FileNotFoundException")
    return req.ok(sim.engine.start_restore())


ROUTES: dict[tuple[str, str], Route] = {
    ("GET", "settings"): _settings,
    ("POST", "authentication"): _login,
    ("GET", "people/@self"): _self,
    ("GET", "getrestoreprogress"): _restore_progress,
    ("GET", "getbackupprogress"): _backup_progress,
    ("GET", "getbackuphistory"): _history,
    ("GET", "getbackupschedule"): _schedule,
    ("POST", "startbackup"): _start_backup,
    ("POST", "startrestore"): _start_restore,
    ("POST", "cancelbackup"): _cancel_backup,
    ("DELETE", "deletebackupschedule"): _delete_schedule,
    ("GET", "getbackupscount"): _backups_count,
    ("GET", "getservicestate"): _service_state,
    ("GET", "security/audit/events/filter"): _audit_filter,
    ("GET", "security/audit/events/last"): _audit_last,
}


def resolve(path: str) -> str | None:
    """The route name of a normalised path: a backup action under either prefix, or a named endpoint."""
    prefix, _, action = path.rpartition("/")
    if prefix in _BACKUP_PREFIXES and action in _BACKUP_ACTIONS:
        return action
    return _NAMED.get(path)


def route(sim: Simulator, req: Request) -> Reply:
    """The portal's answer; a backup action called with the wrong method is a 405, anything else a 404."""
    name = resolve(req.path) or ""
    found = ROUTES.get((req.method, name))
    if found is not None:
        return found(sim, req)
    if name in _BACKUP_ACTIONS:
        allowed = next(method for method, action in ROUTES if action == name)
        return Reply(405, headers={"Allow": allowed})
    return wire.not_found()


# ---------------------------------------------------------------- control, under /_sim/


def _count(sim: Simulator, query: dict[str, str]) -> Reply:
    return json_reply(200, {"count": sim.requests(query.get("path", ""))})


def _inject(sim: Simulator, query: dict[str, str]) -> Reply:
    sim.inject(query.get("fault", ""), int(query.get("count") or 1), query.get("path") or None)
    return json_reply(200, {"ok": True})


def _scenario(sim: Simulator, query: dict[str, str]) -> Reply:
    sim.set_scenario(query.get("name", ""))
    return json_reply(200, {"ok": True, "scenario": sim.scenario, "taskId": sim.task_id})


def _reset(sim: Simulator, query: dict[str, str]) -> Reply:
    sim.reset_counts()
    return json_reply(200, {"ok": True})


def _set_schedule(sim: Simulator, query: dict[str, str]) -> Reply:
    """``remove``: DocSpace deletes the schedule (no audit event); ``set``: an admin sets it up again."""
    what = query.get("do", "")
    if what not in ("remove", "set"):
        raise ValueError("do must be remove or set")
    if what == "remove":
        sim.remove_schedule()
    else:
        sim.set_schedule()
    return json_reply(200, {"ok": True})


CONTROL: dict[tuple[str, str], Callable[[Simulator, dict[str, str]], Reply]] = {
    ("GET", "/_sim/requests"): _count,
    ("POST", "/_sim/inject"): _inject,
    ("POST", "/_sim/scenario"): _scenario,
    ("POST", "/_sim/reset"): _reset,
    ("POST", "/_sim/schedule"): _set_schedule,
}


def control(sim: Simulator, method: str, path: str, query: dict[str, str], client: str) -> Reply:
    """Out-of-process test control; loopback callers only, and never counted or delayed."""
    if not client.startswith("127.") and client != "::1":
        return wire.not_found()
    call = CONTROL.get((method, path))
    if call is None:
        return json_reply(404, {"error": "unknown control call"})
    try:
        return call(sim, query)
    except ValueError as exc:
        return json_reply(400, {"error": str(exc)})
