"""The sighting spool: people who could not be written because the database was unreachable wait in a
SQLite file of their own (instance/spool.sqlite3, apart from the main database even when that is SQLite
too) until it answers again. This module is the file and the thread that empties it; the flush into the
database is store.queries.write_spooled and the wiring is store.recording.

- Durable: WAL with synchronous=FULL, so a row is on disk (fsync'd) when put() returns; a killed
  process leaves it for the next one (or for another process sharing the instance folder).
- Bounded: at most max_rows; beyond that the oldest go, with a logged warning, and a 'dropped'
  counter kept in the same file.
- Exactly once: each row has a random spool_key that goes into sightings.spool_key (unique). The
  database insert skips keys already there and only then are the rows removed from the spool, so a
  crash between the two steps cannot count anybody twice.

Example:
    spool = SightingSpool(tmp / "spool.sqlite3", max_rows=1000)
    spool.put([SpooledSighting.of(SourceRef(3), person)]); rows = spool.oldest(500); spool.remove(rows)
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Callable, Iterable

log = logging.getLogger(__name__)
SPOOL_FILE = "spool.sqlite3"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sightings (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    spool_key TEXT NOT NULL UNIQUE,
    source_id INTEGER,
    source_kind TEXT,
    source_name TEXT,
    seen_at TEXT NOT NULL,
    ended_at TEXT NOT NULL,
    verdict TEXT NOT NULL,
    confidence REAL NOT NULL,
    frames_seen INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
INSERT OR IGNORE INTO counters VALUES ('rows', 0), ('dropped', 0);
-- the row count in O(1) for every process that shares the file
CREATE TRIGGER IF NOT EXISTS count_put AFTER INSERT ON sightings
    BEGIN UPDATE counters SET value = value + 1 WHERE name = 'rows'; END;
CREATE TRIGGER IF NOT EXISTS count_removed AFTER DELETE ON sightings
    BEGIN UPDATE counters SET value = value - 1 WHERE name = 'rows'; END;
"""
_COLUMNS = "spool_key, source_id, source_kind, source_name, seen_at, ended_at, verdict, confidence, frames_seen"


@dataclass(frozen=True)
class SourceRef:
    """The source sightings belong to, as far as it is known: `source_id` when that source exists, else
    the first source of (`kind`, `name`), created when missing; neither: the sightings are dropped.

    A live client that connects while the database is down has only its kind and name; they are
    resolved when its sightings are written. Example: SourceRef(3), SourceRef(kind="webcam", name="Door")
    """

    source_id: int | None = None
    kind: str | None = None
    name: str | None = None


@dataclass(frozen=True)
class SpooledSighting:
    """One person waiting for the database, with the key that makes its write happen once."""

    spool_key: str
    source: SourceRef
    seen_at: datetime
    ended_at: datetime
    verdict: str
    confidence: float
    frames_seen: int

    @classmethod
    def of(cls, source: SourceRef, person) -> "SpooledSighting":
        """From anything with seen_at, ended_at, verdict, confidence, frames_seen (tracking.PersonSighting)."""
        return cls(uuid.uuid4().hex, source, person.seen_at, person.ended_at, person.verdict,
                   float(person.confidence), int(person.frames_seen))

    def _values(self) -> tuple:
        return (self.spool_key, self.source.source_id, self.source.kind, self.source.name, self.seen_at.isoformat(),
                self.ended_at.isoformat(), self.verdict, self.confidence, self.frames_seen)

    @classmethod
    def _from_values(cls, row) -> "SpooledSighting":
        key, source_id, kind, name, seen_at, ended_at, verdict, confidence, frames_seen = row
        return cls(key, SourceRef(source_id, kind, name), datetime.fromisoformat(seen_at),
                   datetime.fromisoformat(ended_at), verdict, confidence, frames_seen)


class SightingSpool:
    """The spool file. Thread-safe; several processes may share it (SQLite locks the file).

    Args: path (created with its folder when missing), max_rows (default 100000: about 15 MB, benchmarks/spool.py).
    """

    def __init__(self, path: Path | str, max_rows: int = 100_000):
        self.path = Path(path)
        self.max_rows = max(1, int(max_rows))
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        # autocommit mode: every transaction below is an explicit BEGIN IMMEDIATE ... COMMIT
        self._db = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")  # NORMAL would lose the last commits on a power cut
        with self._lock:
            self._db.executescript("BEGIN IMMEDIATE;" + _SCHEMA + "COMMIT;")

    @contextmanager
    def _transaction(self):
        """This thread alone on the connection, inside a write transaction (other processes wait for it)."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def put(self, rows: Iterable[SpooledSighting]) -> int:
        """Add rows (on disk when this returns), dropping the oldest beyond max_rows; returns how many were added."""
        rows = [row._values() for row in rows]
        if not rows:
            return 0
        with self._transaction():
            self._db.executemany(f"INSERT OR IGNORE INTO sightings ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
            excess = self._counter("rows") - self.max_rows
            if excess > 0:
                self._db.execute("DELETE FROM sightings WHERE seq IN (SELECT seq FROM sightings ORDER BY seq LIMIT ?)",
                                 (excess,))
                self._db.execute("UPDATE counters SET value = value + ? WHERE name = 'dropped'", (excess,))
        if excess > 0:
            log.warning("sighting spool full (%d rows): dropped the %d oldest", self.max_rows, excess)
        return len(rows)

    def oldest(self, limit: int = 500) -> list[SpooledSighting]:
        with self._lock:
            cursor = self._db.execute(f"SELECT {_COLUMNS} FROM sightings ORDER BY seq LIMIT ?", (limit,))
            return [SpooledSighting._from_values(row) for row in cursor.fetchall()]

    def remove(self, rows: Iterable[SpooledSighting | str]) -> None:
        keys = [(row if isinstance(row, str) else row.spool_key,) for row in rows]
        with self._transaction():
            self._db.executemany("DELETE FROM sightings WHERE spool_key = ?", keys)

    def discard(self, rows: Iterable[SpooledSighting]) -> None:
        """Remove rows the database refuses for good, counting them as dropped."""
        keys = [(row.spool_key,) for row in rows]
        with self._transaction():
            self._db.executemany("DELETE FROM sightings WHERE spool_key = ?", keys)
            self._db.execute("UPDATE counters SET value = value + ? WHERE name = 'dropped'", (len(keys),))

    def __len__(self) -> int:
        with self._lock:
            return self._counter("rows")

    @property
    def dropped(self) -> int:
        """Rows dropped because the spool was full, since the file was made."""
        with self._lock:
            return self._counter("dropped")

    def _counter(self, name: str) -> int:
        return int(self._db.execute("SELECT value FROM counters WHERE name = ?", (name,)).fetchone()[0])

    def close(self) -> None:
        with self._lock:
            self._db.close()


class SpoolFlusher:
    """A daemon thread that calls `flush()` every `interval_s` while the spool holds rows, then ends.

    flush() writes what it can and raises while the database is unreachable; wake() makes the next try
    come now (at most once a second while the tries fail). Example:
        flusher = SpoolFlusher(spool, flush, 5.0); flusher.start(); ...; flusher.stop()
    """

    def __init__(self, spool: SightingSpool, flush: Callable[[], int], interval_s: float = 5.0,
                 min_retry_s: float = 1.0):
        self.spool, self.flush = spool, flush
        self.interval_s, self.min_retry_s = max(0.05, float(interval_s)), min(min_retry_s, interval_s)
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._woken = threading.Event()
        self._stopping = threading.Event()

    def start(self) -> None:
        """Run the thread unless it runs (or the flusher was stopped)."""
        with self._lock:
            if self._thread is None and not self._stopping.is_set():
                self._thread = threading.Thread(target=self._run, name="maskwatch-spool-flusher", daemon=True)
                self._thread.start()

    def wake(self) -> None:
        self.start()
        self._woken.set()

    def running(self) -> bool:
        with self._lock:
            return self._thread is not None

    def stop(self, timeout: float = 10.0) -> None:
        """End the thread (rows left in the spool wait for the next process); it cannot be started again."""
        self._stopping.set()
        self._woken.set()
        with self._lock:
            thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    def _run(self) -> None:
        while not self._stopping.is_set():
            self._woken.wait(self.interval_s)
            self._woken.clear()
            if self._stopping.is_set():
                break
            with self._lock:  # checked under the lock: start() after a put either sees this thread or none
                if len(self.spool) == 0:
                    self._thread = None
                    return
            try:
                self.flush()
            except Exception as exc:  # the database is still away (or failing): keep the rows, try again
                log.warning("sighting spool: %d rows wait for the database: %s", len(self.spool), exc)
                self._stopping.wait(self.min_retry_s)
        with self._lock:
            self._thread = None
