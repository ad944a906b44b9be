"""Real services for the scale-out tests, started as plain processes: redis-server and `celery worker`
(the same commands docker-compose.yml runs). Redis comes from Debian (`make redis`)."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from .served import free_port

CELERY_APP = "maskwatch.jobs.celery_app:celery_app"


def redis_installed() -> bool:
    return shutil.which("redis-server") is not None


class RedisServer:
    """redis-server on 127.0.0.1:<free port>, nothing persisted. Example: with RedisServer(tmp) as r: r.url"""

    def __init__(self, base: Path):
        self.base = Path(base)
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def __enter__(self):
        self.base.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.base),
            ],
            stdout=(self.base / "redis.log").open("wb"),
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 15
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(16).startswith(b"+PONG"):
                        return self
            except OSError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.__exit__()
                raise RuntimeError(f"redis-server did not start; see {self.base / 'redis.log'}")
            time.sleep(0.1)

    def __exit__(self, *exc):
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            self.process = None


class CeleryWorker:
    """`celery -A maskwatch.jobs.celery_app:celery_app worker` in its own process group (so a test can
    kill the whole worker, pool processes included, as a machine dying would).

    Args: log (file), env (the environment: REDIS_URL, DATABASE_URL, MASKWATCH_INSTANCE, ...), name,
    concurrency (default 1), pool (default prefork).
    """

    def __init__(self, log: Path, env: dict, name: str = "w1", concurrency: int = 1, pool: str = "prefork"):
        self.log_path, self.env, self.name = Path(log), env, name
        self.args = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            CELERY_APP,
            "worker",
            "--loglevel=INFO",
            "-P",
            pool,
            "-c",
            str(concurrency),
            "-n",
            f"{name}@%h",
            "--without-gossip",
            "--without-mingle",
        ]
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 60.0) -> CeleryWorker:
        self.log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            self.args,
            env={**os.environ, "OMP_NUM_THREADS": "1", **self.env},
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while b" ready." not in self.log_path.read_bytes():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"celery worker did not start; see {self.log_path}")
            time.sleep(0.2)
        return self

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def kill(self) -> None:
        """SIGKILL the worker and its pool processes at once: nothing gets to clean up."""
        if self.process is not None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
            self.process = None
            self.log.close()

    def stop(self, timeout: float = 20.0) -> None:
        if self.process is None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)  # warm shutdown: running tasks finish or are requeued
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self.process = None
        self.log.close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
