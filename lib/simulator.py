"""A faithful fake ONLYOFFICE DocSpace portal: the backup/restore endpoints, their odd corners, and faults.

Demo mode, the tests and the benchmarks talk real HTTP to it over loopback, so every layer of the
dashboard (requests, timeouts, parsing, retries) is exercised the way a live portal would exercise it.
It follows ``shared/reference/docspace-backup-api.md``; section 10 of that file is its checklist:

* both ``/api/2.0/backup/<action>`` and ``/api/2.0/portal/<action>``; action names case-insensitive;
* the success envelope, with **no** ``response`` key (count 0) when there is no job or schedule;
* the error envelope ``{error:{message,type,stack,hresult}, status:1, statusCode}`` for thrown errors;
* progress objects with int enums, ``error`` = "" when fine, ``link`` only on backups, ``warning``
  only when set, a lowercase GUID ``taskId`` that becomes the finished backup's history ``id``;
* restore 0 → 10 → 10..75 → 75 (tenant id changes) → 100; backup 0..90 → 90 → 100;
  failure = completed + error + status **2**; cancel = status 3 + "Backup cancelled";
* anonymous restore progress and settings; empty-body 401 for anything else without
  ``Authorization: Bearer <key>``; then empty-body 403 while the tenant is Restoring (4);
* session tokens from ``POST /api/2.0/authentication`` (raw, Bearer or the ``asc_auth_key`` cookie)
  that stop working once a restore has replaced the tenant;
* ``startbackup``/``startrestore``/``cancelbackup`` (storageType as name, number or numeric string);
* faults a client must survive: empty-body 429 with Retry-After, nginx HTML 502/503/504, a slow
  answer, a dropped socket, a body that stalls midway, broken JSON, wrong shapes, odd-but-legal
  payloads, a redirect to another host and an HTML login page with status 200.

Only the standard library is used so the simulator runs anywhere the app runs:

    python -m lib.simulator --port 8765 --scenario restore --speed 10 --api-key sk-...
"""

from __future__ import annotations

import argparse
import base64
import binascii
import contextlib
import hmac
import json
import socket
import socketserver
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.cookies import CookieError, SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

SCENARIOS = ("restore", "backup", "fail", "idle", "cancel", "stall", "overdue")
SCENARIO_HELP = {
    "restore": "a restore: 0 → 10 (portal locked) → 10–75 → 75 (new tenant id, unlocked) → 100, 10 min",
    "backup": "a backup: 0–90 → holds at 90 (uploading) → 100 with a link and a new history record, 5 min",
    "fail": "a restore that ends at 42% with the error 'The backup file is invalid.' (status stays 2)",
    "idle": "no job: progress endpoints answer 200 with no 'response' key",
    "cancel": "a backup cancelled after 2 min: status 3, warning 'Backup cancelled', progress frozen",
    "stall": "a restore that reaches 33% and never moves again (the portal stays locked)",
    "overdue": "no job, and the daily 02:00 scheduled backup last ran 3 days ago",
}
FAULTS = ("401", "403-restoring", "404", "429", "502", "503", "504", "slow", "drop", "stall-body",
          "malformed", "wrong-shape", "odd", "redirect", "html-200")
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
    "402": "402 payment required with an empty body (PaymentFilter)",
}
#: seconds a scenario's job takes at speed 1 (``fail`` ends early, at 42 %; ``stall`` never ends)
DURATION = {"restore": 600.0, "backup": 300.0, "fail": 300.0, "cancel": 120.0, "stall": float("inf"),
            "idle": 0.0, "overdue": 0.0}
RESTORE_SECONDS = 600.0
BACKUP_SECONDS = 300.0
FAIL_AT = 42
STALL_AT = 33
FAIL_TEXT = "The backup file is invalid."
SKIPPED_WARNING = "Some files were not included in the backup. For more details, please check backup.log"
CANCEL_WARNING = "Backup cancelled"
ALIAS = "demo"
VERSION = "3.7.2"
#: the scheduled backup finishes this long after 02:00 (its file name keeps the start time)
SCHEDULED_RUN = timedelta(seconds=137)
NEVER = "0001-01-01T00:00:00"
LOGIN = ("admin@example.com", "demo-password")

_BACKUP_PREFIXES = ("/api/2.0/backup", "/api/2.0/portal")
_GET_ACTIONS = ("getrestoreprogress", "getbackupprogress", "getbackuphistory", "getbackupschedule")
_POST_ACTIONS = ("startbackup", "startrestore", "cancelbackup")
#: BackupStorageType names, "Thridparty" sic (the server's spelling)
_STORAGE_LABELS = ("Documents", "ThridpartyDocuments", "CustomCloud", "Local", "DataStore",
                   "ThirdPartyConsumer")
_STORAGE_NAMES = tuple(name.lower() for name in _STORAGE_LABELS)
_TENANT_NAMES = ("Active", "Suspended", "RemovePending", "Transfering", "Restoring", "Migrating",
                 "Encryption")
_HRESULT = {"System.ArgumentException": -2147024809, "System.Security.SecurityException": -2146233078,
            "System.IO.FileNotFoundException": -2147024894}
_NGINX = ("<html>\r\n<head><title>{code} {text}</title></head>\r\n<body>\r\n<center><h1>{code} {text}</h1>"
          "</center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n")
_NGINX_TEXT = {"502": "Bad Gateway", "503": "Service Temporarily Unavailable", "504": "Gateway Time-out"}
_LOGIN_PAGE = (b"<!DOCTYPE html><html lang=\"en\"><head><title>ONLYOFFICE DocSpace</title></head><body>"
               b"<form action=\"/login\" method=\"post\"><input name=\"email\"><input name=\"password\" "
               b"type=\"password\"><button>Sign in</button></form></body></html>")
_JSON = "application/json; charset=utf-8"
_PROBLEM = "application/problem+json; charset=utf-8"


class ManualClock:
    """A clock that moves only when told, so tests step through a scenario without sleeping."""

    def __init__(self, start: float = 1_000_000.0):
        self._now = start
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += seconds


@dataclass
class _Job:
    """One backup or restore task. Its state is a pure function of the clock, so reads are repeatable."""

    kind: str  # "restore", "fail", "stall", "backup" or "cancel"
    started: float  # clock() when it was queued
    task_id: str
    tenant: int  # the tenant id when it started (a restore moves the portal to tenant + 1)
    storage_type: int = 0
    cancel_at: float | None = None  # scenario seconds at which a backup is cancelled

    @property
    def is_backup(self) -> bool:
        return self.kind in ("backup", "cancel")


@dataclass
class _Reply:
    """An answer before it is written, so faults like ``stall-body`` can send just part of it."""

    code: int
    body: bytes = b""
    ctype: str | None = None
    headers: dict[str, str] | None = None


class Simulator:
    """One fake portal. ``start()`` serves it on loopback in a daemon thread and returns its URL."""

    def __init__(self, scenario: str = "restore", *, speed: float = 1.0, api_key: str | None = None,
                 clock: Callable[[], float] = time.time, host: str = "127.0.0.1", port: int = 0,
                 slow_seconds: float = 10.0, retry_after: int = 7, fault: str | None = None,
                 fault_every: int = 0, error_text: str = FAIL_TEXT, warning_text: str = "",
                 user_key: str | None = None, login: tuple[str, str] = LOGIN, tfa: bool = False):
        """``error_text``: what a failed restore says (tests use hostile text); ``warning_text``: a
        completed backup's warning; ``user_key``: an API key of a non-admin (authenticated, but
        "Access denied"); ``login``: the e-mail/password ``POST /api/2.0/authentication`` accepts;
        ``tfa``: that login asks for a second factor and gives no token."""
        _check(scenario, SCENARIOS, "scenario")
        if fault is not None:
            _check(fault, FAULTS + EXTRA_FAULTS, "fault")
        if speed <= 0:
            raise ValueError("speed must be positive")
        self.speed = speed
        self.api_key = api_key
        self.user_key = user_key
        self.login = login
        self.tfa = tfa
        self.clock = clock
        self.slow_seconds = slow_seconds
        self.retry_after = retry_after
        self.fault = fault
        self.fault_every = fault_every
        self.error_text = error_text
        self.warning_text = warning_text
        self.url = ""
        self._address = (host, port)
        self._lock = threading.RLock()
        self._queued: list[tuple[str, str | None]] = []
        self._counts: dict[str, int] = {}
        self._served = 0
        self._sessions: dict[str, int] = {}  # token -> tenant id it was issued for
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self.set_scenario(scenario)

    # ------------------------------------------------------------ control

    def set_scenario(self, name: str) -> None:
        """Restart the engine: a fresh portal (tenant 1, seeded history) whose job starts now."""
        _check(name, SCENARIOS, "scenario")
        with self._lock:
            now = self.clock()
            self.scenario = name
            self._seed = now
            self._tenant = 1
            self._records: list[dict[str, Any]] = []
            self._sessions.clear()
            cancel_at = DURATION["cancel"] if name == "cancel" else None
            job = _Job(name, now, str(uuid.uuid4()), tenant=1, cancel_at=cancel_at)
            self._task_id = job.task_id
            self._backup: _Job | None = job if job.is_backup else None
            self._restore: _Job | None = job if name in ("restore", "fail", "stall") else None

    @property
    def task_id(self) -> str:
        """The task id of the job started last (a scenario's job, or one started by a POST)."""
        with self._lock:
            return self._task_id

    @property
    def duration(self) -> float:
        """Real seconds the scenario's job takes (``DURATION`` scaled by ``speed``)."""
        return DURATION[self.scenario] / self.speed

    def inject(self, fault: str, count: int = 1, path: str | None = None) -> None:
        """The next ``count`` requests whose path contains ``path`` (any if None) get ``fault``."""
        _check(fault, FAULTS + EXTRA_FAULTS, "fault")
        with self._lock:
            self._queued.extend([(fault, path.lower() if path else None)] * count)

    def requests(self, path_contains: str = "") -> int:
        """Requests received so far (control calls under /_sim/ excluded)."""
        needle = path_contains.lower()
        with self._lock:
            return sum(n for path, n in self._counts.items() if needle in path)

    def reset_counts(self) -> None:
        with self._lock:
            self._counts.clear()

    def start(self) -> str:
        """Serve in a daemon thread; many requests at once (a slow answer must not block others)."""
        if self._server is not None:
            return self.url
        self._stopping.clear()
        self._server = _Server(self._address, _handler(self))
        host, port = self._server.server_address[:2]
        self.url = f"http://{host}:{port}"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
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

    # ------------------------------------------------------------ the engine

    def _t(self, job: _Job) -> float:
        """Scenario seconds since the job started."""
        return (self.clock() - job.started) * self.speed

    def _restore_state(self, job: _Job) -> tuple[dict[str, Any], bool]:
        """(BackupProgress, tenant locked). ``fail`` replays the restore twice as fast (300 s)."""
        t = self._t(job) * (RESTORE_SECONDS / DURATION["fail"] if job.kind == "fail" else 1.0)
        old, new = job.tenant, job.tenant + 1
        if t < 30:
            pct = 0
        elif t < 60:
            pct = 10
        elif t < 420:
            pct = 10 + int(65 * (t - 60) / 360)
        elif t < RESTORE_SECONDS:
            pct = 75
        else:
            pct = 100
        done, tenant, error = t >= RESTORE_SECONDS, new if t >= 420 else old, ""
        if job.kind == "fail" and pct >= FAIL_AT:
            pct, tenant, error, done = FAIL_AT, old, self.error_text, True
        if job.kind == "stall":
            pct, tenant, done = min(pct, STALL_AT), old, False
        status = 2 if done else (0 if t < 5 else 1)  # a failure is status 2 too: nothing escapes the job
        locked = not done and t >= 30 and tenant == old
        return ({"isCompleted": done, "progress": pct, "error": error, "tenantId": tenant,
                 "backupProgressEnum": 1, "status": status, "taskId": job.task_id}, locked)

    def _backup_state(self, job: _Job) -> dict[str, Any]:
        """BackupProgress: 0.9 × dump progress, a plateau at 90 while uploading, then 100 and a link."""
        t = self._t(job)
        cancelled = job.cancel_at is not None and t >= job.cancel_at
        shown = job.cancel_at if cancelled and job.cancel_at is not None else t
        out: dict[str, Any] = {"isCompleted": False, "progress": min(90, int(90 * shown / 240)), "error": ""}
        status, link = (0 if t < 5 else 1), ""
        if cancelled:
            out["isCompleted"], out["warning"], status = True, CANCEL_WARNING, 3
        elif t >= BACKUP_SECONDS:
            out["isCompleted"], out["progress"], status = True, 100, 2
            if self.warning_text:
                out["warning"] = self.warning_text
            link = f"/storage/backup/{self._backup_record(job)['fileName']}"
        out.update(link=link, tenantId=job.tenant, backupProgressEnum=0, status=status, taskId=job.task_id)
        return out

    def _backup_record(self, job: _Job) -> dict[str, Any]:
        """The history record a finished backup leaves: its ``id`` is the task id."""
        started = datetime.fromtimestamp(job.started, UTC)
        finished = datetime.fromtimestamp(job.started + BACKUP_SECONDS / self.speed, UTC)
        expires = finished + timedelta(days=1) if job.storage_type == 4 else None  # DataStore: 24 h
        return _record(job.task_id, started, finished, job.storage_type, expires)

    def _finished_record(self, job: _Job | None) -> dict[str, Any] | None:
        if job is None or not job.is_backup:
            return None
        state = self._backup_state(job)
        return self._backup_record(job) if state["status"] == 2 else None

    def restore_progress(self) -> dict[str, Any] | None:
        with self._lock:
            return None if self._restore is None else self._restore_state(self._restore)[0]

    def backup_progress(self) -> dict[str, Any] | None:
        with self._lock:
            return None if self._backup is None else self._backup_state(self._backup)

    def tenant(self) -> tuple[int, int]:
        """(tenant id, tenant status): 4 (Restoring) from the 10 % step until the new tenant is in."""
        with self._lock:
            if self._restore is None:
                return self._tenant, 0
            state, locked = self._restore_state(self._restore)
            return state["tenantId"], 4 if locked else 0

    def tenant_status(self) -> int:
        return self.tenant()[1]

    def history(self) -> list[dict[str, Any]]:
        """Daily 02:00 backups for the last 5 days, a 6-hour-old DataStore one, and finished new ones."""
        with self._lock:
            records = self._scheduled_records()
            if self.scenario != "overdue":
                made = datetime.fromtimestamp(self._seed, UTC) - timedelta(hours=6)
                records.append(_record(_seed_id(made), made - timedelta(seconds=41), made, 4,
                                       expires=made + timedelta(days=1)))
            records += self._records
            current = self._finished_record(self._backup)
            if current is not None:
                records.append(current)
        return sorted(records, key=lambda r: r["createdOn"], reverse=True)

    def _scheduled_records(self) -> list[dict[str, Any]]:
        now = datetime.fromtimestamp(self._seed, UTC)
        done = now.replace(hour=2, minute=0, second=0, microsecond=0) + SCHEDULED_RUN
        if done > now:
            done -= timedelta(days=1)
        if self.scenario == "overdue":
            done -= timedelta(days=3)
        runs = [done - timedelta(days=day) for day in range(5)]
        return [_record(_seed_id(d), d - SCHEDULED_RUN, d, 0) for d in runs]

    def schedule(self) -> dict[str, Any]:
        """Daily at 02:00 into a room; lastBackupTime is the newest *scheduled* record (not a manual one)."""
        with self._lock:
            newest = max(r["createdOn"] for r in self._scheduled_records())
        return {"storageType": 0, "storageParams": {"folderId": "1234"},
                "cronParams": {"period": 0, "hour": 2, "day": 0}, "backupsStored": 7,
                "lastBackupTime": newest, "dump": False}

    def settings(self) -> dict[str, Any]:
        """The anonymous part of ``GET /api/2.0/settings`` (keys in the server's order)."""
        _, status = self.tenant()
        return {"timezone": "UTC", "culture": "en-US", "utcOffset": "00:00:00", "utcHoursOffset": 0,
                "docSpace": True, "standalone": False, "baseDomain": "localhost", "version": VERSION,
                "tenantStatus": status, "tenantAlias": ALIAS, "cookieSettingsEnabled": False,
                "deepLink": {"androidPackageName": "", "url": "", "iosPackageId": ""}}

    # ------------------------------------------------------------ jobs started over HTTP

    def start_backup(self, storage_type: int) -> dict[str, Any]:
        """Starting while a backup runs returns the running one (200), as the server's queue does."""
        with self._lock:
            if self._backup is not None:
                state = self._backup_state(self._backup)
                if not state["isCompleted"]:
                    return state
                record = self._finished_record(self._backup)
                if record is not None:
                    self._records.append(record)
            tenant_id, _ = self.tenant()
            self._backup = _Job("backup", self.clock(), str(uuid.uuid4()), tenant_id, storage_type)
            self._task_id = self._backup.task_id
            return self._backup_state(self._backup)

    def start_restore(self) -> dict[str, Any]:
        with self._lock:
            if self._restore is not None:
                state, _ = self._restore_state(self._restore)
                if not state["isCompleted"]:
                    return state
                self._tenant = state["tenantId"]
            self._restore = _Job("restore", self.clock(), str(uuid.uuid4()), self._tenant)
            self._task_id = self._restore.task_id
            return self._restore_state(self._restore)[0]

    def cancel_backup(self) -> bool:
        """Cancel a running backup now; False when there is nothing to cancel."""
        with self._lock:
            job = self._backup
            if job is None or self._backup_state(job)["isCompleted"]:
                return False
            job.cancel_at = self._t(job)
            return True

    # ------------------------------------------------------------ authentication

    def new_session(self) -> str:
        """A session token bound to the current tenant id (a restore makes it stale)."""
        token = uuid.uuid4().hex + uuid.uuid4().hex
        with self._lock:
            self._sessions[token] = self.tenant()[0]
        return token

    def _session_ok(self, token: str) -> bool:
        with self._lock:
            issued = self._sessions.get(token)
            return issued is not None and issued == self.tenant()[0]

    def who(self, authorization: str | None, cookie_header: str | None) -> str | None:
        """"admin", "user" or None (not authenticated), following the server's scheme selection."""
        if self.api_key is None:
            return "admin"  # an open portal: nothing is checked
        cookie = _cookie(cookie_header, "asc_auth_key")
        if cookie is not None:  # the cookie wins over the header
            return "admin" if self._session_ok(cookie) else None
        if not authorization:
            return None
        scheme, _, rest = authorization.strip().partition(" ")
        if scheme.lower() == "bearer":
            token = rest.strip()
            if token.startswith("sk-"):  # the API key handler: only ever as "Bearer sk-…"
                if hmac.compare_digest(token.encode(), self.api_key.encode()):
                    return "admin"
                if self.user_key and hmac.compare_digest(token.encode(), self.user_key.encode()):
                    return "user"
                return None
            return "admin" if self._session_ok(token) else None
        if scheme.lower() == "basic":
            try:
                user, _, password = base64.b64decode(rest.strip(), validate=True).decode().partition(":")
            except (binascii.Error, UnicodeDecodeError):
                return None
            return "admin" if (user, password) == self.login else None
        # anything else (a bare "sk-…" too) goes to the cookie handler as a raw session token
        return "admin" if self._session_ok(authorization.strip()) else None

    # ------------------------------------------------------------ faults and counting

    def _take_fault(self, path: str) -> str | None:
        with self._lock:
            self._served += 1
            self._counts[path] = self._counts.get(path, 0) + 1
            for i, (fault, where) in enumerate(self._queued):
                if where is None or where in path:
                    del self._queued[i]
                    return fault
            if self.fault and self.fault_every > 0 and self._served % self.fault_every == 0:
                return self.fault
        return None

    def _sleep(self) -> None:
        """Real seconds for slow faults; cut short by stop()."""
        self._stopping.wait(self.slow_seconds)


# ---------------------------------------------------------------- helpers


def _check(name: str, allowed: tuple[str, ...], what: str) -> None:
    if name not in allowed:
        raise ValueError(f"unknown {what} {name!r}; choose from {', '.join(allowed)}")


def _stamp(moment: datetime) -> str:
    """DocSpace datetimes: no zone, meaning UTC."""
    return f"{moment:%Y-%m-%dT%H:%M:%S}"


def _seed_id(moment: datetime) -> str:
    """Stable, GUID-shaped ids for the seeded history (the same portal gives the same ids)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"docspace-simulator/{ALIAS}/{moment.isoformat()}"))


def _record(record_id: str, started: datetime, created: datetime, storage: int,
            expires: datetime | None = None) -> dict[str, Any]:
    """A BackupHistoryRecord: the file name keeps the start time, ``createdOn`` is when it was saved."""
    return {"id": record_id, "fileName": f"{ALIAS}_{started:%Y-%m-%d_%H-%M-%S}.tar.gz",
            "storageType": storage, "createdOn": _stamp(created),
            "expiresOn": _stamp(expires) if expires else NEVER}


def _cookie(header: str | None, name: str) -> str | None:
    if not header:
        return None
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(header)
    except CookieError:
        return None
    morsel = jar.get(name)
    return morsel.value if morsel is not None else None


def _storage_type(value: Any) -> int | None:
    """BackupStorageType as the server's JsonStringEnumConverter reads it: number, numeric text or name."""
    if value is None:
        return 0
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        text = value.strip()
        if text.lstrip("-").isdigit():
            value = int(text)
        elif text.lower() in _STORAGE_NAMES:
            return _STORAGE_NAMES.index(text.lower())
        else:
            return None
    if isinstance(value, int) and 0 <= value < len(_STORAGE_NAMES):
        return value
    return None


def _params(value: Any) -> dict[str, str] | None:
    """storageParams: a list of {key, value}; None when it is not one."""
    if value is None:
        return {}
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        return None
    return {str(item.get("key")): "" if item.get("value") is None else str(item.get("value"))
            for item in value}


def _json_reply(code: int, data: Any, ctype: str = _JSON) -> _Reply:
    return _Reply(code, json.dumps(data, ensure_ascii=False).encode(), ctype)


def _error(code: int, message: str, etype: str | None) -> _Reply:
    """The ErrorApiResponse of an exception thrown inside an action (withStackTrace unless 401)."""
    error: dict[str, Any] = {"message": message, "type": etype,
                             "stack": f"   at ASC.Data.Backup.BackupService ({etype})" if etype else None,
                             "hresult": _HRESULT.get(etype or "", -2146233088) if etype else 0}
    return _json_reply(code, {"error": error, "status": 1, "statusCode": code})


def _not_found() -> _Reply:
    """An unknown path: the ItemNotFound envelope (a custom exception, so the generic HRESULT)."""
    return _error(404, "The requested resource was not found", "ASC.Common.Web.ItemNotFoundException")


def _problem(field: str, text: str) -> _Reply:
    """The automatic 400 of [ApiController] model binding: RFC 7807, not the DocSpace envelope."""
    return _json_reply(400, {"type": "https://tools.ietf.org/html/rfc9110#section-15.5.1",
                             "title": "One or more validation errors occurred.", "status": 400,
                             "errors": {field: [text]},
                             "traceId": f"00-{uuid.uuid4().hex}-{uuid.uuid4().hex[:16]}-00"}, _PROBLEM)


def _odd_progress(p: dict[str, Any]) -> dict[str, Any]:
    """Legal but odd: enum names, a float percentage, unknown keys, no status/taskId."""
    out: dict[str, Any] = {"isCompleted": p["isCompleted"], "progress": float(p["progress"]),
                           "error": p["error"]}
    if p["backupProgressEnum"] == 0:
        out["warning"] = p.get("warning") or SKIPPED_WARNING
        out["link"] = p["link"]
    out.update(tenantId=p["tenantId"],
               backupProgressEnum=("Backup", "Restore", "Transfer")[p["backupProgressEnum"]],
               percentage=float(p["progress"]), somethingNew={"introducedIn": "9.9"})
    return out


def _odd_record(r: dict[str, Any]) -> dict[str, Any]:
    expires = r["expiresOn"] if r["expiresOn"] == NEVER else r["expiresOn"] + ".0000000+00:00"
    return {"id": r["id"], "fileName": r["fileName"],
            "storageType": _STORAGE_LABELS[r["storageType"]],
            "createdOn": r["createdOn"] + "Z", "expiresOn": expires, "size": 123_456_789}


def _odd_schedule(s: dict[str, Any]) -> dict[str, Any]:
    return {"storageType": "Documents", "storageParams": s["storageParams"],
            "cronParams": {"period": "EveryDay", "hour": 2}, "lastBackupTime": s["lastBackupTime"] + "Z",
            "dump": False, "nextBackupTime": None}


# ---------------------------------------------------------------- the HTTP side


class _Server(ThreadingHTTPServer):
    """Threaded, quiet about clients that go away, and able to cut kept-alive connections on stop."""

    daemon_threads = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler]):
        self._conns: set[socket.socket] = set()
        self._conns_lock = threading.Lock()
        super().__init__(address, handler)

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


def _handler(sim: Simulator) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        def version_string(self) -> str:
            return "nginx"  # what answers in front of a real portal

        def log_message(self, format: str, *args: Any) -> None:
            """Silent: no line per request, and so never a request's Authorization header."""

        # -------------------------------------------------------- plumbing

        def _write(self, reply: _Reply, *, partial: bool = False) -> None:
            self.send_response(reply.code)
            if reply.ctype and reply.body:
                self.send_header("Content-Type", reply.ctype)
            for name, value in (reply.headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(reply.body)))
            if partial:
                self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(reply.body[: len(reply.body) // 2] if partial else reply.body)
            self.wfile.flush()

        def _read_body(self) -> bytes:
            try:
                length = int(self.headers.get("Content-Length") or 0)
            except ValueError:
                length = 0
            return self.rfile.read(length) if length > 0 else b""

        def _envelope(self, response: Any, *, odd: bool = False, method: str = "GET") -> _Reply:
            """SuccessApiResponse: no ``response`` key when null; count = list length, 1, or 0."""
            count = 0 if response is None else len(response) if isinstance(response, list) else 1
            body: dict[str, Any] = {} if response is None else {"response": response}
            if odd:  # a total nobody asked for, and no links
                body.update(count=count, total=count, status=0, statusCode=200)
                return _json_reply(200, body)
            host = self.headers.get("Host") or "{}:{}".format(*self.server.server_address[:2])
            body.update(count=count, links=[{"href": f"http://{host}{self.path}", "action": method}],
                        status=0, statusCode=200)
            return _json_reply(200, body)

        # -------------------------------------------------------- entry points

        def do_GET(self) -> None:
            self._dispatch("GET")

        def do_POST(self) -> None:
            self._dispatch("POST")

        def do_PUT(self) -> None:
            self._dispatch("PUT")

        def do_DELETE(self) -> None:
            self._dispatch("DELETE")

        def _dispatch(self, method: str) -> None:
            parts = urlsplit(self.path)
            path = parts.path.lower().rstrip("/") or "/"
            query = {k.lower(): v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
            body = self._read_body()  # always, so a kept-alive connection stays in step
            if path.startswith("/_sim/"):
                return self._write(self._control(method, path, query))
            fault = sim._take_fault(path)
            if fault == "slow":
                sim._sleep()
            elif fault == "drop":
                self.close_connection = True
                with contextlib.suppress(OSError):
                    self.connection.shutdown(socket.SHUT_RDWR)
                return
            elif fault not in (None, "odd", "stall-body"):
                return self._write(self._fault(fault))
            reply = self._route(method, path, query, body, odd=fault == "odd")
            if fault == "stall-body":
                self.close_connection = True
                self._write(reply if reply.body else _json_reply(200, {"count": 0}), partial=True)
                sim._sleep()
                return
            self._write(reply)

        def _fault(self, fault: str) -> _Reply:
            retry = {"Retry-After": str(sim.retry_after)}
            if fault in ("401", "402", "403-restoring", "404"):
                return _Reply(int(fault[:3]))
            if fault == "429":
                reset = str(int(sim.clock()) + sim.retry_after)
                limits = {"X-RateLimit-Limit": "1500", "X-RateLimit-Remaining": "0",
                          "X-RateLimit-Reset": reset}
                return _Reply(429, headers={**retry, **limits})
            if fault in _NGINX_TEXT:
                page = _NGINX.format(code=fault, text=_NGINX_TEXT[fault]).encode()
                return _Reply(int(fault), page, "text/html", retry if fault == "503" else None)
            if fault == "malformed":
                return _Reply(200, b'{"response": {"isCompleted": false, "progress": 4', _JSON)
            if fault == "wrong-shape":
                if "history" in self.path.lower():
                    return _json_reply(200, "just a string")
                return _json_reply(200, {"response": [1, 2, 3], "status": 0})
            if fault == "redirect":
                return _Reply(302, headers={"Location": f"https://elsewhere.example{self.path}"})
            return _Reply(200, _LOGIN_PAGE, "text/html; charset=utf-8")  # html-200

        def _control(self, method: str, path: str, query: dict[str, str]) -> _Reply:
            """Out-of-process test control; loopback callers only, and never counted."""
            if not self.client_address[0].startswith("127.") and self.client_address[0] != "::1":
                return _not_found()
            try:
                if path == "/_sim/requests" and method == "GET":
                    return _json_reply(200, {"count": sim.requests(query.get("path", ""))})
                if path == "/_sim/inject" and method == "POST":
                    count = int(query.get("count") or 1)
                    sim.inject(query.get("fault", ""), count, query.get("path") or None)
                    return _json_reply(200, {"ok": True})
                if path == "/_sim/scenario" and method == "POST":
                    sim.set_scenario(query.get("name", ""))
                    return _json_reply(200, {"ok": True, "scenario": sim.scenario, "taskId": sim.task_id})
                if path == "/_sim/reset" and method == "POST":
                    sim.reset_counts()
                    return _json_reply(200, {"ok": True})
            except ValueError as exc:
                return _json_reply(400, {"error": str(exc)})
            return _json_reply(404, {"error": "unknown control call"})

        # -------------------------------------------------------- the portal

        def _route(self, method: str, path: str, query: dict[str, str], body: bytes, *, odd: bool) -> _Reply:
            prefix, _, action = path.rpartition("/")
            if path in ("/api/2.0/settings", "/api/2.0/settings.json") and method == "GET":
                settings = sim.settings()
                if odd:
                    settings = {**settings, "tenantStatus": _TENANT_NAMES[settings["tenantStatus"]],
                                "unknownFlag": True}
                return self._envelope(settings, odd=odd)
            if path in ("/api/2.0/authentication", "/api/2.0/authentication.json") and method == "POST":
                return self._authenticate(body)
            if path in ("/api/2.0/people/@self", "/api/2.0/people/@self.json") and method == "GET":
                return self._gate(passthrough=True) or self._self()
            if prefix in _BACKUP_PREFIXES and action in _GET_ACTIONS + _POST_ACTIONS:
                wanted = "GET" if action in _GET_ACTIONS else "POST"
                if method != wanted:
                    return _Reply(405, headers={"Allow": wanted})
                if action == "getrestoreprogress":
                    return self._restore_progress(query, odd=odd)
                denied = self._gate(passthrough=False, admin=True)
                if denied:
                    return denied
                if wanted == "POST":
                    return self._post_action(action, body)
                return self._get_action(action, query, odd=odd)
            return _not_found()

        def _gate(self, *, passthrough: bool, admin: bool = False) -> _Reply | None:
            """Authentication (401, empty), then the tenant filter (403, empty), then the permission."""
            authorization = self.headers.get("Authorization")
            who = sim.who(authorization, self.headers.get("Cookie"))
            if who is None:
                basic = (authorization or "").strip().lower().startswith("basic")
                return _Reply(401, headers={"WWW-Authenticate": "Basic"} if basic else None)
            if not passthrough and sim.tenant_status() == 4:
                return _Reply(403)
            if admin and who != "admin":
                return _error(403, "Access denied", "System.Security.SecurityException")
            return None

        def _dump(self, query: dict[str, str]) -> _Reply | None:
            """``Dump``/``dump``: true/false in any case. On this SaaS-like portal true acts as false."""
            raw = query.get("dump")
            if raw is None or raw.lower() in ("true", "false"):
                return None
            return _problem("Dump", f"The value '{raw}' is not valid.")

        def _restore_progress(self, query: dict[str, str], *, odd: bool) -> _Reply:
            bad = self._dump(query)  # anonymous and pass-through: no 401, no 403
            if bad:
                return bad
            progress = sim.restore_progress()
            if odd and progress is not None:
                progress = _odd_progress(progress)
            return self._envelope(progress, odd=odd)

        def _get_action(self, action: str, query: dict[str, str], *, odd: bool) -> _Reply:
            bad = self._dump(query)
            if bad:
                return bad
            if action == "getbackupprogress":
                progress = sim.backup_progress()
                return self._envelope(_odd_progress(progress) if odd and progress else progress, odd=odd)
            if action == "getbackuphistory":
                history = sim.history()
                return self._envelope([_odd_record(r) for r in history] if odd else history, odd=odd)
            schedule = sim.schedule()
            return self._envelope(_odd_schedule(schedule) if odd else schedule, odd=odd)

        def _post_action(self, action: str, raw: bytes) -> _Reply:
            if action == "cancelbackup":
                return self._envelope(sim.cancel_backup(), method="POST")
            try:
                data = json.loads(raw or b"{}")
            except ValueError:
                return _problem("$", "The JSON value could not be parsed.")
            if not isinstance(data, dict):
                return _problem("$", "The JSON value could not be converted to the request type.")
            storage = _storage_type(data.get("storageType"))
            params = _params(data.get("storageParams"))
            if storage is None:
                return _problem("storageType", "The JSON value could not be converted to BackupStorageType.")
            if params is None:
                return _problem("storageParams", "The JSON value could not be converted to a key/value list.")
            if action == "startbackup":
                if data.get("dump") is True:
                    return _error(400, "backup can`t start as dump", "System.ArgumentException")
                folder = params.get("folderId", "")
                if storage in (0, 1) and (storage == 0) != folder.lstrip("-").isdigit():
                    return _error(400, "wrong folder type", "System.ArgumentException")
                return self._envelope(sim.start_backup(storage), method="POST")
            backup_id = data.get("backupId")
            if not isinstance(backup_id, str) or not backup_id:
                return _problem("BackupId", "The BackupId field is required.")
            try:
                wanted = str(uuid.UUID(backup_id))
            except ValueError:
                wanted = None  # not a GUID: storageParams["filePath"] names the file
            if wanted is not None and wanted not in {r["id"] for r in sim.history()}:
                return _error(404, "File not found", "System.IO.FileNotFoundException")
            return self._envelope(sim.start_restore(), method="POST")

        def _authenticate(self, raw: bytes) -> _Reply:
            """POST /api/2.0/authentication: a session token (and cookie), or a 2FA request."""
            if sim.tenant_status() == 4:
                return _Reply(403)  # not in the tenant filter's pass-through list
            try:
                data = json.loads(raw or b"{}")
            except ValueError:
                return _problem("$", "The JSON value could not be parsed.")
            user = data.get("userName") if isinstance(data, dict) else None
            password = data.get("password") if isinstance(data, dict) else None
            if not user or not password:
                return _error(400, "Empty userName or password.", "System.ArgumentException")
            if (user, password) != sim.login:
                return _error(401, "User authentication failed", None)
            if sim.tfa:
                host = self.headers.get("Host", "")
                confirm = f"http://{host}/confirm/TfaAuth?type=TfaAuth&key={uuid.uuid4().hex}"
                return self._envelope({"sms": False, "tfa": True, "confirmUrl": confirm}, method="POST")
            token = sim.new_session()
            expires = datetime.fromtimestamp(sim.clock(), UTC) + timedelta(days=20)
            reply = self._envelope({"token": token, "expires": f"{_stamp(expires)}.0000000+00:00",
                                    "sms": False, "tfa": False}, method="POST")
            reply.headers = {"Set-Cookie": f"asc_auth_key={token}; path=/; HttpOnly; SameSite=Lax"}
            return reply

        def _self(self) -> _Reply:
            """GET /api/2.0/people/@self: who the credentials belong to (works during a restore)."""
            who = sim.who(self.headers.get("Authorization"), self.headers.get("Cookie"))
            admin = who == "admin"
            return self._envelope({"id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{ALIAS}/{who}")),
                                   "userName": "admin" if admin else "user",
                                   "displayName": "Demo Admin" if admin else "Demo User",
                                   "email": sim.login[0] if admin else "user@example.com",
                                   "isAdmin": admin, "isOwner": admin})

    return Handler


def main(argv: list[str] | None = None) -> None:
    """Serve a fake portal until Ctrl-C."""
    parser = argparse.ArgumentParser(
        prog="python -m lib.simulator",
        description="A fake ONLYOFFICE DocSpace portal (backup and restore API), for demos and tests.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="scenarios:\n" + "\n".join(f"  {k:14} {v}" for k, v in SCENARIO_HELP.items())
        + "\n\nfaults (for --fault, or POST /_sim/inject?fault=NAME&count=N&path=PART):\n"
        + "\n".join(f"  {k:14} {v}" for k, v in FAULT_HELP.items())
        + "\n\ncontrol (loopback only): POST /_sim/scenario?name=NAME, GET /_sim/requests?path=PART,"
        "\n  POST /_sim/reset (zero the request counts)",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8765, help="port to listen on; 0 picks a free one")
    parser.add_argument("--scenario", choices=SCENARIOS, default="restore", metavar="NAME",
                        help="the job to play (see scenarios below; default restore)")
    parser.add_argument("--speed", type=float, default=1.0,
                        help="time factor: 10 plays the 10-minute restore in one minute")
    parser.add_argument("--api-key", default=None,
                        help="require 'Authorization: Bearer <key>' on protected endpoints (default: open)")
    parser.add_argument("--fault", choices=FAULTS + EXTRA_FAULTS, default=None, metavar="NAME",
                        help="a fault to give every Nth request (see below)")
    parser.add_argument("--fault-every", type=int, default=5, help="N for --fault (default 5)")
    parser.add_argument("--slow-seconds", type=float, default=10.0, help="delay of 'slow' and 'stall-body'")
    parser.add_argument("--retry-after", type=int, default=7, help="Retry-After seconds on 429 and 503")
    args = parser.parse_args(argv)
    sim = Simulator(args.scenario, speed=args.speed, api_key=args.api_key, host=args.host, port=args.port,
                    fault=args.fault, fault_every=args.fault_every if args.fault else 0,
                    slow_seconds=args.slow_seconds, retry_after=args.retry_after)
    url = sim.start()
    print(f"DocSpace simulator: {args.scenario} at speed {args.speed:g} on {url}"
          f" ({'API key required' if args.api_key else 'no API key required'}); Ctrl-C stops it", flush=True)
    print(f"try: curl {url}/api/2.0/backup/getrestoreprogress", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        sim.stop()


if __name__ == "__main__":
    main()
