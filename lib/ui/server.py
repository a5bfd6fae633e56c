"""The app's server side: the watching starts with the server (``st.App``'s lifespan, once per process), and
``/healthz`` and ``/metrics`` are served beside the pages.

``streamlit run app.py`` runs no page before a visit, so without this nothing would be watched after a
start, a reboot or a redeploy until someone opened the page. The lifespan starts the same copy the
pages use (:func:`lib.ui.state.start`: one per process, in ``st.cache_resource``) and looks again every
:data:`KEEP_EVERY` seconds, so new secrets or "Clear cache" are followed with nobody looking too. On a
clean stop the copy hands the watch over at once.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from lib import clock
from lib.settings.config import AppConfig
from lib.settings.errors import ConfigError
from lib.ui import mailroutes, state
from lib.watching.duty import OnDuty
from lib.watching.endpoints import PATHS, answer

#: how often the server makes sure the watching runs for the current settings
KEEP_EVERY = 10.0
log = logging.getLogger("lib.ui.server")
_ours = threading.local()  # set while this module calls Streamlit from outside a page


class _OutsideAPage(logging.Filter):
    """Streamlit warns "missing ScriptRunContext" when its cache is used outside a page: here that is meant."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not getattr(_ours, "calling", False)


def current() -> tuple[AppConfig, OnDuty] | str:
    """The settings and this process's copy (started if it was not), or the settings' mistake."""
    _ours.calling = True
    try:
        config = state.read_config()
        return config, state.source_for(config)
    except ConfigError as exc:
        return exc.message
    finally:
        _ours.calling = False


def _keep(stopping: threading.Event) -> None:
    said = ""
    while True:
        found = current()
        problem = found if isinstance(found, str) else ""
        if problem != said:
            (log.warning if problem else log.info)("%s", f"not watching: {problem}" if problem else "watching")
            said = problem
        if stopping.wait(KEEP_EVERY):
            return


@asynccontextmanager
async def lifespan(_app: Any) -> AsyncIterator[None]:
    """From the server's start to its stop: watch, then hand the watch over."""
    logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").addFilter(_OutsideAPage())
    stopping = threading.Event()
    keeper = threading.Thread(target=_keep, args=(stopping,), name="watch-keeper", daemon=True)
    keeper.start()
    try:
        yield
    finally:
        stopping.set()
        await anyio.to_thread.run_sync(_stop, keeper)


def _stop(keeper: threading.Thread) -> None:
    keeper.join(KEEP_EVERY)
    state.stop_source()


async def _serve(request: Request) -> Response:
    authorization = request.headers.get("authorization")

    def reply() -> Any:
        found = current()
        config, duty = (None, None) if isinstance(found, str) else found
        return answer(request.url.path, config, duty, authorization, clock.now())

    result = await anyio.to_thread.run_sync(reply)
    return Response(result.body, status_code=result.status, media_type=result.content_type, headers=result.headers)


def routes() -> list[Route]:
    return [Route(path, _serve, methods=["GET"]) for path in PATHS] + mailroutes.routes(current)  # + the emails' links
