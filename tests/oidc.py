"""A real OpenID Connect provider for the sign-in tests: tests/js/oidc_provider.mjs (npm's certified
`oidc-provider`) started with Node on a loopback port, and the app's [auth]/[access] secrets for it.

Without Node or `tests/js/node_modules` the sign-in tests skip on a laptop, but fail under CI=true:
`.ci/run` installs them (`npm ci --prefix tests/js`), so CI must prove the flows.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest
import requests

from tests.conftest import ROOT

JS = ROOT / "tests" / "js"
SCRIPT = JS / "oidc_provider.mjs"
CLIENT_ID = "docspace-monitor"
#: the test accounts the provider knows (see oidc_provider.mjs)
ALICE, BOB, CAROL = "alice@example.com", "bob@other.example", "carol@example.com"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def node_or_skip() -> str:
    """The node binary, once `npm ci --prefix tests/js` has run; otherwise skip (fail under CI)."""
    node = shutil.which("node")
    problem = None
    if node is None:
        problem = "Node.js is not installed (apt-get install nodejs npm)"
    elif not (JS / "node_modules" / "oidc-provider").is_dir():
        problem = "tests/js/node_modules is missing (run: npm ci --prefix tests/js)"
    if problem:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{problem}: CI must run the sign-in tests against a real OpenID Connect provider.")
        pytest.skip(f"{problem}; sign-in tests skipped locally.")
    return node


class OidcProvider:
    """oidc_provider.mjs on a free loopback port, with one confidential client for the app."""

    def __init__(self, redirect_uri: str, log: Path, port: int | None = None, client_secret: str | None = None):
        node = node_or_skip()
        self.port = port or free_port()
        self.issuer = f"http://127.0.0.1:{self.port}"
        self.metadata_url = f"{self.issuer}/.well-known/openid-configuration"
        self.client_secret = client_secret or secrets.token_urlsafe(24)
        self.log = log
        self._out = open(log, "w")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            # "--name=value": a value may start with "-" (token_urlsafe makes such secrets)
            [node, str(SCRIPT), f"--port={self.port}", f"--client-id={CLIENT_ID}",
             f"--client-secret={self.client_secret}", f"--redirect-uri={redirect_uri}"],
            cwd=JS, stdout=subprocess.PIPE, stderr=self._out, text=True)
        ready = threading.Event()
        threading.Thread(target=self._read, args=(ready,), daemon=True).start()
        deadline = time.monotonic() + 30
        try:
            while not ready.wait(0.1):
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("it printed no READY line")
            while time.monotonic() < deadline:
                try:
                    if requests.get(self.metadata_url, timeout=2).json().get("issuer") == self.issuer:
                        return
                except (requests.RequestException, json.JSONDecodeError):
                    pass
                time.sleep(0.1)
            raise RuntimeError("its discovery document did not answer")
        except RuntimeError as exc:
            self.stop()
            message = f"The OpenID Connect provider did not start ({exc}): {self.output()[-2000:]}"
            if os.environ.get("CI") == "true":
                pytest.fail(message)
            raise

    def _read(self, ready: threading.Event) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            if line.startswith("READY "):
                ready.set()
            try:
                self._out.write(line)
                self._out.flush()
            except ValueError:  # the log was closed by stop()
                return

    def output(self) -> str:
        return self.log.read_text() if self.log.exists() else ""

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        if not self._out.closed:
            self._out.close()


def auth_secrets(provider_port: int, client_secret: str, cookie_secret: str,
                 allow: tuple[str, ...] = (ALICE, "@example.com")) -> str:
    """The app's [auth] and [access] tables for the test provider.

    ``{port}`` is Streamlit's own placeholder: it fills in the port the app server listens on, so the
    secrets can be written before the app has started (and the provider started after it).
    """
    listed = ", ".join(json.dumps(a) for a in allow)
    return (f'[auth]\nredirect_uri = "http://127.0.0.1:{{port}}/oauth2callback"\n'
            f'cookie_secret = "{cookie_secret}"\nclient_id = "{CLIENT_ID}"\n'
            f'client_secret = "{client_secret}"\n'
            f'server_metadata_url = "http://127.0.0.1:{provider_port}/.well-known/openid-configuration"\n\n'
            f"[access]\nallow = [{listed}]\n")
