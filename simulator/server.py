"""The HTTP side: a threaded server, one request handler, and the portal's routes as a table.

The handler reaches its portal through ``self.server.sim``; a route is a function of the portal and
the parsed request that returns a ``Reply``, so the table reads as the API it fakes (reference §1).
"""

from __future__ import annotations

import contextlib
import socket
import socketserver
import sys
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from simulator import wire
from simulator.faults import DELIVERY, TWISTS, fault_reply, twist
from simulator.wire import Reply, json_reply

if TYPE_CHECKING:
    from simulator.portal import Simulator

_BACKUP_PREFIXES = ("/api/2.0/backup", "/api/2.0/portal")
_BACKUP_ACTIONS = ("getrestoreprogress", "getbackupprogress", "getbackuphistory", "getbackupschedule",
                   "startbackup", "startrestore", "cancelbackup")
#: full paths of the other endpoints, with and without the ``.json`` suffix the server also accepts
_NAMED = {f"/api/2.0/{name}{suffix}": name for name in ("settings", "authentication", "people/@self")
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


Route = Callable[["Simulator", Request], Reply]


# ---------------------------------------------------------------- gates


def _gate(sim: Simulator, req: Request, *, passthrough: bool, admin: bool = False) -> Reply | None:
    """Authentication (401, empty), then the tenant filter (403, empty), then the permission."""
    authorization = req.headers.get("Authorization")
    who = sim.auth.who(authorization, req.headers.get("Cookie"))
    if who is None:
        basic = (authorization or "").strip().lower().startswith("basic")
        return Reply(401, headers={"WWW-Authenticate": "Basic"} if basic else None)
    if not passthrough and sim.engine.tenant_status() == 4:
        return Reply(403)
    if admin and who != "admin":
        return wire.error(403, "Access denied", "System.Security.SecurityException")
    return None


def _admin(route: Route) -> Route:
    """An action for admins only, refused while the tenant is being restored."""
    def gated(sim: Simulator, req: Request) -> Reply:
        return _gate(sim, req, passthrough=False, admin=True) or route(sim, req)
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


@_admin
def _history(sim: Simulator, req: Request) -> Reply:
    history = sim.engine.history()
    if req.odd:
        history = [wire.odd_record(r) for r in history]
    return wire.bad_dump(req.query) or req.ok(history, odd=req.odd)


@_admin
def _schedule(sim: Simulator, req: Request) -> Reply:
    schedule = sim.engine.schedule()
    if req.odd:
        schedule = wire.odd_schedule(schedule)
    return wire.bad_dump(req.query) or req.ok(schedule, odd=req.odd)


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


@_admin
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


CONTROL: dict[tuple[str, str], Callable[[Simulator, dict[str, str]], Reply]] = {
    ("GET", "/_sim/requests"): _count,
    ("POST", "/_sim/inject"): _inject,
    ("POST", "/_sim/scenario"): _scenario,
    ("POST", "/_sim/reset"): _reset,
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


# ---------------------------------------------------------------- the server


class Server(ThreadingHTTPServer):
    """Threaded, quiet about clients that go away, and able to cut kept-alive connections on stop."""

    daemon_threads = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], sim: Simulator):
        self.sim = sim
        self._conns: set[socket.socket] = set()
        self._conns_lock = threading.Lock()
        super().__init__(address, Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._conns_lock:
            self._conns.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._conns_lock:
            self._conns.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        with self._conns_lock:
            conns = list(self._conns)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)

    def server_bind(self) -> None:
        """Like HTTPServer's, minus its reverse-DNS lookup of the host (slow on some machines)."""
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = str(self.server_address[0]), int(self.server_address[1])

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients hanging up (timeouts in tests, the drop fault) are normal here, not tracebacks."""
        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)


class Handler(BaseHTTPRequestHandler):
    """One connection: parse, count, apply the fault, route, write."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body leave at once, as from nginx (no 40 ms delayed-ACK stall)
    server: Server

    def version_string(self) -> str:
        return "nginx"  # what answers in front of a real portal

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: no line per request, and so never a request's Authorization header."""

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def _dispatch(self, method: str) -> None:
        sim = self.server.sim
        parts = urlsplit(self.path)
        path = parts.path.lower().rstrip("/") or "/"
        query = {k.lower(): v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        body = self._read_body()  # always, so a kept-alive connection stays in step
        if path.startswith("/_sim/"):
            return self._write(control(sim, method, path, query, self.client_address[0]))
        fault = sim.faults.take(path)
        if sim.latency > 0 and sim.sleep(sim.latency):
            return self._hang_up()  # stopped while waiting: nobody gets this answer
        if fault == "slow":
            sim.sleep(sim.slow_seconds)
        elif fault == "drop":
            return self._hang_up()
        elif fault is not None and fault not in DELIVERY:
            return self._write(fault_reply(fault, path=self.path, host=self._host(), now=sim.clock(),
                                           retry_after=sim.retry_after, task_id=sim.task_id))
        request = Request(method, path, self.path, query, body, self._host(), self.headers, odd=fault == "odd",
                          twist=fault if fault in TWISTS else None)
        reply = route(sim, request)
        if fault == "stall-body":
            self._stall(reply)
        elif fault == "trickle":
            self._trickle(reply)
        else:
            self._write(reply)

    def _host(self) -> str:
        return self.headers.get("Host") or "{}:{}".format(*self.server.server_address[:2])

    def _read_body(self) -> bytes:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = 0
        return self.rfile.read(length) if length > 0 else b""

    def _head(self, reply: Reply, *, close: bool = False) -> None:
        """Status line and headers; Content-Length is always the whole body's."""
        self.send_response(reply.code)
        if reply.ctype and reply.body:
            self.send_header("Content-Type", reply.ctype)
        for name, value in (reply.headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(reply.body)))
        if close:
            self.send_header("Connection", "close")
        self.end_headers()

    def _write(self, reply: Reply, *, partial: bool = False) -> None:
        self._head(reply, close=partial)
        self.wfile.write(reply.body[: len(reply.body) // 2] if partial else reply.body)
        self.wfile.flush()

    def _hang_up(self) -> None:
        """Close without a word (the ``drop`` fault)."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    def _stall(self, reply: Reply) -> None:
        """Half the body, then silence for --slow-seconds, then close (``stall-body``)."""
        self.close_connection = True
        self._write(reply if reply.body else json_reply(200, {"count": 0}), partial=True)
        self.server.sim.sleep(self.server.sim.slow_seconds)

    def _trickle(self, reply: Reply) -> None:
        """Headers at once, then the body one byte every ``trickle_interval`` (``trickle``)."""
        sim = self.server.sim
        self._head(reply)
        for i in range(len(reply.body)):
            if sim.sleep(sim.trickle_interval):
                self._hang_up()  # stop(): do not finish the body
                return
            self.wfile.write(reply.body[i:i + 1])
            self.wfile.flush()
