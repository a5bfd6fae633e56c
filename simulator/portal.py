"""``Simulator``: one fake portal, the facade that tests, demo mode and the benchmarks hold.

It owns the parts (``engine``, ``auth``, ``faults``) and the server that serves them, and keeps the
few knobs that shape *how* answers are delivered (latency, slow faults, trickling).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from simulator.auth import LOGIN, Auth
from simulator.engine import DURATION, FAIL_TEXT, SCENARIOS, Engine, Options, check
from simulator.faults import FaultQueue
from simulator.server import Server


class Simulator:
    """One fake portal. ``start()`` serves it on loopback in a daemon thread and returns its URL."""

    def __init__(self, scenario: str = "restore", *, speed: float = 1.0, api_key: str | None = None,
                 clock: Callable[[], float] = time.time, host: str = "127.0.0.1", port: int = 0,
                 slow_seconds: float = 10.0, retry_after: int = 7, fault: str | None = None,
                 fault_every: int = 0, error_text: str = FAIL_TEXT, warning_text: str = "",
                 user_key: str | None = None, login: tuple[str, str] = LOGIN, tfa: bool = False,
                 latency: float = 0.0, trickle_interval: float = 0.5, options: Options | None = None):
        """``error_text``: what a failed restore says (tests use hostile text); ``warning_text``: a
        completed backup's warning; ``user_key``: an API key of a non-admin (authenticated, but
        "Access denied"); ``login``: the e-mail/password ``POST /api/2.0/authentication`` accepts;
        ``tfa``: that login asks for a second factor and gives no token; ``latency``: real seconds
        before every answer (a loaded but healthy portal); ``trickle_interval``: real seconds between
        the body's bytes under the ``trickle`` fault; ``options``: the portal's past (days of scheduled
        backups, files kept, the audit trail), its plan (audit feature, paid) and zone."""
        check(scenario, SCENARIOS, "scenario")
        self.faults = FaultQueue(fault, fault_every)
        self.engine = Engine(scenario, speed=speed, clock=clock, error_text=error_text,
                             warning_text=warning_text, options=options)
        if latency < 0 or trickle_interval < 0:
            raise ValueError("latency and trickle_interval must not be negative")
        self.auth = Auth(api_key, tenant=lambda: self.engine.tenant()[0], user_key=user_key, login=login,
                         tfa=tfa)
        self.clock = clock
        self.slow_seconds = slow_seconds
        self.retry_after = retry_after
        self.latency = latency
        self.trickle_interval = trickle_interval
        self.url = ""
        self._address = (host, port)
        self._stopping = threading.Event()
        self._server: Server | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------ the job

    def set_scenario(self, name: str) -> None:
        """Restart the engine: a fresh portal (tenant 1, seeded history, no sessions) whose job starts now."""
        self.engine.set_scenario(name)
        self.auth.clear()

    @property
    def scenario(self) -> str:
        return self.engine.scenario

    @property
    def speed(self) -> float:
        return self.engine.speed

    @property
    def task_id(self) -> str:
        """The task id of the job started last (a scenario's job, or one started by a POST)."""
        return self.engine.task_id

    def remove_schedule(self) -> bool:
        """DocSpace's scheduler deletes the schedule now (a quota or payment failure): no audit event."""
        return self.engine.remove_schedule()

    def set_schedule(self) -> None:
        """An admin sets the schedule up again (its lastBackupTime starts again at "never")."""
        self.engine.past.set_schedule()

    @property
    def duration(self) -> float:
        """Real seconds the scenario's job takes (``DURATION`` scaled by ``speed``)."""
        return DURATION[self.scenario] / self.speed

    # ------------------------------------------------------------ faults and counting

    def inject(self, fault: str, count: int = 1, path: str | None = None) -> None:
        """The next ``count`` requests whose path contains ``path`` (any if None) get ``fault``."""
        self.faults.inject(fault, count, path)

    def clear_faults(self) -> None:
        """Forget the faults injected but not yet used (a periodic ``fault`` keeps going)."""
        self.faults.clear()

    def requests(self, path_contains: str = "") -> int:
        """Requests received so far (control calls under /_sim/ excluded)."""
        return self.faults.requests(path_contains)

    def reset_counts(self) -> None:
        self.faults.reset_counts()

    def sleep(self, seconds: float) -> bool:
        """Wait real seconds for a delayed answer; cut short by stop(), and then True."""
        return self._stopping.wait(seconds)

    # ------------------------------------------------------------ serving

    def start(self, poll_interval: float = 0.05) -> str:
        """Serve in a daemon thread; many requests at once (a slow answer must not block others).
        ``poll_interval``: how often the idle server looks whether to stop (a thousand portals in one
        process want it long)."""
        if self._server is not None:
            return self.url
        self._stopping.clear()
        self._server = Server(self._address, self)
        host, port = self._server.server_address[:2]
        self.url = f"http://{host}:{port}"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": poll_interval},
                                        name=f"docspace-simulator-{port}", daemon=True)
        self._thread.start()
        return self.url

    def stop(self) -> None:
        """Stop serving, cut kept-alive connections and wake sleeping faults, so the port is free."""
        server, self._server = self._server, None
        if server is None:
            return
        self._stopping.set()
        server.shutdown()
        server.close_connections()
        server.server_close()
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None

    def __enter__(self) -> Simulator:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
