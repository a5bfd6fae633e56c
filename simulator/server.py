"""The HTTP side: a threaded server and one request handler that parses, counts, applies the fault,
routes (:mod:`simulator.routes`) and writes. The handler reaches its portal through ``self.server.sim``.
"""

from __future__ import annotations

import contextlib
import socket
import socketserver
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from simulator.faults import DELIVERY, TWISTS, fault_reply
from simulator.routes import Request, Simulator, control, route
from simulator.wire import Reply, json_reply

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
