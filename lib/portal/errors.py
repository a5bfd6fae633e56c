"""The ways talking to a portal can fail, each one plain sentence a viewer can act on.

Every error carries ``sentence`` (what happened) and ``advice`` (what to do). None of them ever
holds the API key: messages are built from our own words plus the host name, never from headers.
"""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar


class Category(StrEnum):
    """The kind of trouble, which decides the words and the badge; the class carries the detail."""

    UNREACHABLE = "unreachable"  # no usable answer: network, timeout, server error, 404, rate limit
    UNREADABLE = "unreadable"  # it answered, but with something this app cannot read
    AUTH = "not authorized"  # the key was refused, or it is not an admin's
    RESTORING = "restoring"  # the portal is locked by a restore
    MOVED = "moved"  # the address redirects


#: the label of a read time-out after which the next check waits longer: slow, not (yet) unreachable
SLOW = "slow to answer"


class DocSpaceError(Exception):
    """Base class: something stopped us from reading the portal."""

    category: ClassVar[Category] = Category.UNREACHABLE

    sentence = "The portal gave an answer we could not use."
    advice = "It will be retried automatically."
    #: an HTTP status, when there was one
    status: int | None = None
    #: seconds the portal asked us to wait (429/503 Retry-After), when it said
    retry_after: float | None = None
    #: short label for a timeline event or a health badge
    label = "error"

    def __init__(self, detail: str = "", *, status: int | None = None, retry_after: float | None = None):
        super().__init__(detail or self.sentence)
        self.detail = detail
        if status is not None:
            self.status = status
        if retry_after is not None:
            self.retry_after = retry_after

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.detail!r}, status={self.status!r})"

    @property
    def message(self) -> str:
        """One sentence for the viewer: what happened, then what to do."""
        return f"{self.sentence} {self.advice}"


class PortalUnreachable(DocSpaceError):
    """DNS failure, connection refused, TLS problem, timeout or a dropped connection."""

    sentence = "The portal is not answering."
    advice = "Check that the portal address is right and the portal is up; we keep trying."
    label = "unreachable"

    _reasons: ClassVar[dict[str, str]] = {
        "dns": "The portal's address could not be found (DNS).",
        "refused": "The portal refused the connection.",
        "tls": "The portal's secure connection (TLS certificate) could not be verified.",
        "timeout": "The portal did not answer in time.",
        "dropped": "The connection to the portal was cut off.",
    }

    def __init__(self, reason: str = "", detail: str = "", *, waited: float | None = None,
                 next_wait: float | None = None):
        """``waited``: the read timeout that ran out; ``next_wait``: the longer one the next check uses
        (None when the wait cannot grow any more)."""
        self.reason = reason
        self.sentence = self._reasons.get(reason, type(self).sentence)
        self.waited, self.next_wait = waited, next_wait
        if reason == "tls":
            self.advice = "Check the portal address (https) and its certificate; we keep trying."
        if reason == "timeout" and waited is not None:
            self.sentence = f"The portal did not answer within {waited:g} s."
            if next_wait is not None:
                # not yet "unreachable": a portal busy with a restore can be slow and healthy
                self.label = SLOW
                self.advice = f"It may be busy; the next check waits up to {next_wait:g} s."
        super().__init__(detail or self.sentence)


class Unauthorized(DocSpaceError):
    sentence = "The portal did not accept the API key."
    advice = ("Create a new admin API key in DocSpace and put it in the app's secrets "
              "(see 'API key' in docs/settings.md).")
    status = 401
    label = "not authorized"
    category = Category.AUTH


class Forbidden(DocSpaceError):
    sentence = "The API key belongs to someone who is not a portal admin."
    advice = "Use an API key created by a DocSpace owner or admin (see 'API key' in docs/settings.md)."
    status = 403
    label = "not authorized"
    category = Category.AUTH


class PortalRestoring(Forbidden):
    """403 with an empty body: DocSpace locks every backup endpoint while the portal restores."""

    sentence = "The portal is being restored; backups are unavailable until it finishes."
    advice = "Watch the restore on the Restore page."
    label = "restoring"
    category = Category.RESTORING


class PaymentRequired(DocSpaceError):
    sentence = "The portal's pricing plan does not allow this (payment required)."
    advice = "Ask the portal owner to check the DocSpace subscription."
    status = 402
    label = "payment required"


class NotFound(DocSpaceError):
    sentence = "The portal answered 'not found' (404)."
    advice = "This happens briefly during a restore; if it persists, check the portal address."
    status = 404
    label = "not found"


class RateLimited(DocSpaceError):
    sentence = "The portal asked us to slow down (too many requests)."
    advice = "We wait as long as it asks, then try again."
    status = 429
    label = "rate limited"


class ServerError(DocSpaceError):
    sentence = "The portal's server is having trouble (server error)."
    advice = "This is usually temporary; we keep trying."
    label = "server error"

    def __init__(self, detail: str = "", *, status: int | None = None, retry_after: float | None = None):
        super().__init__(detail, status=status, retry_after=retry_after)
        if status in (502, 503, 504):
            self.sentence = f"The portal's server is not available right now (error {status})."


class Redirected(DocSpaceError):
    """We never follow redirects: the key must only go to the configured host."""

    sentence = "The portal address redirects somewhere else."
    advice = "Put the final address (usually https://…) in the app's secrets."
    label = "redirect"
    category = Category.MOVED

    def __init__(self, location_host: str = "", *, status: int | None = None, moved_to: str = ""):
        """``moved_to``: the same host's https:// address, when that is where it points (the portal moved)."""
        self.location_host = location_host
        self.moved_to = moved_to
        if moved_to:
            self.sentence = f"The portal moved to {moved_to}."
            self.advice = "Change 'url' in the app's settings to that address."
            self.label = "moved to https"
        elif location_host:
            self.sentence = f"The portal address redirects to another address ({location_host})."
        super().__init__(self.sentence, status=status)


class UnexpectedResponse(DocSpaceError):
    """Not JSON, or JSON of a shape the contract does not allow."""

    sentence = "The portal answered, but with something this app cannot read."
    advice = "Check that the address points at a DocSpace portal; we keep trying."
    label = "bad answer"
    category = Category.UNREADABLE


class Recalled(DocSpaceError):
    """A failure another process recorded (the watcher), told again from the history database."""

    def __init__(self, category: Category, label: str, message: str, status: int | None = None):
        self.category = category  # type: ignore[misc]
        self.label = label
        self._message = message
        super().__init__(message, status=status)

    @property
    def message(self) -> str:
        return self._message
