"""Notification channels: what a failed delivery says, and the Apprise channels ([notify] urls). The only
module that calls Apprise (which does HTTP of its own); a root helper, so that the settings can check a URL
and the portal client's webhook can say its failure the same way.

Apprise knows the long tail of places people read (Teams, Slack, Telegram, ntfy, email, Discord, …) from
one URL each. Here a URL is checked when the settings are read, named for people without its address
(it carries its token), and sent to with a deadline on the whole delivery: Apprise's own time-outs hold
per socket read, so a relay that trickles its answer would hold a delivery for as long as it trickles.
Each delivery runs on a thread of its own that is given up on at the deadline (at most a few per
channel are left waiting; past that a delivery fails at once until they end).

Apprise's log records are kept out of the app's log (they may name hosts and paths); the HTTP status a
failed delivery logs is read from the delivery's own records, so the failure can say it.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
from dataclasses import dataclass

import apprise

from lib.i18n import M_, Duration, Msg

#: a delivery's whole time, from the first byte sent to the last one read
DEADLINE = 15.0
#: deliveries past their deadline that may still be running per channel; beyond that one fails at once
STUCK_MAX = 3
_STATUS = re.compile(r"\berror=(\d{3})\b")


class ChannelFailed(Exception):
    """A notification channel (the webhook, an Apprise URL) did not take a message: it answered an HTTP
    status (``status``), did not answer in full within ``waited`` seconds, or could not be reached. Never
    the channel's address: it carries its token. :meth:`said` words it with the channel's name."""

    def __init__(self, *, status: int | None = None, waited: float | None = None, reached: bool = True):
        super().__init__(f"status={status} waited={waited} reached={reached}")
        self.status, self.waited, self.reached = status, waited, reached

    def said(self, channel: Msg) -> Msg:
        """``channel``: its name, a sentence's start ("The Slack webhook", "Notification channel 2 (Telegram)")."""
        if self.waited is not None:
            return M_("{channel} did not answer within {duration}.", channel=channel, duration=Duration(self.waited))
        if self.status is not None:
            return M_("{channel} answered HTTP {status}.", channel=channel, status=str(self.status))
        if not self.reached:
            return M_("{channel} could not be reached.", channel=channel)
        return M_("{channel} did not take the message.", channel=channel)


@dataclass(frozen=True)
class Service:
    """What an Apprise URL is, in words safe to show: the service's name ("Microsoft Teams", "JSON")."""

    name: str


def service(url: str) -> Service | None:
    """The service an Apprise URL names, or None when Apprise cannot use it (an unknown scheme, a bad token)."""
    if not isinstance(url, str) or not url.strip():
        return None
    plugin = apprise.Apprise.instantiate(url.strip())
    if plugin is None:
        return None
    name = str(getattr(plugin, "service_name", "") or plugin.__class__.__name__)
    return Service("Microsoft Teams" if "MSTeams" in name else name)


def channel_id(url: str) -> str:
    """A stable id for a channel, for its rows in the history database: a hash, never the address."""
    return "ch-" + hashlib.sha256(url.strip().encode()).hexdigest()[:12]


_log = logging.getLogger("apprise")
_log.propagate = False  # Apprise's own lines name hosts and paths: a failure is said here, by the channel's name
_stuck: dict[str, int] = {}
_stuck_lock = threading.Lock()


def send(url: str, title: str, body: str, deadline: float = DEADLINE) -> None:
    """Deliver one message, in full within ``deadline`` seconds, or raise :class:`ChannelFailed`."""
    key = channel_id(url)
    with _stuck_lock:
        if _stuck.get(key, 0) >= STUCK_MAX:
            raise ChannelFailed(waited=deadline)
    result: dict[str, object] = {}

    def deliver() -> None:
        said: list[str] = []
        try:
            # on this thread, with no deadline of Apprise's own (its executor is shared by every channel)
            box = apprise.Apprise(asset=apprise.AppriseAsset(async_mode=False, service_timeout=0))
            answer = box.notify(body=body, title=title, body_format=apprise.NotifyFormat.TEXT) \
                if box.add(url) else None
            result["ok"] = bool(answer)
            said = [str(entry.message) for entry in answer.logs()] if answer is not None else []
        except Exception:  # noqa: BLE001 - a plugin's own failure is this channel's failure
            result["ok"] = False
        finally:
            result["said"] = said
            with _stuck_lock:
                if result.get("late"):
                    _stuck[key] = max(0, _stuck.get(key, 1) - 1)

    worker = threading.Thread(target=deliver, name=f"channel-{key}", daemon=True)
    worker.start()
    worker.join(deadline)
    with _stuck_lock:
        if "said" not in result:  # (set before the worker looks at "late", under this lock)
            result["late"] = True
            _stuck[key] = _stuck.get(key, 0) + 1
            raise ChannelFailed(waited=deadline)
    if result.get("ok"):
        return
    said = " ".join(str(line) for line in result.get("said", []))  # type: ignore[union-attr]
    status = _STATUS.search(said)
    if status:
        raise ChannelFailed(status=int(status.group(1)))
    if "connection error" in said.lower() or "socket" in said.lower():
        raise ChannelFailed(reached=False)
    raise ChannelFailed()
