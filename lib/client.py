"""DocSpaceClient: the only code in the app that talks HTTP.

One ``requests.Session`` per portal. Every call has a connect and a read timeout plus an overall
deadline, never follows redirects (so the key cannot travel to another host), and turns every
outcome into either a parsed value or one of the typed errors in :mod:`lib.errors`.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Callable
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar
from urllib.parse import urljoin, urlsplit

import requests

from lib.errors import (
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
from lib.models import (
    HistoryRecord,
    PayloadError,
    Progress,
    Schedule,
    parse_history,
    parse_progress,
    parse_schedule,
)

T = TypeVar("T")

CONNECT_TIMEOUT = 3.05
READ_TIMEOUT = 5.0
#: a poll must never hang a page: the whole answer, body included, within this many seconds
DEADLINE = 8.0
#: progress answers are a few hundred bytes; anything near this is not DocSpace
MAX_BODY = 2_000_000
#: a 404 during a restore is usually the tenant being swapped; DocSpace's own page retries 3 times
NOT_FOUND_TRIES = 3

_BACKUP = "/api/2.0/backup/"


class DocSpaceClient:
    """Reads one portal's backup and restore state."""

    def __init__(
        self,
        base_url: str,
        api_key: str | None = None,
        *,
        timeout: tuple[float, float] = (CONNECT_TIMEOUT, READ_TIMEOUT),
        deadline: float = DEADLINE,
    ):
        self.base_url = base_url.rstrip("/")
        self.host = urlsplit(self.base_url).hostname or ""
        self._timeout = timeout
        self._deadline = deadline
        self._session = requests.Session()
        # No .netrc, no proxy from the environment: the key goes to this portal and nowhere else.
        self._session.trust_env = False
        self._session.headers.update({"Accept": "application/json", "User-Agent": "docspace-backup-monitor"})
        self._auth = {"Authorization": f"Bearer {api_key}"} if api_key else {}

    def __repr__(self) -> str:
        return f"DocSpaceClient({self.base_url!r}, api_key={'set' if self._auth else 'none'})"

    def close(self) -> None:
        self._session.close()

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

    def get_backup_history(self, dump: bool = False) -> list[HistoryRecord]:
        return self._get(_BACKUP + "getbackuphistory", _dump(dump), parse_history)

    def get_backup_schedule(self, dump: bool = False) -> Schedule | None:
        return self._get(_BACKUP + "getbackupschedule", _dump(dump), _optional(parse_schedule))

    # ------------------------------------------------------------ transport

    def _get(self, path: str, params: dict[str, str], parse: Callable[[Any], T], *, auth: bool = True) -> T:
        status, headers, body = self._fetch(path, params, auth=auth)
        return interpret(status, headers, body, parse)

    def _fetch(self, path: str, params: dict[str, str], *, auth: bool) -> tuple[int, dict[str, str], bytes]:
        started = time.monotonic()
        try:
            with self._session.get(
                self.base_url + path,
                params=params,
                headers=self._auth if auth else {},
                timeout=self._timeout,
                allow_redirects=False,
                stream=True,
            ) as resp:
                body = bytearray()
                for chunk in resp.iter_content(16_384):
                    body += chunk
                    if len(body) > MAX_BODY:
                        raise UnexpectedResponse("answer too large")
                    if time.monotonic() - started > self._deadline:
                        raise PortalUnreachable("timeout")
                if 300 <= resp.status_code < 400:
                    raise Redirected(_other_host(self.base_url, resp.headers.get("Location", "")),
                                     status=resp.status_code)
                return resp.status_code, dict(resp.headers), bytes(body)
        except DocSpaceError:
            raise
        except requests.RequestException as exc:
            # `from None`: the original exception holds the prepared request, headers and all.
            raise PortalUnreachable(_reason(exc)) from None


def interpret(status: int, headers: dict[str, str], body: bytes, parse: Callable[[Any], T]) -> T:
    """Turn one HTTP answer into a value or a typed error, as the DocSpace contract describes."""
    if 200 <= status < 300:
        data = _json(body)
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


def _json(body: bytes) -> Any:
    try:
        return json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise UnexpectedResponse("the answer is not JSON") from None


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


def post_webhook(url: str, payload: dict[str, Any], *, timeout: tuple[float, float] = (3.05, 5.0)) -> None:
    """POST a JSON notification (Slack and Teams incoming webhooks accept ``{"text": ...}``).

    Raises :class:`DocSpaceError` subclasses like the portal calls, so the page can say what went wrong.
    """
    session = requests.Session()
    session.trust_env = False
    try:
        resp = session.post(url, json=payload, timeout=timeout, allow_redirects=False)
    except requests.RequestException as exc:
        raise PortalUnreachable(_reason(exc)) from None
    finally:
        session.close()
    if not 200 <= resp.status_code < 300:
        raise UnexpectedResponse(f"the webhook answered HTTP {resp.status_code}", status=resp.status_code)
