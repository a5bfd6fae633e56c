"""DocSpaceClient: the only code in the app that talks HTTP.

One ``requests.Session`` per portal. Every call has a connect and a read timeout plus an overall
deadline, never follows redirects (so the key cannot travel to another host), and turns every
outcome into either a parsed value or one of the typed errors in :mod:`lib.portal.errors`.

The read timeout adapts to the portal: it starts at 5 s, doubles after each time-out up to 30 s (a
portal loaded by a restore may take 7 s and is still healthy), and comes back down step by step after
quick answers. The deadline for the whole answer is the read timeout plus 3 s, and it holds per byte:
the body is read in pieces with the socket's timeout cut to the time that is left, so a body that
trickles in one byte at a time cannot hold a fetch past it.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterable
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar
from urllib.parse import urljoin, urlsplit

import requests
import urllib3
from requests.structures import CaseInsensitiveDict
from requests.utils import get_encoding_from_headers

from lib.channels import DEADLINE as CHANNEL_DEADLINE
from lib.channels import ChannelFailed
from lib.portal import audit
from lib.portal.audit import AuditTrail
from lib.portal.errors import (
    DocSpaceError,
    Forbidden,
    NotFound,
    PaymentRequired,
    PortalRestoring,
    PortalUnreachable,
    RateLimited,
    Redirected,
    ServerError,
    Unauthorized,
    UnexpectedResponse,
)
from lib.portal.models import (
    BackupFile,
    PayloadError,
    Progress,
    Schedule,
    parse_backup_files,
    parse_progress,
    parse_schedule,
)

T = TypeVar("T")

CONNECT_TIMEOUT = 3.05
#: the first read timeout; it doubles after each time-out, up to MAX_READ_TIMEOUT
READ_TIMEOUT = 5.0
MAX_READ_TIMEOUT = 30.0
#: the whole answer, body included, within the read timeout plus this (8 s at first, 33 s at most)
DEADLINE_MARGIN = 3.0
#: after a quick answer the read timeout shrinks by at most this factor (step by step, not at once)
SHRINK = 0.75
#: progress answers are a few hundred bytes; anything near this is not DocSpace
MAX_BODY = 2_000_000
#: a 404 during a restore is usually the tenant being swapped; DocSpace's own page retries 3 times
NOT_FOUND_TRIES = 3

_BACKUP = "/api/2.0/backup/"
_AUDIT = "/api/2.0/security/audit/events/filter"


class DocSpaceClient:
    """Reads one portal's backup and restore state."""

    def __init__(
        self,
        base_url: str,
        api_key: str | None = None,
        *,
        timeout: tuple[float, float] = (CONNECT_TIMEOUT, READ_TIMEOUT),
        max_read: float = MAX_READ_TIMEOUT,
        margin: float = DEADLINE_MARGIN,
    ):
        self.base_url = base_url.rstrip("/")
        self.host = urlsplit(self.base_url).hostname or ""
        self._connect, self._first_read = timeout
        self._max_read = max(max_read, self._first_read)
        self._margin = margin
        self._read = self._first_read
        self._read_lock = threading.Lock()
        self._session = requests.Session()
        # No .netrc, no proxy from the environment: the key goes to this portal and nowhere else.
        self._session.trust_env = False
        self._session.headers.update({"Accept": "application/json", "User-Agent": "docspace-backup-monitor"})
        self._auth = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._requests: dict[tuple[str, tuple[tuple[str, str], ...], bool], requests.PreparedRequest] = {}

    def __repr__(self) -> str:
        return f"DocSpaceClient({self.base_url!r}, api_key={'set' if self._auth else 'none'})"

    def close(self) -> None:
        self._session.close()

    @property
    def read_timeout(self) -> float:
        """Seconds the next call waits for the portal to start answering (it adapts, see the module)."""
        return self._read

    @property
    def deadline(self) -> float:
        """Seconds the next call may take for the whole answer, body included."""
        return self._read + self._margin

    def _timed_out(self, waited: float) -> PortalUnreachable:
        """A read time-out: wait twice as long next time, up to the cap; the error says which."""
        with self._read_lock:
            self._read = min(self._max_read, max(self._read, waited * 2))
            grows_to = self._read
        return PortalUnreachable("timeout", waited=waited, next_wait=grows_to if grows_to > waited else None)

    def _answered(self, took: float) -> None:
        """An answer in ``took`` seconds: shrink towards twice that, a step at a time, never below the start."""
        with self._read_lock:
            if 2 * took < self._read:
                self._read = max(self._first_read, 2 * took, self._read * SHRINK)

    # ------------------------------------------------------------ endpoints

    def get_restore_progress(self, dump: bool | None = None) -> Progress | None:
        """The restore job touching this portal, or None. Needs no key (the endpoint is anonymous).

        ``dump``: None asks for any restore touching the portal (including a server-wide one),
        False for this portal's own, True for the server-wide one (self-hosted only).
        """
        params = {} if dump is None else {"Dump": "true" if dump else "false"}
        for attempt in range(NOT_FOUND_TRIES):
            try:
                return self._get(_BACKUP + "getrestoreprogress", params, _optional(parse_progress), auth=False)
            except NotFound:
                if attempt == NOT_FOUND_TRIES - 1:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def get_backup_progress(self, dump: bool = False) -> Progress | None:
        return self._get(_BACKUP + "getbackupprogress", _dump(dump), _optional(parse_progress))

    def get_backup_history(self, dump: bool = False) -> list[BackupFile]:
        return self._get(_BACKUP + "getbackuphistory", _dump(dump), parse_backup_files)

    def get_backup_schedule(self, dump: bool = False) -> Schedule | None:
        return self._get(_BACKUP + "getbackupschedule", _dump(dump), _optional(parse_schedule))

    def get_audit_events(self, since: datetime, until: datetime,
                         actions: Iterable[int] = audit.WATCHED) -> AuditTrail:
        """The audit trail's events of ``actions`` between two aware datetimes (an admin key). Whatever the
        portal sends, only those come back, and the answer says from when it is complete."""
        return audit.read(lambda query: self._get(_AUDIT, query, audit.parse_events), since, until, actions)

    # ------------------------------------------------------------ transport

    def _prepared(self, path: str, params: dict[str, str], auth: bool) -> requests.PreparedRequest:
        """The request, prepared once per endpoint (a watcher asks the same thing every few seconds, and
        preparing it anew was a large part of a check's CPU); a copy is sent each time."""
        key = (path, tuple(sorted(params.items())), auth)
        prepared = self._requests.get(key)
        if prepared is None:
            prepared = self._session.prepare_request(requests.Request(
                "GET", self.base_url + path, params=params, headers=self._auth if auth else {}))
            self._requests[key] = prepared
        return prepared.copy()

    def _get(self, path: str, params: dict[str, str], parse: Callable[[Any], T], *, auth: bool = True) -> T:
        status, headers, body = self._fetch(path, params, auth=auth)
        return interpret(status, headers, body, parse)

    def _fetch(self, path: str, params: dict[str, str], *, auth: bool) -> tuple[int, dict[str, str], bytes]:
        started = time.monotonic()
        read = self._read
        deadline = started + read + self._margin
        try:
            with self._session.send(self._prepared(path, params, auth), timeout=(self._connect, read),
                                    allow_redirects=False, stream=True) as resp:
                if 300 <= resp.status_code < 400:
                    location = resp.headers.get("Location", "")
                    raise Redirected(_other_host(self.base_url, location), status=resp.status_code,
                                     moved_to=_https_of(self.base_url, location))
                body = _read_body(resp, deadline, read)
        except requests.exceptions.ReadTimeout:
            raise self._timed_out(read) from None
        except _BodyTimeout:
            raise self._timed_out(read) from None
        except DocSpaceError:
            raise
        except requests.RequestException as exc:
            # `from None`: the original exception holds the prepared request, headers and all.
            raise PortalUnreachable(_reason(exc)) from None
        self._answered(time.monotonic() - started)
        return resp.status_code, dict(resp.headers), body


class _BodyTimeout(Exception):
    """The body did not arrive within the deadline (or a piece of it not within the read timeout)."""


def _read_body(resp: requests.Response, deadline: float, read: float) -> bytes:
    """The whole body, read in pieces; before each, the socket may wait only for the time that is left.

    ``iter_content`` would wait for 16 KB at a time, which a body trickling one byte every 0.5 s never
    gives, so the deadline is enforced here, per piece, on the socket itself.
    """
    raw = resp.raw
    body = bytearray()
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise _BodyTimeout()
        sock = getattr(raw.connection, "sock", None) if raw.connection is not None else None
        if sock is not None:
            sock.settimeout(min(read, left))
        try:
            piece = raw.read1(16_384, decode_content=True)
        except (urllib3.exceptions.ReadTimeoutError, TimeoutError):
            raise _BodyTimeout() from None
        except (urllib3.exceptions.HTTPError, OSError):
            raise PortalUnreachable("dropped") from None
        if not piece:
            return bytes(body)
        body += piece
        if len(body) > MAX_BODY:
            raise UnexpectedResponse("answer too large")


def interpret(status: int, headers: dict[str, str], body: bytes, parse: Callable[[Any], T]) -> T:
    """Turn one HTTP answer into a value or a typed error, as the DocSpace contract describes."""
    if 200 <= status < 300:
        data = _json(body, _charset(headers))
        if not isinstance(data, dict):
            raise UnexpectedResponse("the answer is not a DocSpace envelope")
        if data.get("status", 0) not in (0, "0"):
            raise UnexpectedResponse("the envelope reports an error")
        try:
            return parse(data.get("response"))
        except PayloadError as exc:
            raise UnexpectedResponse(str(exc)) from None
    retry_after = _retry_after(headers)
    if status == 401:
        raise Unauthorized(status=401)
    if status == 402:
        raise PaymentRequired(status=402)
    if status == 403:
        # Empty body: the tenant filter while a restore holds the portal. Envelope: not an admin.
        if not body.strip():
            raise PortalRestoring(status=403)
        raise Forbidden(status=403)
    if status == 404:
        raise NotFound(status=404)
    if status == 429:
        raise RateLimited(status=429, retry_after=retry_after)
    if status >= 500:
        raise ServerError(status=status, retry_after=retry_after)
    raise UnexpectedResponse(f"HTTP {status}", status=status)


def _optional(parse: Callable[[Any], T]) -> Callable[[Any], T | None]:
    """A missing ``response`` key is DocSpace's way of saying "no job" or "no schedule"."""
    return lambda value: None if value is None else parse(value)


def _dump(dump: bool) -> dict[str, str]:
    return {"Dump": "true"} if dump else {}


def _json(body: bytes, charset: str = "") -> Any:
    """JSON from UTF-8; a body that is not UTF-8 (a Latin-1 'é' under a utf-8 label) is read leniently,
    in its declared charset or else as Windows-1252/Latin-1, so an otherwise valid answer (a failed
    restore's own words) still reaches the viewer. Broken JSON is not guessed at."""
    for encoding in dict.fromkeys(("utf-8-sig", charset, "cp1252", "latin-1")):
        if not encoding:
            continue
        try:
            text = body.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            continue
        try:
            return json.loads(text)
        except (ValueError, RecursionError):
            break
    raise UnexpectedResponse("the answer is not JSON")


def _charset(headers: dict[str, str]) -> str:
    """The charset the Content-Type names (requests' reading of it, e.g. ISO-8859-1 for text/*), or ""."""
    return get_encoding_from_headers(CaseInsensitiveDict(headers)) or ""


def _retry_after(headers: dict[str, str]) -> float | None:
    """Retry-After as seconds (a number or an HTTP date), within a sane range."""
    value = next((v for k, v in headers.items() if k.lower() == "retry-after"), None)
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            seconds = parsedate_to_datetime(value).timestamp() - time.time()
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
    if seconds != seconds:  # NaN
        return None
    return max(0.0, min(seconds, 3600.0))


def _other_host(base_url: str, location: str) -> str:
    """The host a redirect points at, for the message (never the full URL: it may carry tokens)."""
    target = urlsplit(urljoin(base_url + "/", location))
    return target.hostname or ""


def _https_of(base_url: str, location: str) -> str:
    """``https://host[:port]`` when a redirect from http points at the same host over https, else ""."""
    base, target = urlsplit(base_url), urlsplit(urljoin(base_url + "/", location))
    if base.scheme != "http" or target.scheme != "https" or not target.hostname:
        return ""
    if target.hostname != base.hostname:
        return ""
    return f"https://{target.netloc.rpartition('@')[2]}"  # never a user name or password from the header


def _reason(exc: requests.RequestException) -> str:
    """Classify a transport failure for the viewer: dns, refused, tls, timeout or dropped."""
    if isinstance(exc, requests.exceptions.SSLError):
        return "tls"
    if isinstance(exc, requests.Timeout):
        return "timeout"
    for cause in _causes(exc):
        name = type(cause).__name__
        if isinstance(cause, socket.gaierror) or name == "NameResolutionError":
            return "dns"
        if isinstance(cause, ConnectionRefusedError):
            return "refused"
        if isinstance(cause, TimeoutError) or "Timeout" in name:
            return "timeout"
    return "dropped"


def _causes(exc: BaseException) -> list[BaseException]:
    """Every exception wrapped inside ``exc`` (requests nests urllib3's, which nest the socket's)."""
    found: list[BaseException] = []
    stack: list[object] = [exc]
    while stack:
        item = stack.pop()
        if not isinstance(item, BaseException) or any(item is seen for seen in found):
            continue
        found.append(item)
        stack += [item.__cause__, item.__context__, getattr(item, "reason", None), *item.args]
    return found


def post_webhook(url: str, payload: dict[str, Any], *, deadline: float = CHANNEL_DEADLINE) -> None:
    """POST a JSON notification (Slack and Teams incoming webhooks accept ``{"text": ...}``), the whole answer
    within ``deadline`` seconds (a relay that sends its headers and then trickles its body is cut off).

    Raises :class:`ChannelFailed` (a status, a time-out, or no connection), never naming the URL.
    """
    started = time.monotonic()
    session = requests.Session()
    session.trust_env = False
    try:
        with session.post(url, json=payload, timeout=(min(CONNECT_TIMEOUT, deadline), deadline),
                          allow_redirects=False, stream=True) as resp:
            if not 200 <= resp.status_code < 300:
                raise ChannelFailed(status=resp.status_code)
            _read_body(resp, started + deadline, deadline)
    except requests.exceptions.ConnectTimeout:
        raise ChannelFailed(reached=False) from None  # no connection at all: not "did not answer within 15 s"
    except (requests.exceptions.ReadTimeout, _BodyTimeout):
        raise ChannelFailed(waited=deadline) from None
    except UnexpectedResponse:
        raise ChannelFailed() from None  # it answered, with more than a channel's answer can be
    except (requests.RequestException, DocSpaceError) as exc:
        if isinstance(exc, requests.RequestException) and _reason(exc) == "timeout":
            raise ChannelFailed(waited=deadline) from None
        raise ChannelFailed(reached=False) from None
    finally:
        session.close()
