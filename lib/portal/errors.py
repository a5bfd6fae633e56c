"""The ways talking to a portal can fail, each one plain sentence a viewer can act on.

Every error carries ``sentence`` (what happened) and ``advice`` (what to do), each a :class:`Msg`
said later in the reader's language. None of them ever holds the API key: messages are built from our
own words plus the host name, never from headers.
"""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar

from lib.i18n import M_, N_, Duration, Msg


class Category(StrEnum):
    """The kind of trouble, which decides the words and the badge; the class carries the detail."""

    UNREACHABLE = "unreachable"  # no usable answer: network, timeout, server error, 404, rate limit
    UNREADABLE = "unreadable"  # it answered, but with something this app cannot read
    AUTH = "not authorized"  # the key was refused, or it is not an admin's
    RESTORING = "restoring"  # the portal is locked by a restore
    MOVED = "moved"  # the address redirects


#: the label of a read time-out after which the next check waits longer: slow, not (yet) unreachable
SLOW = N_("slow to answer")


class DocSpaceError(Exception):
    """Base class: something stopped us from reading the portal."""

    category: ClassVar[Category] = Category.UNREACHABLE

    sentence = M_("The portal gave an answer we could not use.")
    advice = M_("It will be retried automatically.")
    #: an HTTP status, when there was one
    status: int | None = None
    #: seconds the portal asked us to wait (429/503 Retry-After), when it said
    retry_after: float | None = None
    #: short label for a timeline event or a health badge
    label = N_("error")

    def __init__(self, detail: str = "", *, status: int | None = None, retry_after: float | None = None):
        super().__init__(detail or str(self.sentence))
        self.detail = detail
        if status is not None:
            self.status = status
        if retry_after is not None:
            self.retry_after = retry_after

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.detail!r}, status={self.status!r})"

    @property
    def message(self) -> Msg:
        """What happened, then what to do, said in the reader's language."""
        return M_("{sentence} {advice}", sentence=self.sentence, advice=self.advice)


class PortalUnreachable(DocSpaceError):
    """DNS failure, connection refused, TLS problem, timeout or a dropped connection."""

    sentence = M_("The portal is not answering.")
    advice = M_("Check that the portal address is right and the portal is up; we keep trying.")
    label = N_("unreachable")

    _reasons: ClassVar[dict[str, Msg]] = {
        "dns": M_("The portal's address could not be found (DNS)."),
        "refused": M_("The portal refused the connection."),
        "tls": M_("The portal's secure connection (TLS certificate) could not be verified."),
        "timeout": M_("The portal did not answer in time."),
        "dropped": M_("The connection to the portal was cut off."),
    }

    def __init__(self, reason: str = "", detail: str = "", *, waited: float | None = None,
                 next_wait: float | None = None):
        """``waited``: the read timeout that ran out; ``next_wait``: the longer one the next check uses
        (None when the wait cannot grow any more)."""
        self.reason = reason
        self.sentence = self._reasons.get(reason, type(self).sentence)
        self.waited, self.next_wait = waited, next_wait
        if reason == "tls":
            self.advice = M_("Check the portal address (https) and its certificate; we keep trying.")
        if reason == "timeout" and waited is not None:
            self.sentence = M_("The portal did not answer within {waited}.", waited=Duration(waited))
            if next_wait is not None:
                # not yet "unreachable": a portal busy with a restore can be slow and healthy
                self.label = SLOW
                self.advice = M_("It may be busy; the next check waits up to {wait}.", wait=Duration(next_wait))
        super().__init__(detail or str(self.sentence))


class Unauthorized(DocSpaceError):
    sentence = M_("The portal did not accept the API key.")
    advice = M_("Create a new admin API key in DocSpace and put it in the app's secrets "
                "(see 'API key' in docs/settings.md).")
    status = 401
    label = N_("not authorized")
    category = Category.AUTH


class Forbidden(DocSpaceError):
    sentence = M_("The API key belongs to someone who is not a portal admin.")
    advice = M_("Use an API key created by a DocSpace owner or admin (see 'API key' in docs/settings.md).")
    status = 403
    label = N_("not authorized")
    category = Category.AUTH


class PortalRestoring(Forbidden):
    """403 with an empty body: DocSpace locks every backup endpoint while the portal restores."""

    sentence = M_("The portal is being restored; backups are unavailable until it finishes.")
    advice = M_("Watch the restore on the Restore page.")
    label = N_("restoring")
    category = Category.RESTORING


class PaymentRequired(DocSpaceError):
    """402: DocSpace's payment filter, on the endpoints a portal that is not paid for may not use (the
    backup list and schedule, the audit trail); progress endpoints stay open."""

    sentence = M_("This portal's plan does not include backups.")
    advice = M_("Ask the portal's owner to check its DocSpace plan; restores are still watched.")
    status = 402
    label = N_("not in the plan")


class NotFound(DocSpaceError):
    sentence = M_("The portal answered 'not found' (404).")
    advice = M_("This happens briefly during a restore; if it persists, check the portal address.")
    status = 404
    label = N_("not found")


class RateLimited(DocSpaceError):
    sentence = M_("The portal asked us to slow down (too many requests).")
    advice = M_("We wait as long as it asks, then try again.")
    status = 429
    label = N_("rate limited")


class ServerError(DocSpaceError):
    sentence = M_("The portal's server is having trouble (server error).")
    advice = M_("This is usually temporary; we keep trying.")
    label = N_("server error")

    def __init__(self, detail: str = "", *, status: int | None = None, retry_after: float | None = None):
        super().__init__(detail, status=status, retry_after=retry_after)
        if status in (502, 503, 504):
            self.sentence = M_("The portal's server is not available right now (error {status}).", status=str(status))


class Redirected(DocSpaceError):
    """We never follow redirects: the key must only go to the configured host."""

    sentence = M_("The portal address redirects somewhere else.")
    advice = M_("Put the final address (usually https://…) in the app's secrets.")
    label = N_("redirect")
    category = Category.MOVED

    def __init__(self, location_host: str = "", *, status: int | None = None, moved_to: str = ""):
        """``moved_to``: the same host's https:// address, when that is where it points (the portal moved)."""
        self.location_host = location_host
        self.moved_to = moved_to
        if moved_to:
            self.sentence = M_("The portal moved to {address}.", address=moved_to)
            self.advice = M_("Change 'url' in the app's settings to that address.")
            self.label = N_("moved to https")
        elif location_host:
            self.sentence = M_("The portal address redirects to another address ({host}).", host=location_host)
        super().__init__(str(self.sentence), status=status)


class UnexpectedResponse(DocSpaceError):
    """Not JSON, or JSON of a shape the contract does not allow."""

    sentence = M_("The portal answered, but with something this app cannot read.")
    advice = M_("Check that the address points at a DocSpace portal; we keep trying.")
    label = N_("bad answer")
    category = Category.UNREADABLE


class Recalled(DocSpaceError):
    """A failure another process recorded (the watcher), told again from the history database."""

    def __init__(self, category: Category, label: str, message: Msg, status: int | None = None):
        self.category = category  # type: ignore[misc]
        self.label = label
        self._message = message
        super().__init__(str(message), status=status)

    @property
    def message(self) -> Msg:
        return self._message
