"""A throw-away MariaDB server for tests, started as a plain process (no systemd): apt starts no services here."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pymysql

from .require import missing_service

USER, PASSWORD, DATABASE = "maskwatch", "maskwatch-test", "maskwatch_test"


def mariadb_installed() -> bool:
    return all(shutil.which(name) for name in ("mariadbd", "mariadb-install-db", "mariadb-admin", "mariadb"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class MariaDBServer:
    """mariadbd on 127.0.0.1:<free port> with its data in `base`; a test user and database.

    start() initialises the data directory the first time only: stop() then start() again is the same
    server (same port, same data) coming back after an outage.
    Example: server = MariaDBServer(tmp); server.start(); url = server.fresh_database(); server.stop()
    """

    def __init__(self, base: Path):
        self.base = Path(base)
        self.port = free_port()
        self.socket = self.base / "mysqld.sock"
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 30.0) -> None:
        data = self.base / "data"
        first_start = not data.exists()
        if first_start:
            subprocess.run(
                ["mariadb-install-db", "--no-defaults", "--user=root", f"--datadir={data}", "--skip-test-db"],
                check=True,
                capture_output=True,
            )
        self.process = subprocess.Popen(
            [
                "mariadbd",
                "--no-defaults",
                "--user=root",
                f"--datadir={data}",
                f"--socket={self.socket}",
                f"--port={self.port}",
                "--bind-address=127.0.0.1",
                f"--pid-file={self.base / 'mysqld.pid'}",
                "--skip-name-resolve",
                "--character-set-server=utf8mb4",
                "--collation-server=utf8mb4_unicode_ci",
                "--innodb-buffer-pool-size=32M",
                "--innodb-flush-log-at-trx-commit=0",
            ],
            stdout=subprocess.DEVNULL,
            stderr=(self.base / "mysqld.log").open("ab"),
        )
        deadline = time.monotonic() + timeout
        while (
            subprocess.run(
                ["mariadb-admin", "--no-defaults", f"--socket={self.socket}", "-uroot", "ping"], capture_output=True
            ).returncode
            != 0
        ):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"mariadbd did not start; see {self.base / 'mysqld.log'}")
            time.sleep(0.2)
        if first_start:
            self.sql_as_root(
                f"CREATE USER '{USER}'@'127.0.0.1' IDENTIFIED BY '{PASSWORD}'; "
                f"GRANT ALL ON `{DATABASE}`.* TO '{USER}'@'127.0.0.1';"
            )

    def sql_as_root(self, sql: str) -> None:
        subprocess.run(
            ["mariadb", "--no-defaults", f"--socket={self.socket}", "-uroot", "-e", sql],
            check=True,
            capture_output=True,
        )

    def fresh_database(self) -> str:
        """Drop and recreate the test database; returns its SQLAlchemy URL."""
        connection = pymysql.connect(host="127.0.0.1", port=self.port, user=USER, password=PASSWORD)
        try:
            with connection.cursor() as cursor:
                cursor.execute(f"DROP DATABASE IF EXISTS {DATABASE}")
                cursor.execute(f"CREATE DATABASE {DATABASE}")
        finally:
            connection.close()
        return f"mysql+pymysql://{USER}:{PASSWORD}@127.0.0.1:{self.port}/{DATABASE}?charset=utf8mb4"

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, timeout: float = 15.0) -> None:
        """Shut the server down (SIGTERM: clean, its data kept for the next start())."""
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None


@contextmanager
def started_mariadb(base: Path) -> Iterator[MariaDBServer]:
    """A MariaDBServer running for the `with` block; skips (or fails, when MASKWATCH_REQUIRE_MARIADB=1) without it."""
    if not mariadb_installed():
        missing_service("MariaDB is not installed (apt-get install mariadb-server)", "MASKWATCH_REQUIRE_MARIADB")
    server = MariaDBServer(base)
    server.start()
    try:
        yield server
    finally:
        server.stop()
