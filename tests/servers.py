"""Real server processes for the tests: the app as the README starts it (`streamlit run app.py`), and the
headless watcher (`python -m lib.watch`), each on its own secrets file, with its output kept."""

from __future__ import annotations

import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import requests

from tests.conftest import ROOT


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class AppServer:
    """`streamlit run app.py` on a free loopback port, with the given secrets file (or none: demo)."""

    def __init__(self, secrets: str | None, tmp: Path, port: int | None = None):
        """``port``: a port chosen beforehand (the secrets may name the app's own address)."""
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = tmp / f"streamlit-{self.port}.log"
        args = [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.headless", "true",
                "--server.port", str(self.port), "--server.address", "127.0.0.1",
                "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"]
        secrets_file = tmp / f"secrets-{self.port}.toml"
        secrets = secrets or ""
        if "[history]" not in secrets:  # never the developer's own history beside app.py
            secrets += f'\n[history]\nurl = "sqlite:///{tmp}/history-{self.port}.sqlite3"\n'
        secrets_file.write_text(secrets)
        args += ["--secrets.files", str(secrets_file)]
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self._out = open(self.log, "w")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(args, cwd=tmp, stdout=self._out, stderr=subprocess.STDOUT, env=env)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if requests.get(self.url + "/_stcore/health", timeout=1).text == "ok":
                    return
            except requests.RequestException:
                pass
            if self.proc.poll() is not None:
                break
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"streamlit did not start: {self.log.read_text()[-2000:]}")

    @property
    def pid(self) -> int:
        return self.proc.pid

    def health(self) -> tuple[int, dict[str, Any]]:
        """``GET /healthz``: the status and the JSON (a page of HTML here would fail the test)."""
        reply = requests.get(self.url + "/healthz", timeout=10)
        return reply.status_code, reply.json()

    def output(self) -> str:
        if not self._out.closed:
            self._out.flush()
        return self.log.read_text()

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)
        if not self._out.closed:
            self._out.close()


class Cli:
    """`python -m lib.watch` in a child process; its log lines arrive on a queue as they are written."""

    def __init__(self, secrets: Path, *args: str):
        self.proc = subprocess.Popen([sys.executable, "-m", "lib.watch", "--secrets", str(secrets), *args], cwd=ROOT,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                     env={**os.environ, "PYTHONUNBUFFERED": "1"})
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    @property
    def pid(self) -> int:
        return self.proc.pid

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))

    def wait_for(self, words: str, timeout: float = 60.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                break
            self.seen.append(line)
            if words in line:
                return line
        raise AssertionError(f"no line with {words!r} in:\n" + "\n".join(self.seen))

    def stop(self, sig: int = signal.SIGTERM) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        code = self.proc.wait(30)
        while not self.lines.empty():
            self.seen.append(self.lines.get())
        return code


def wait_until(check: Any, what: str, timeout: float = 60.0, every: float = 0.2) -> Any:
    """Poll ``check`` until it returns something true; fail with ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        try:
            last = check()
        except (requests.RequestException, OSError, ValueError) as exc:
            last = exc
        else:
            if last:
                return last
        time.sleep(every)
    raise AssertionError(f"{what} (last seen: {last!r})")
