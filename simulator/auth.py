"""Who is asking: the API key, a non-admin key, session tokens, Basic, the cookie; and logging in.

It follows the server's scheme selection (reference §4): the ``asc_auth_key`` cookie wins over the
header; ``Bearer sk-…`` is an API key; any other bearer or raw header is a session token, and a session
token stops working once a restore has replaced the tenant (§5.2).
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from http.cookies import CookieError, SimpleCookie
from typing import Any

from simulator.engine import ALIAS
from simulator.wire import Reply, envelope, error, problem, stamp

LOGIN = ("admin@example.com", "demo-password")


def cookie(header: str | None, name: str) -> str | None:
    """One cookie's value from a Cookie header; None when absent or unparsable."""
    if not header:
        return None
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(header)
    except CookieError:
        return None
    morsel = jar.get(name)
    return morsel.value if morsel is not None else None


class Auth:
    """Credentials of one portal. ``tenant`` gives the current tenant id, which sessions are bound to."""

    def __init__(self, api_key: str | None, *, tenant: Callable[[], int], user_key: str | None = None,
                 login: tuple[str, str] = LOGIN, tfa: bool = False):
        """``api_key``: None means an open portal (nothing is checked); ``user_key``: an API key of a
        non-admin (authenticated, but "Access denied"); ``login``: the e-mail/password the login
        accepts; ``tfa``: that login asks for a second factor and gives no token."""
        self.api_key = api_key
        self.user_key = user_key
        self.login = login
        self.tfa = tfa
        self._tenant = tenant
        self._lock = threading.Lock()
        self._sessions: dict[str, int] = {}  # token -> tenant id it was issued for

    def clear(self) -> None:
        """Forget every session (a fresh portal)."""
        with self._lock:
            self._sessions.clear()

    def new_session(self) -> str:
        """A session token bound to the current tenant id (a restore makes it stale)."""
        token = uuid.uuid4().hex + uuid.uuid4().hex
        tenant = self._tenant()
        with self._lock:
            self._sessions[token] = tenant
        return token

    def session_ok(self, token: str) -> bool:
        tenant = self._tenant()
        with self._lock:
            issued = self._sessions.get(token)
        return issued is not None and issued == tenant

    def who(self, authorization: str | None, cookie_header: str | None) -> str | None:
        """"admin", "user" or None (not authenticated), following the server's scheme selection."""
        if self.api_key is None:
            return "admin"  # an open portal: nothing is checked
        session = cookie(cookie_header, "asc_auth_key")
        if session is not None:  # the cookie wins over the header
            return "admin" if self.session_ok(session) else None
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
            return "admin" if self.session_ok(token) else None
        if scheme.lower() == "basic":
            try:
                user, _, password = base64.b64decode(rest.strip(), validate=True).decode().partition(":")
            except (binascii.Error, UnicodeDecodeError):
                return None
            return "admin" if (user, password) == self.login else None
        # anything else (a bare "sk-…" too) goes to the cookie handler as a raw session token
        return "admin" if self.session_ok(authorization.strip()) else None

    def log_in(self, raw: bytes, *, now: float, host: str, href: str) -> Reply:
        """POST /api/2.0/authentication: a session token (and cookie), or a 2FA request."""
        try:
            data = json.loads(raw or b"{}")
        except ValueError:
            return problem("$", "The JSON value could not be parsed.")
        user = data.get("userName") if isinstance(data, dict) else None
        password = data.get("password") if isinstance(data, dict) else None
        if not user or not password:
            return error(400, "Empty userName or password.", "System.ArgumentException")
        if (user, password) != self.login:
            return error(401, "User authentication failed", None)
        if self.tfa:
            confirm = f"http://{host}/confirm/TfaAuth?type=TfaAuth&key={uuid.uuid4().hex}"
            return envelope({"sms": False, "tfa": True, "confirmUrl": confirm}, href=href, method="POST")
        token = self.new_session()
        expires = datetime.fromtimestamp(now, UTC) + timedelta(days=20)
        reply = envelope({"token": token, "expires": f"{stamp(expires)}.0000000+00:00", "sms": False,
                          "tfa": False}, href=href, method="POST")
        reply.headers = {"Set-Cookie": f"asc_auth_key={token}; path=/; HttpOnly; SameSite=Lax"}
        return reply

    def profile(self, who: str | None) -> dict[str, Any]:
        """GET /api/2.0/people/@self: who the credentials belong to."""
        admin = who == "admin"
        return {"id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{ALIAS}/{who}")),
                "userName": "admin" if admin else "user", "displayName": "Demo Admin" if admin else "Demo User",
                "email": self.login[0] if admin else "user@example.com", "isAdmin": admin, "isOwner": admin}
