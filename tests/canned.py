"""A loopback HTTP server that answers whatever a test tells it to: for odd answers the simulator
does not make (arbitrary bodies and codes for the property test, 402s, a server that never accepts)."""

from __future__ import annotations

import contextlib
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Canned:
    """Serves ``status``, ``headers`` and ``body`` to every GET; records the requests' headers."""

    def __init__(self) -> None:
        self.status = 200
        self.headers: dict[str, str] = {"Content-Type": "application/json"}
        self.body = b"{}"
        self.seen: list[dict[str, str]] = []
        self.posted: list[bytes] = []
        self.got_post = threading.Event()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def do_GET(self) -> None:
                owner.seen.append({**dict(self.headers), "path": self.path})
                self.send_response(owner.status)
                for name, value in owner.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(owner.body)))
                self.end_headers()
                self.wfile.write(owner.body)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                owner.posted.append(self.rfile.read(length))
                owner.got_post.set()
                self.send_response(owner.status)
                self.send_header("Content-Length", str(len(owner.body)))
                self.end_headers()
                self.wfile.write(owner.body)

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        # a short poll, so shutdown() returns at once instead of after serve_forever's default 0.5 s
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)

    def answer(self, status: int, body: bytes | str = b"", **headers: str) -> None:
        self.status = status
        self.body = body.encode() if isinstance(body, str) else body
        self.headers = {k.replace("_", "-"): v for k, v in headers.items()}

    def __enter__(self) -> Canned:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


class Unaccepting:
    """A listening socket whose backlog is full, so a new connection attempt times out."""

    def __enter__(self) -> str:
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(0)
        self._fillers = []
        for _ in range(4):
            filler = socket.socket()
            filler.setblocking(False)
            with contextlib.suppress(BlockingIOError):
                filler.connect(self._sock.getsockname())
            self._fillers.append(filler)
        return f"http://127.0.0.1:{self._sock.getsockname()[1]}"

    def __exit__(self, *exc: object) -> None:
        for filler in self._fillers:
            filler.close()
        self._sock.close()
