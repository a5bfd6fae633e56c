"""The headless watcher: the same watching, recording and notifying as the app, without Streamlit.

    python -m lib.watch --secrets .streamlit/secrets.toml

For teams that want watching around the clock whatever happens to the app (Community Cloud sleeps
after 12 h without visitors): run this on a small server with ``[history] url`` pointing at a
PostgreSQL database, and give the app the same secrets with ``[history] watcher = "external"``, so it
only reads (without it, the app stands by and takes over when this stops: one copy per database
watches). It logs a line per phase and outcome (never per poll, never a key or a password) and stops
cleanly on Ctrl-C or SIGTERM, handing the watch over at once. ``--health-port`` serves ``/healthz`` (and
``/metrics``, when enabled) for uptime monitors and systemd or Kubernetes probes.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
import time
import tomllib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import FrameType
from typing import Any

from sqlalchemy.engine import make_url

from lib.db.store import HistoryStore
from lib.i18n import Msg
from lib.settings.config import AppConfig, load
from lib.settings.errors import ConfigError
from lib.watching.duty import OnDuty
from lib.watching.endpoints import answer

log = logging.getLogger("lib.watching.cli")


def read_settings(path: Path) -> AppConfig:
    """The app's own secrets file, validated the same way; a mistake is one sentence."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"The secrets file {path} could not be read ({exc.strerror or exc}).") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"The secrets file {path} is not valid TOML ({exc}).") from None
    config = load(raw)
    if config.demo:
        raise ConfigError(f"The secrets file {path} has no [portals.<name>] table: there is nothing to watch.")
    return config


def main(argv: list[str] | None = None, *, compose: Any = None) -> int:
    """``compose``: the weekly summary's content (:func:`lib.views.digest.compose`, which lib/watch.py gives:
    this layer may not import the views)."""
    parser = argparse.ArgumentParser(prog="python -m lib.watch", description=__doc__.split("\n\n")[0])
    parser.add_argument("--secrets", type=Path, required=True, help="the app's secrets.toml (portals, history, notify)")
    parser.add_argument("--verbose", action="store_true", help="also log each percent and each check")
    parser.add_argument("--health-port", type=int, help="serve /healthz (and /metrics) on this port")
    parser.add_argument("--health-address", default="127.0.0.1", help="the address for --health-port "
                        "(default 127.0.0.1; 0.0.0.0 for a probe from outside)")
    parser.add_argument("--send-digest", action="store_true", help="send the weekly email summary now to everyone "
                        "who gets it (unless it went to them this week) and stop")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO, stream=sys.stdout,
                        format="%(asctime)s %(levelname)s %(message)s")
    logging.getLogger("urllib3").setLevel(logging.WARNING)
    try:
        config = read_settings(args.secrets)
    except ConfigError as exc:
        log.error("%s", exc.message)
        return 2
    if args.send_digest:
        return _send_digest(config, compose)
    stopping = threading.Event()

    def stop(signum: int, _frame: FrameType | None) -> None:
        log.info("%s received: stopping", signal.Signals(signum).name)
        threading.Thread(target=stopping.set, daemon=True).start()  # never block inside a signal handler

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    store = HistoryStore(config.history_url)
    duty = OnDuty(config, store, role="headless", keep_days=config.keep_days, compose=compose)
    where = make_url(config.history_url)
    log.info("watching %d portal(s): %s; history in %s (%s)", len(config.portals),
             ", ".join(f"{p.name} ({p.host})" for p in config.portals), where.get_backend_name(),
             where.database if where.get_backend_name() == "sqlite" else where.host)
    log.info("checks every %g s while a job runs or someone looks, every %g s otherwise",
             config.refresh_seconds, config.idle_seconds)
    for note in config.notes:  # the settings check, said once
        log.info("settings: %s", note)
    duty.start()
    if not duty.lease.acting:
        log.info("another copy watches (see /healthz): this one stands by and takes over if it stops")
    server = _serve(args.health_address, args.health_port, config, duty) if args.health_port else None
    problem: Msg | None = None  # said only when it changes: a start with a healthy database says nothing
    while not stopping.wait(5.0):
        if store.problem != problem:
            problem = store.problem
            (log.warning if problem else log.info)("%s", problem or "history is being saved again")
    if server is not None:
        server.shutdown()
    duty.stop()
    store.close()
    log.info("stopped; %d change(s) still waiting for the database", store.pending)
    return 0


def _send_digest(config: AppConfig, compose: Any) -> int:
    """``--send-digest``: the weekly summary, now, once per week per recipient (as the watcher sends it)."""
    from lib.watching.counts import Counts
    from lib.watching.outbox import Outbox

    if config.mail is None or config.mail.smtp is None:
        log.error("there is no [email] host in the settings: nothing to send the summary with")
        return 2
    if compose is None:
        log.error("run it as python -m lib.watch --send-digest: that entry point gives the summary its content")
        return 2
    store = HistoryStore(config.history_url)
    try:
        counts = Counts()
        outbox = Outbox(config, store, compose=compose, counts=counts)
        sent = outbox.send_digest()
        failed = counts.delivered["email", False]  # each said in the log; the last may have gone after them
        log.info("weekly summary sent to %d recipient(s)%s", sent, f"; not sent to {failed}" if failed else "")
        return 0 if not failed else 1
    finally:
        store.close()


def _serve(address: str, port: int, config: AppConfig, duty: OnDuty) -> ThreadingHTTPServer:
    """/healthz and /metrics on a thread of their own (the answers are lib.watching.endpoints')."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            reply = answer(self.path.split("?")[0], config, duty, self.headers.get("Authorization"), time.time())
            self.send_response(reply.status)
            for name, value in {"Content-Type": reply.content_type, **reply.headers}.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            self.wfile.write(reply.body)

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: no line per probe."""

    server = ThreadingHTTPServer((address, port), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="health", daemon=True).start()
    log.info("/healthz on http://%s:%d", address, server.server_address[1])
    return server
