"""The HTTP answers beside the pages, ``/healthz`` and ``/metrics``: decided here, the same for the app
(Starlette routes, :mod:`lib.ui.server`) and the headless watcher (``--health-port``, :mod:`lib.watching.cli`),
whose servers only carry them. Machine text, in English; never a key, a password or a webhook address.
"""

from __future__ import annotations

import hmac
import json
from dataclasses import dataclass, field
from typing import Any

from lib.settings.config import AppConfig
from lib.watching import metrics
from lib.watching.duty import OnDuty

JSON = "application/json"
PATHS = ("/healthz", "/metrics")


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes
    content_type: str = JSON
    headers: dict[str, str] = field(default_factory=dict)


def answer(path: str, config: AppConfig | None, duty: OnDuty | None, authorization: str | None,
           now: float) -> Reply:
    """The reply to ``GET path``. ``config``/``duty`` None: the settings could not be read."""
    if config is None or duty is None:
        return _json(503, {"status": "failing", "watching": False,
                           "reason": "the settings could not be read: open the app to see the mistake"})
    if path == "/healthz":
        status, body = duty.health(names=not config.gated)
        return _json(status, body)
    if path == "/metrics":
        return _metrics(config, duty, authorization, now)
    return _json(404, {"reason": "not found"})


def _metrics(config: AppConfig, duty: OnDuty, authorization: str | None, now: float) -> Reply:
    if not config.metrics:
        return _json(404, {"reason": "metrics are off: set enabled = true in [metrics]"})
    if config.metrics_token is not None and not hmac.compare_digest(
            (authorization or "").encode(), f"Bearer {config.metrics_token}".encode()):
        return Reply(401, json.dumps({"reason": "a bearer token is needed"}).encode(), JSON,
                     {"WWW-Authenticate": 'Bearer realm="metrics"'})
    store = duty.store
    copy = metrics.Copy(config, duty, duty.watcher is not None, (store.pending, *store.writes))
    return Reply(200, metrics.render(copy, now), metrics.CONTENT_TYPE)


def _json(status: int, body: dict[str, Any]) -> Reply:
    return Reply(status, json.dumps(body).encode())
