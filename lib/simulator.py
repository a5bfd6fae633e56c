"""A faithful fake ONLYOFFICE DocSpace portal: the backup/restore endpoints, their odd corners, and faults.

Demo mode, every test and the benchmarks talk HTTP to it over loopback. It follows the contract in
``shared/reference/docspace-backup-api.md`` (section 10 is its checklist): the success envelope with
no ``response`` key when there is no job, enums as ints, ``error`` = "" when fine, empty-body 401/403/429,
nginx HTML pages for 502/503/504, anonymous restore progress, 403 on everything else while restoring.

    python -m lib.simulator --port 8765 --scenario restore --speed 10
"""

from __future__ import annotations

import argparse
import json
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

SCENARIOS = ("restore", "backup", "fail", "idle", "cancel", "stall", "overdue")
SCENARIO_HELP = {
    "restore": "a restore: 0 → 10 → 10–75 → holds at 75 (tenant id changes) → 100",
    "backup": "a backup: 0–90 → holds at 90 (uploading) → 100 with a link and a new history record",
    "fail": "a restore that stops at 42% with the error 'The backup file is invalid.'",
    "idle": "no job: progress endpoints answer with no 'response' key",
    "cancel": "a backup that is cancelled (status 3, warning 'Backup cancelled')",
    "stall": "a restore that reaches 33% and never moves again",
    "overdue": "no job, and the daily scheduled backup last ran 3 days ago",
}
FAULTS = ("401", "402", "403-restoring", "404", "429", "502", "503", "504", "slow", "drop", "stall-body",
          "malformed", "wrong-shape", "odd", "redirect", "html-200")
FAULT_HELP = {
    "401": "401 with an empty body", "402": "402 payment required (no body)",
    "403-restoring": "403 with an empty body, as while a restore holds the portal",
    "404": "a transient 404 (tenant not resolvable)", "429": "429 with Retry-After and no body",
    "502": "nginx HTML 502 page", "503": "nginx HTML 503 page with Retry-After", "504": "nginx HTML 504 page",
    "slow": "answer after --slow-seconds", "drop": "close the connection without answering",
    "stall-body": "send half the body, then stall", "malformed": "200 with broken JSON",
    "wrong-shape": "200 with JSON of the wrong shape", "odd": "200 with an odd-but-legal payload",
    "redirect": "302 to another host", "html-200": "200 with an HTML login page",
}
#: seconds a scenario's job takes at speed 1
DURATION = {"restore": 600.0, "backup": 300.0, "fail": 300.0, "cancel": 120.0, "stall": float("inf"),
            "idle": 0.0, "overdue": 0.0}
FAIL_AT = 42
STALL_AT = 33
FAIL_TEXT = "The backup file is invalid."
ALIAS = "demo"
_ACTIONS = {"getrestoreprogress", "getbackupprogress", "getbackuphistory", "getbackupschedule"}
_NGINX = ("<html>\r\n<head><title>{code} {text}</title></head>\r\n<body>\r\n<center><h1>{code} {text}</h1>"
          "</center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n")


class ManualClock:
    """A clock that moves only when told: deterministic tests step through a scenario."""

    def __init__(self, start: float = 1_800_000_000.0):
        self._now = start
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += seconds


class Simulator:
    """One fake portal. ``start()`` serves it on loopback in a daemon thread and returns its URL."""

    def __init__(self, scenario: str = "restore", *, speed: float = 1.0, api_key: str | None = None,
                 clock: Callable[[], float] = time.time, host: str = "127.0.0.1", port: int = 0,
                 slow_seconds: float = 10.0, retry_after: int = 7, fault: str | None = None,
                 fault_every: int = 0, error_text: str = FAIL_TEXT, warning_text: str = ""):
        if scenario not in SCENARIOS:
            raise ValueError(f"unknown scenario {scenario!r}; choose from {', '.join(SCENARIOS)}")
        if fault is not None and fault not in FAULTS:
            raise ValueError(f"unknown fault {fault!r}; choose from {', '.join(FAULTS)}")
        self.speed = speed
        self.api_key = api_key
        self.clock = clock
        self.slow_seconds = slow_seconds
        self.retry_after = retry_after
        self.fault = fault
        self.fault_every = fault_every
        self.error_text = error_text  # what a failed job says (tests set hostile text here)
        self.warning_text = warning_text  # a backup's warning when it completes, if any
        self._address = (host, port)
        self._lock = threading.Lock()
        self._queued: list[tuple[str, str | None]] = []
        self._counts: dict[str, int] = {}
        self._served = 0
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.url = ""
        self._history_seed = self.clock()
        self.set_scenario(scenario)

    # ------------------------------------------------------------ control

    def set_scenario(self, name: str) -> None:
        """Start a new job of this scenario now (a new task id)."""
        if name not in SCENARIOS:
            raise ValueError(f"unknown scenario {name!r}")
        with self._lock:
            self.scenario = name
            self.started = self.clock()
            self.task_id = str(uuid.uuid4())
            self._new_records: list[dict[str, Any]] = []

    @property
    def duration(self) -> float:
        """Real seconds the current job takes."""
        return DURATION[self.scenario] / self.speed

    def inject(self, fault: str, count: int = 1, path: str | None = None) -> None:
        """The next ``count`` requests whose path contains ``path`` (any if None) get ``fault``."""
        if fault not in FAULTS:
            raise ValueError(f"unknown fault {fault!r}")
        with self._lock:
            self._queued.extend([(fault, path)] * count)

    def requests(self, path_contains: str = "") -> int:
        with self._lock:
            return sum(n for path, n in self._counts.items() if path_contains.lower() in path)

    def reset_counts(self) -> None:
        with self._lock:
            self._counts.clear()

    def start(self) -> str:
        if self._server is not None:
            return self.url
        self._server = ThreadingHTTPServer(self._address, _handler(self))
        self._server.daemon_threads = True
        host, port = self._server.server_address[:2]
        self.url = f"http://{host}:{port}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="docspace-simulator", daemon=True)
        self._thread.start()
        return self.url

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(5)
        self._server = None

    def __enter__(self) -> Simulator:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------ the scenario engine

    def _t(self) -> float:
        """Scenario seconds since the job started."""
        return (self.clock() - self.started) * self.speed

    def job(self) -> dict[str, Any] | None:
        """The current job's BackupProgress, in the server's key order, or None when idle."""
        name, t = self.scenario, self._t()
        if name in ("idle", "overdue"):
            return None
        if name in ("backup", "cancel"):
            return self._backup(t)
        return self._restore(t)

    def _restore(self, t: float) -> dict[str, Any]:
        scale = DURATION[self.scenario] / 600.0 if self.scenario == "fail" else 1.0
        t = t / scale if scale else t
        tenant, error, done = 1, "", False
        if t < 30:
            pct = 0
        elif t < 60:
            pct = 10
        elif t < 420:
            pct = 10 + int(65 * (t - 60) / 360)
        elif t < 600:
            pct, tenant = 75, 2
        else:
            pct, tenant, done = 100, 2, True
        if self.scenario == "fail" and pct >= FAIL_AT:
            pct, tenant, error, done = FAIL_AT, 1, self.error_text, True
        if self.scenario == "stall":
            pct, done = min(pct, STALL_AT), False
        status = 2 if done else (0 if t < 5 else 1)
        return {"isCompleted": done, "progress": pct, "error": error, "tenantId": tenant,
                "backupProgressEnum": 1, "status": status, "taskId": self.task_id}

    def _backup(self, t: float) -> dict[str, Any]:
        out: dict[str, Any] = {"isCompleted": False, "progress": min(90, int(90 * t / 240)), "error": ""}
        status = 0 if t < 5 else 1
        if self.scenario == "cancel" and t >= DURATION["cancel"]:
            out.update(isCompleted=True, progress=int(90 * DURATION["cancel"] / 240))
            out["warning"] = "Backup cancelled"
            status = 3
        elif self.scenario == "backup" and t >= DURATION["backup"]:
            record = self._finish_backup()
            out.update(isCompleted=True, progress=100)
            if self.warning_text:
                out["warning"] = self.warning_text
            out["link"] = f"/storage/backup/{record['fileName']}"
            status = 2
        out.setdefault("link", "")
        out.update(tenantId=1, backupProgressEnum=0, status=status, taskId=self.task_id)
        return out

    def _finish_backup(self) -> dict[str, Any]:
        with self._lock:
            if not self._new_records:
                finished = datetime.fromtimestamp(self.started + self.duration, UTC)
                self._new_records.append(_record(self.task_id, finished, 0))
            return self._new_records[0]

    def tenant_status(self) -> int:
        """4 (Restoring) from the 10% step until the new tenant is swapped in at 75%."""
        job = self.job()
        if job is None or job["backupProgressEnum"] != 1 or job["isCompleted"]:
            return 0
        return 4 if 10 <= job["progress"] < 75 else 0

    def history(self) -> list[dict[str, Any]]:
        now = datetime.fromtimestamp(self._history_seed, UTC)
        days_back = 3 if self.scenario == "overdue" else 0
        today = now.replace(hour=2, minute=0, second=0, microsecond=0)
        if today > now:
            today -= timedelta(days=1)
        records = [_record(str(uuid.UUID(int=day + 1)), today - timedelta(days=day + days_back, seconds=-137), 0)
                   for day in range(5)]
        if self.scenario != "overdue":
            temp = now - timedelta(hours=6)
            records.append(_record(str(uuid.UUID(int=99)), temp, 4, expires=temp + timedelta(days=1)))
        with self._lock:
            return records + list(self._new_records)

    def schedule(self) -> dict[str, Any]:
        newest = max((r["createdOn"] for r in self.history() if r["storageType"] == 0), default=None)
        return {"storageType": 0, "storageParams": {"folderId": "1234"},
                "cronParams": {"period": 0, "hour": 2, "day": 0}, "backupsStored": 7,
                "lastBackupTime": newest or "0001-01-01T00:00:00", "dump": False}

    # ------------------------------------------------------------ request routing

    def _take_fault(self, path: str) -> str | None:
        with self._lock:
            self._served += 1
            for i, (fault, where) in enumerate(self._queued):
                if where is None or where.lower() in path:
                    del self._queued[i]
                    return fault
            if self.fault and self.fault_every and self._served % self.fault_every == 0:
                return self.fault
        return None

    def _count(self, path: str) -> None:
        with self._lock:
            self._counts[path] = self._counts.get(path, 0) + 1


def _record(record_id: str, created: datetime, storage: int, expires: datetime | None = None) -> dict[str, Any]:
    return {"id": record_id, "fileName": f"{ALIAS}_{created:%Y-%m-%d_%H-%M-%S}.tar.gz", "storageType": storage,
            "createdOn": f"{created:%Y-%m-%dT%H:%M:%S}",
            "expiresOn": f"{expires:%Y-%m-%dT%H:%M:%S}" if expires else "0001-01-01T00:00:00"}


def _handler(sim: Simulator) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "nginx"
        sys_version = ""

        def log_message(self, *args: object) -> None:
            """Silent: and never echo a request's Authorization header anywhere."""

        # -------------------------------------------------------- plumbing

        def _send(self, code: int, body: bytes = b"", ctype: str = "application/json; charset=utf-8",
                  headers: dict[str, str] | None = None) -> None:
            self.send_response(code)
            if body:
                self.send_header("Content-Type", ctype)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _json(self, code: int, data: Any) -> None:
            self._send(code, json.dumps(data, ensure_ascii=False).encode())

        def _envelope(self, response: Any, *, present: bool = True) -> None:
            host = self.headers.get("Host", "127.0.0.1")
            body: dict[str, Any] = {}
            if present and response is not None:
                body["response"] = response
                body["count"] = len(response) if isinstance(response, list) else 1
            else:
                body["count"] = 0
            body["links"] = [{"href": f"http://{host}{self.path}", "action": "GET"}]
            body["status"] = 0
            body["statusCode"] = 200
            self._json(200, body)

        def _error(self, code: int, message: str, etype: str) -> None:
            self._json(code, {"error": {"message": message, "type": etype, "stack": "   at ASC.Api…",
                                        "hresult": -2146233088}, "status": 1, "statusCode": code})

        # -------------------------------------------------------- GET

        def do_POST(self) -> None:
            parts = urlsplit(self.path)
            query = {k.lower(): v[-1] for k, v in parse_qs(parts.query).items()}
            if parts.path == "/_sim/inject":
                try:
                    sim.inject(query.get("fault", ""), int(query.get("count", "1")), query.get("path"))
                except ValueError as exc:
                    return self._json(400, {"error": str(exc)})
                return self._json(200, {"ok": True})
            if parts.path == "/_sim/scenario":
                try:
                    sim.set_scenario(query.get("name", ""))
                except ValueError as exc:
                    return self._json(400, {"error": str(exc)})
                return self._json(200, {"ok": True, "taskId": sim.task_id})
            self._error(404, "Not found", "System.IO.FileNotFoundException")

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            path = parts.path.lower().rstrip("/")
            query = {k.lower(): v[-1].lower() for k, v in parse_qs(parts.query).items()}
            if path == "/_sim/requests":
                return self._json(200, {"count": sim.requests(query.get("path", ""))})
            sim._count(path)
            fault = sim._take_fault(path)
            if fault is not None and self._fault(fault, path):
                return
            action = path.rsplit("/", 1)[-1]
            prefix = path[: -len(action)].rstrip("/")
            if path == "/api/2.0/settings":
                return self._envelope({"timezone": "UTC", "utcOffset": "00:00:00", "version": "3.7.2",
                                       "tenantStatus": sim.tenant_status(), "culture": "en-US",
                                       "personal": False})
            if prefix not in ("/api/2.0/backup", "/api/2.0/portal") or action not in _ACTIONS:
                return self._error(404, "The requested resource was not found", "System.IO.FileNotFoundException")
            if action != "getrestoreprogress":
                if sim.api_key and self.headers.get("Authorization", "") != f"Bearer {sim.api_key}":
                    return self._send(401)  # empty body, like the real challenge
                if sim.tenant_status() == 4:
                    return self._send(403)  # the tenant filter: no envelope
            job = sim.job()
            if action == "getrestoreprogress":
                wanted = job if job is not None and job["backupProgressEnum"] == 1 else None
                return self._envelope(wanted)
            if action == "getbackupprogress":
                wanted = job if job is not None and job["backupProgressEnum"] == 0 else None
                return self._envelope(wanted)
            if action == "getbackuphistory":
                return self._envelope(sim.history())
            return self._envelope(sim.schedule())

        def _fault(self, fault: str, path: str) -> bool:
            """Answer with ``fault``; False when the fault only delays a normal answer."""
            if fault in ("401", "402", "403-restoring", "404"):
                self._send(int(fault[:3]))
            elif fault == "429":
                reset = str(int(time.time()) + sim.retry_after)
                self._send(429, headers={"Retry-After": str(sim.retry_after), "X-RateLimit-Limit": "1500",
                                         "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset})
            elif fault in ("502", "503", "504"):
                text = {"502": "Bad Gateway", "503": "Service Temporarily Unavailable", "504": "Gateway Time-out"}
                headers = {"Retry-After": str(sim.retry_after)} if fault == "503" else {}
                self._send(int(fault), _NGINX.format(code=fault, text=text[fault]).encode(), "text/html", headers)
            elif fault == "slow":
                time.sleep(sim.slow_seconds)
                return False
            elif fault == "drop":
                self.close_connection = True
                self.connection.close()
            elif fault == "stall-body":
                body = json.dumps({"response": sim.job(), "count": 1, "status": 0, "statusCode": 200}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body[: len(body) // 2])
                self.wfile.flush()
                time.sleep(sim.slow_seconds)
                self.close_connection = True
            elif fault == "malformed":
                self._send(200, b'{"response": {"isCompleted": false, "progress": 4')
            elif fault == "wrong-shape":
                self._json(200, {"response": [1, 2, 3], "status": 0} if "history" not in path else "just a string")
            elif fault == "odd":
                job = sim.job() or sim._restore(0.0)
                odd = {"isCompleted": job["isCompleted"], "progress": float(job["progress"]),
                       "error": job["error"], "tenantId": job["tenantId"],
                       "backupProgressEnum": ["Backup", "Restore", "Transfer"][job["backupProgressEnum"]],
                       "somethingNew": {"x": 1},
                       "warning": "Some files were not included in the backup. For more details, please check "
                                  "backup.log"}
                self._json(200, {"response": odd, "count": 1, "status": 0, "statusCode": 200, "extra": True})
            elif fault == "redirect":
                self._send(302, headers={"Location": f"https://elsewhere.example{self.path}"})
            elif fault == "html-200":
                self._send(200, b"<!DOCTYPE html><html><body><form>Sign in</form></body></html>", "text/html")
            return True

    return Handler


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m lib.simulator",
        description="A fake ONLYOFFICE DocSpace portal (backup and restore API) on loopback.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="scenarios:\n" + "\n".join(f"  {k:10} {v}" for k, v in SCENARIO_HELP.items())
        + "\n\nfaults:\n" + "\n".join(f"  {k:14} {v}" for k, v in FAULT_HELP.items()),
    )
    parser.add_argument("--port", type=int, default=8765, help="port on 127.0.0.1 (0: any free port)")
    parser.add_argument("--scenario", choices=SCENARIOS, default="restore", help="the job to play")
    parser.add_argument("--speed", type=float, default=1.0,
                        help="time factor: 10 runs a 10-minute restore in a minute")
    parser.add_argument("--api-key", default=None,
                        help="require 'Authorization: Bearer <key>' on the protected endpoints")
    parser.add_argument("--fault", choices=FAULTS, default=None, help="a fault to inject periodically")
    parser.add_argument("--fault-every", type=int, default=5, help="inject --fault on every Nth request")
    parser.add_argument("--slow-seconds", type=float, default=10.0, help="delay of the 'slow' fault")
    args = parser.parse_args(argv)
    sim = Simulator(args.scenario, speed=args.speed, api_key=args.api_key, port=args.port, fault=args.fault,
                    fault_every=args.fault_every if args.fault else 0, slow_seconds=args.slow_seconds)
    url = sim.start()
    print(f"DocSpace simulator ({args.scenario}, speed {args.speed:g}) at {url}", flush=True)
    print(f"try: curl {url}/api/2.0/backup/getrestoreprogress", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        sim.stop()


if __name__ == "__main__":
    main()
