"""Streamlit's browser protocol, as the 1.67 frontend speaks it, for the load tool (bench/load.py).

Read from the installed package: ``web/server/starlette/starlette_websocket.py`` (the endpoint
``/_stcore/stream``; the Sec-WebSocket-Protocol header carries ``streamlit``, then the XSRF token or
``PLACEHOLDER_AUTH_TOKEN``, then the last session id on a reconnect), ``runtime/app_session.py`` and the
compiled frontend ``static/static/js/index.*.js`` (``sendRerunBackMsg``, ``handleAutoRerun``,
``handleNewSession``, the ``ForwardMessageCache`` class), and checked against the frames a real
Chromium tab sends (see ``--browser``). What a tab does:

* first run: ``rerun_script`` with the query string, an empty ``widget_states``, no page hash and a
  ``context_info`` (time zone, its offset, locale, URL, embedded, colour scheme);
* every ForwardMsg with ``metadata.cacheable`` is kept in a message cache, and every rerun lists the
  cached hashes so the server can answer with a ``ref_hash`` instead of the element;
* ``auto_rerun`` (interval, fragment id) starts a ``setInterval``: a fixed-rate timer that sends a
  rerun with that fragment id and ``is_auto_rerun`` whether or not the last tick has finished. A
  ``new_session`` of a full run (no fragment ids) clears every timer; the same interval again is a
  no-op;
* each rerun carries the current value of every widget on the page (defaults included), the page's
  script hash (from ``navigation``, else ``new_session``) and the query string (updated by ``page_info_changed``).

:class:`Tracker` turns one session's traffic into ticks (request → ``script_finished``), bytes and
errors, whoever produces the traffic: :class:`ProtocolViewer` here, or a Chromium tab's websocket
frames (bench/load_browser.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ClientState_pb2 import ContextInfo
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

FINISHED_EARLY = ForwardMsg.FINISHED_EARLY_FOR_RERUN
COMPILE_ERROR = ForwardMsg.FINISHED_WITH_COMPILE_ERROR
SUBPROTOCOLS = ["streamlit", "PLACEHOLDER_AUTH_TOKEN"]  # what a tab sends without an XSRF cookie


class MessageCache:
    """The frontend's ForwardMessageCache: hashes of cacheable messages, aged by script runs."""

    def __init__(self) -> None:
        self.run_count = 0
        self.entries: dict[str, tuple[int, str]] = {}  # hash -> (run count when last used, fragment id)

    def on_message(self, msg: ForwardMsg) -> str | None:
        """Remember a cacheable message; a reference to one we do not hold is a protocol error."""
        if msg.WhichOneof("type") == "ref_hash":
            if msg.ref_hash not in self.entries:
                return f"cache miss for ref_hash {msg.ref_hash}"
            self.entries[msg.ref_hash] = (self.run_count, self.entries[msg.ref_hash][1])
        elif msg.metadata.cacheable and msg.hash and msg.hash not in self.entries:
            frag = msg.delta.fragment_id if msg.WhichOneof("type") == "delta" else ""
            self.entries[msg.hash] = (self.run_count, frag)
        return None

    def on_run_finished(self, max_age: int, fragment_ids: list[str]) -> None:
        self.run_count += 1
        for key, (used, frag) in list(self.entries.items()):
            if fragment_ids and (not frag or frag not in fragment_ids):
                continue
            if self.run_count - used > max_age:
                del self.entries[key]

    def hashes(self) -> list[str]:
        return list(self.entries)


def widget_state(element) -> WidgetState | None:
    """The value a tab reports for a widget it has just drawn (its default, or a value the script set)."""
    kind = element.WhichOneof("type")
    w = getattr(element, kind, None) if kind else None
    if w is None or not getattr(w, "id", ""):
        return None
    state = WidgetState(id=w.id)
    if kind == "checkbox":
        state.bool_value = w.value if w.set_value else w.default
    elif kind in ("selectbox", "radio"):
        if w.set_value:
            state.string_value = w.raw_value
        elif w.HasField("default") and 0 <= w.default < len(w.options):
            state.string_value = w.options[w.default]
        else:
            return None
    elif kind == "multiselect":
        state.string_array_value.data.extend(
            w.raw_values if w.set_value else [w.options[i] for i in w.default if 0 <= i < len(w.options)])
    elif kind == "slider":
        if w.options:  # select_slider: the labels
            state.string_array_value.data.extend(
                w.raw_value if w.set_value else [w.options[int(i)] for i in w.default])
        else:
            state.double_array_value.data.extend(w.value if w.set_value else w.default)
    elif kind in ("text_input", "text_area"):
        state.string_value = w.value if w.set_value else w.default
    elif kind == "number_input":
        value = w.value if w.set_value else w.default
        if w.data_type == 0:  # INT
            state.int_value = int(value)
        else:
            state.double_value = value
    else:
        return None  # buttons and the like report nothing until pressed
    return state


@dataclass
class Tick:
    sent: float
    finished: float
    fragment: bool  # a fragment (timer) run, not a full run


@dataclass
class Tracker:
    """One session's traffic, fed with both directions' frames and a monotonic time for each."""

    ticks: list[Tick] = field(default_factory=list)
    runs: list[tuple[float, int, bool]] = field(default_factory=list)  # (finished at, bytes, fragment run)
    errors: list[tuple[float, str]] = field(default_factory=list)
    runs_without_progress: int = 0
    coalesced: int = 0  # requests that joined a run another request had already asked for
    fragment_id: str = ""
    interval: float = 0.0
    page_script_hash: str = ""
    query_string: str = ""
    max_cached_message_age: int = 2
    cache: MessageCache = field(default_factory=MessageCache)
    widgets: dict[str, tuple[WidgetState, str]] = field(default_factory=dict)  # id -> (state, fragment)
    _pending: list[tuple[float, bool]] = field(default_factory=list)
    _in_run: list[tuple[float, bool]] = field(default_factory=list)
    _run_bytes: int = 0
    _run_progress: bool = False
    _run_widgets: set[str] = field(default_factory=set)
    _navigation: bool = False
    timers_cleared: bool = False  # set on a full run's new_session; the driver clears its timers

    def on_sent(self, data: bytes, at: float) -> None:
        msg = BackMsg()
        msg.ParseFromString(data)
        if msg.WhichOneof("type") == "rerun_script":
            self._pending.append((at, bool(msg.rerun_script.fragment_id)))

    def on_received(self, data: bytes, at: float) -> ForwardMsg:
        msg = ForwardMsg()
        msg.ParseFromString(data)
        kind = msg.WhichOneof("type")
        self._run_bytes += len(data)  # a run's bytes: all that arrived since the last run finished
        miss = self.cache.on_message(msg)
        if miss:
            self.errors.append((at, miss))
        if kind == "new_session":
            self._on_new_session(msg, at)
        elif kind == "delta":
            self._on_delta(msg, at)
        elif kind == "script_finished":
            self._on_finished(msg, at)
        elif kind == "navigation" and msg.navigation.page_script_hash:
            self._navigation = True
            self.page_script_hash = msg.navigation.page_script_hash
        elif kind == "page_info_changed":
            self.query_string = msg.page_info_changed.query_string
        elif kind == "auto_rerun" and msg.auto_rerun.fragment_id:
            self.fragment_id, self.interval = msg.auto_rerun.fragment_id, msg.auto_rerun.interval
        elif kind == "session_event" and msg.session_event.HasField("script_compilation_exception"):
            self.errors.append((at, "script compilation error: "
                                + msg.session_event.script_compilation_exception.message[:200]))
        elif kind == "page_not_found":
            self.errors.append((at, "page not found"))
        return msg

    def _on_new_session(self, msg: ForwardMsg, at: float) -> None:
        if not self._navigation:  # with st.navigation the page's hash comes in `navigation`
            self.page_script_hash = msg.new_session.page_script_hash
        if msg.new_session.HasField("config"):
            self.max_cached_message_age = msg.new_session.config.max_cached_message_age or 2
        if not msg.metadata.run.fragment_ids:
            self.timers_cleared = True
        # every request sent before this run began is served by it
        if self._pending:
            self.coalesced += max(0, len(self._pending) - 1)
        self._in_run, self._pending = self._in_run + self._pending, []
        self._run_progress = False
        self._run_widgets = set()

    def _on_delta(self, msg: ForwardMsg, at: float) -> None:
        delta = msg.delta
        if delta.WhichOneof("type") != "new_element":
            return
        element = delta.new_element
        kind = element.WhichOneof("type")
        if kind == "exception":
            self.errors.append((at, f"exception in the page: {element.exception.type}: "
                                    f"{element.exception.message[:200]}"))
        elif kind == "progress":
            self._run_progress = True
        state = widget_state(element)
        if state is not None:
            self.widgets[state.id] = (state, delta.fragment_id)
            self._run_widgets.add(state.id)

    def _on_finished(self, msg: ForwardMsg, at: float) -> None:
        status = msg.script_finished
        fragment_ids = list(msg.metadata.run.fragment_ids)
        if status == COMPILE_ERROR:
            self.errors.append((at, "script finished with a compile error"))
        if status == FINISHED_EARLY:
            return  # the same requests are served by the run that replaces this one
        fragment_run = bool(fragment_ids)
        for sent, _frag in self._in_run:
            self.ticks.append(Tick(sent, at, fragment_run))
        self._in_run = []
        self.runs.append((at, self._run_bytes, fragment_run))
        if not self._run_progress:
            self.runs_without_progress += 1
        self._run_bytes = 0
        # a tab forgets widgets that were not drawn again (in the fragment that ran, or anywhere)
        for wid, (_state, frag) in list(self.widgets.items()):
            if wid not in self._run_widgets and (not fragment_run or frag in fragment_ids):
                del self.widgets[wid]
        if msg.metadata.HasField("run"):
            self.cache.on_run_finished(self.max_cached_message_age, fragment_ids)

    def unfinished(self, before: float) -> int:
        """Requests sent before ``before`` that no run has finished yet."""
        return sum(1 for sent, _ in self._pending + self._in_run if sent < before)


def context_info(url: str, timezone: str, offset_minutes: int) -> ContextInfo:
    return ContextInfo(timezone=timezone, timezone_offset=offset_minutes, locale="en-US", url=url,
                       is_embedded=False, color_scheme="light")


def rerun_msg(tracker: Tracker, ctx: ContextInfo, fragment_id: str = "", first: bool = False) -> bytes:
    """The BackMsg a tab sends: a first run, or a timer tick of ``fragment_id``."""
    msg = BackMsg()
    rerun = msg.rerun_script
    rerun.query_string = tracker.query_string
    rerun.widget_states.SetInParent()
    if not first:
        rerun.widget_states.widgets.extend(state for state, _ in tracker.widgets.values())
        rerun.page_script_hash = tracker.page_script_hash
    if fragment_id:
        rerun.fragment_id = fragment_id
        rerun.is_auto_rerun = True
    rerun.cached_message_hashes.extend(tracker.cache.hashes())
    rerun.context_info.CopyFrom(ctx)
    return msg.SerializeToString()


class ProtocolViewer:
    """One viewer: a websocket session that behaves like a browser tab with the page open."""

    def __init__(self, base_url: str, query: str, timezone: str = "Europe/Berlin", offset_minutes: int = -60):
        self.ws_url = base_url.replace("http://", "ws://") + "/_stcore/stream"
        self.origin = base_url
        self.tracker = Tracker(query_string=query)
        self.ctx = context_info(base_url + "/", timezone, offset_minutes)
        self.connected_at: float | None = None
        self.closed_by_us = False
        self.dropped: str | None = None  # why the server side ended the session, if it did
        self.timer_lag: list[float] = []  # how late each timer fired (client overload shows here)
        self._ws = None
        self._timers: dict[str, tuple[float, asyncio.Task]] = {}
        self._stopped = False

    async def run(self) -> None:
        from websockets.asyncio.client import connect
        from websockets.exceptions import ConnectionClosed

        try:
            async with connect(self.ws_url, subprotocols=SUBPROTOCOLS, origin=self.origin, max_size=None,
                               open_timeout=60, ping_interval=None) as ws:
                self._ws = ws
                self.connected_at = time.monotonic()
                await self._send(rerun_msg(self.tracker, self.ctx, first=True))
                async for data in ws:
                    if isinstance(data, str):
                        self.tracker.errors.append((time.monotonic(), "text frame from the server"))
                        continue
                    self._on_message(data)
            if not self.closed_by_us:
                self.dropped = "the server closed the connection"
        except ConnectionClosed as exc:
            if not self.closed_by_us:
                self.dropped = f"connection lost: {exc}"
        except (TimeoutError, OSError) as exc:
            if not self.closed_by_us:
                self.dropped = f"cannot connect: {type(exc).__name__}: {exc}"
        finally:
            for _, task in self._timers.values():
                task.cancel()
            self._timers.clear()
            if self.dropped:
                self.tracker.errors.append((time.monotonic(), self.dropped))

    def stop_timers(self) -> None:
        """Stop ticking (the end of a measuring window) but stay connected, so ticks in flight finish."""
        self._stopped = True
        for _, task in self._timers.values():
            task.cancel()
        self._timers.clear()

    async def close(self) -> None:
        self.closed_by_us = True
        self.stop_timers()
        if self._ws is not None:
            await self._ws.close()

    def _on_message(self, data: bytes) -> None:
        msg = self.tracker.on_received(data, time.monotonic())
        if self.tracker.timers_cleared:
            self.tracker.timers_cleared = False
            for _, task in self._timers.values():
                task.cancel()
            self._timers.clear()
        kind = msg.WhichOneof("type")
        if kind == "auto_rerun" and msg.auto_rerun.fragment_id and not self._stopped:
            frag, interval = msg.auto_rerun.fragment_id, msg.auto_rerun.interval
            current = self._timers.get(frag)
            if current is None or current[0] != interval:
                if current is not None:
                    current[1].cancel()
                self._timers[frag] = (interval, asyncio.create_task(self._timer(frag, interval)))
        elif kind == "stop_auto_rerun":
            for frag in msg.stop_auto_rerun.fragment_ids:
                entry = self._timers.pop(frag, None)
                if entry is not None:
                    entry[1].cancel()

    async def _timer(self, fragment_id: str, interval: float) -> None:
        """setInterval: fixed rate from when the timer was armed; a late tick does not bunch up."""
        due = time.monotonic() + interval
        while True:
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            now = time.monotonic()
            self.timer_lag.append(now - due)
            await self._send(rerun_msg(self.tracker, self.ctx, fragment_id))
            due += interval
            if due < now:
                due = now + interval

    async def _send(self, data: bytes) -> None:
        from websockets.exceptions import ConnectionClosed

        self.tracker.on_sent(data, time.monotonic())
        with contextlib.suppress(ConnectionClosed):  # run() reports the closed connection
            await self._ws.send(data)
