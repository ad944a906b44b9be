"""Run `maskwatch serve` as a real process on a free port (for the end-to-end test and benchmarks)."""

from __future__ import annotations

import os
import socket
import ssl
import subprocess
import sys
import time
import urllib.request
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServedApp:
    """`maskwatch serve` with its instance folder in `instance`; env adds or overrides variables.

    Example: with ServedApp(tmp) as server: urllib.request.urlopen(server.url + "/api/health")
    """

    def __init__(self, instance: Path, env: dict | None = None, timeout: float = 120.0, https: bool = False):
        self.port = free_port()
        self.https = https
        self.url = f"{'https' if https else 'http'}://127.0.0.1:{self.port}"
        self.instance = Path(instance)
        self.env = {**os.environ, "MASKWATCH_INSTANCE": str(self.instance), "OMP_NUM_THREADS": "1", **(env or {})}
        self.timeout = timeout
        self.process: subprocess.Popen | None = None

    def __enter__(self):
        self.instance.mkdir(parents=True, exist_ok=True)
        self.log = (self.instance / "serve.log").open("wb")
        command = [sys.executable, "-m", "maskwatch.cli", "serve", "--host", "127.0.0.1", "--port", str(self.port)]
        self.process = subprocess.Popen(
            command + (["--https"] if self.https else []), env=self.env, stdout=self.log, stderr=subprocess.STDOUT
        )
        # only to see it is up; tests that care about the certificate check it themselves
        context = ssl._create_unverified_context() if self.https else None
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                with urllib.request.urlopen(self.url + "/api/health", timeout=2, context=context) as response:
                    if response.status == 200:
                        return self
            except OSError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.__exit__()
                raise RuntimeError(f"maskwatch serve did not come up; see {self.instance / 'serve.log'}")
            time.sleep(0.3)

    @property
    def app_pid(self) -> int:
        """The process that serves the app: gunicorn's worker, the one child of the master process."""
        master = self.process.pid
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    stat = (entry / "stat").read_text()
                except OSError:
                    continue
                if int(stat.rsplit(")", 1)[1].split()[1]) == master:
                    return int(entry.name)
        raise OSError(f"maskwatch serve ({master}) has no worker process")

    def rss_mb(self, field: str = "VmRSS", pid: int | None = None) -> float:
        """Resident memory in MB (Linux) of the worker that serves the app (or of `pid`); field="VmHWM" gives
        its peak so far."""
        for line in Path(f"/proc/{pid or self.app_pid}/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def __exit__(self, *exc):
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None
        self.log.close()
