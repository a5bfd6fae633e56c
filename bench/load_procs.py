"""Processes for the load tool: the simulated portal, the real app, and what /proc says about them."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
API_KEY = "sk-" + "0123456789abcdef" * 4
CLK_TCK = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get_json(url: str, timeout: float = 5.0):
    with urllib.request.urlopen(url, timeout=timeout) as reply:
        return json.loads(reply.read())


def wait_until(check, what: str, timeout: float = 60.0, proc: subprocess.Popen | None = None,
               log: Path | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except OSError:
            pass
        if proc is not None and proc.poll() is not None:
            break
        time.sleep(0.2)
    tail = log.read_text()[-2000:] if log is not None and log.exists() else ""
    raise RuntimeError(f"{what} did not start{': ' + tail if tail else ''}")


#: the restore's percent moves (10 → 75) between these scenario seconds (simulator/engine.py, speed 1)
MOVING = (60.0, 420.0)


def portal_speed(run_seconds: float) -> float:
    """A speed at which the restore's moving phase lasts the whole run (1 = the 10-minute restore)."""
    return min(1.0, (MOVING[1] - MOVING[0] - 10) / max(run_seconds, 1.0))


class Portal:
    """The simulated portal in its own process (its work is not charged to the app or the client),
    already ``skip`` scenario-seconds into its restore, so a run starts where the percent moves."""

    def __init__(self, tmp: Path, speed: float, skip: float = MOVING[0] + 5):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = tmp / "simulator.log"
        self._out = open(self.log, "w")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bench.load_procs", "--port", str(self.port), "--speed", f"{speed:g}",
             "--skip", f"{skip:g}"], cwd=ROOT, stdout=self._out, stderr=subprocess.STDOUT)
        wait_until(lambda: "count" in get_json(self.url + "/_sim/requests"), "the simulator", 30, self.proc,
                   self.log)

    def requests(self, path: str = "") -> int:
        return int(get_json(f"{self.url}/_sim/requests?path={path}")["count"])

    def stop(self) -> None:
        _stop(self.proc)
        self._out.close()


class App:
    """``streamlit run app.py`` on a free loopback port, its secrets pointing at the portal."""

    def __init__(self, tmp: Path, portal_url: str, interval: float, server_args: list[str]):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = tmp / "streamlit.log"
        secrets = tmp / "secrets.toml"
        secrets.write_text(f'[portals.prod]\nurl = "{portal_url}"\napi_key = "{API_KEY}"\nlabel = "Production"\n\n'
                           f"[monitor]\nrefresh_seconds = {interval:g}\n\n"
                           f'[history]\nurl = "sqlite:///{tmp}/history.sqlite3"\n')
        args = [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.headless", "true",
                "--server.port", str(self.port), "--server.address", "127.0.0.1",
                "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none",
                "--secrets.files", str(secrets), *server_args]
        self._out = open(self.log, "w")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(args, cwd=tmp, stdout=self._out, stderr=subprocess.STDOUT,
                                     env={**os.environ, "PYTHONUNBUFFERED": "1"})
        self.pid = self.proc.pid

        def healthy() -> bool:
            with urllib.request.urlopen(self.url + "/_stcore/health", timeout=1) as reply:
                return reply.read() == b"ok"

        wait_until(healthy, "streamlit", 60, self.proc, self.log)

    def output(self) -> str:
        self._out.flush()
        return self.log.read_text()

    def stop(self) -> None:
        _stop(self.proc)
        self._out.close()


def _stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


def cpu_seconds(pid: int | None = None) -> float:
    """User + system CPU time of a process (this one by default), from /proc/<pid>/stat."""
    path = f"/proc/{pid}/stat" if pid else "/proc/self/stat"
    with open(path) as f:
        fields = f.read().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime, stime


def tree_cpu_seconds(root: int, exclude: set[int]) -> float:
    """CPU time of ``root`` and its living descendants, leaving out the ``exclude`` subtrees (for the
    client: this process, and in browser mode Playwright's driver and Chromium, not the app)."""
    parents: dict[int, int] = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/stat") as f:
                    parents[int(name)] = int(f.read().rpartition(")")[2].split()[1])
            except OSError:
                continue
    total, todo = 0.0, [root]
    while todo:
        pid = todo.pop()
        if pid in exclude:
            continue
        try:
            total += cpu_seconds(pid)
        except OSError:
            continue
        todo.extend(child for child, parent in parents.items() if parent == pid)
    return total


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def threads(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/task"))


def machine_busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine, all cores, from /proc/stat."""
    with open("/proc/stat") as f:
        values = [int(v) for v in f.readline().split()[1:]]
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    total = sum(values[:8])
    return (total - idle) / CLK_TCK, total / CLK_TCK


class Sample:
    """CPU counters at one moment: the app, the simulator, this process, the machine."""

    def __init__(self, app_pid: int, sim_pid: int):
        self.at = time.monotonic()
        self.app = cpu_seconds(app_pid)
        self.sim = cpu_seconds(sim_pid)
        self.client = tree_cpu_seconds(os.getpid(), {app_pid, sim_pid})
        self.busy, self.total = machine_busy()


def serve_portal(argv: list[str] | None = None) -> None:
    """``python -m bench.load_procs``: the simulator's restore, started ``--skip`` scenario-seconds ago."""
    import argparse
    import signal

    from simulator import Simulator

    parser = argparse.ArgumentParser(description=serve_portal.__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--speed", type=float, default=1.0)
    parser.add_argument("--skip", type=float, default=0.0, help="scenario seconds already gone")
    args = parser.parse_args(argv)
    offset = [0.0]
    sim = Simulator("restore", speed=args.speed, api_key=API_KEY, port=args.port,
                    clock=lambda: time.time() + offset[0])
    offset[0] = args.skip / args.speed  # the job started at construction; move the clock past its start
    sim.start()
    print(f"restore at speed {args.speed:g}, {args.skip:g} s in, on {sim.url}", flush=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        while True:
            time.sleep(3600)
    finally:
        sim.stop()


if __name__ == "__main__":
    serve_portal()
