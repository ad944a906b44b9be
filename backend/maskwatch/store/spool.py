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
- Open tracks: a stream checkpoints the people still in view into a table of their own (`open_tracks`),
  one row per person keyed by the spool_key their sighting will have, with the owner (host, pid, and a
  token of this SightingSpool) and the time. They are not written while the owner lives: its people end
  and are recorded under the same key (the row goes in the same step). `promote_orphans()` moves the rows
  of owners that are gone (the pid no longer runs on this host, or no checkpoint for the row's `stale_s`)
  into the queue, so a killed server's people in view are counted once, as of their last checkpoint.
  A key written twice keeps the snapshot that saw more frames (here and in the database), so even a
  row promoted while its owner still lived (a stalled process) counts its person once.

Example:
    spool = SightingSpool(tmp / "spool.sqlite3", max_rows=1000)
    spool.put([SpooledSighting.of(SourceRef(3), person)]); rows = spool.oldest(500); spool.remove(rows)
    spool.checkpoint("9f2c...", [SpooledSighting.of(SourceRef(3), person, key="9f2c...-4")], stale_s=15)
"""

from __future__ import annotations

import logging
import os
import socket
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

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
-- people still in view, as of their stream's last checkpoint (written only once their owner is gone)
CREATE TABLE IF NOT EXISTS open_tracks (
    spool_key TEXT PRIMARY KEY,
    session TEXT NOT NULL,
    owner_host TEXT NOT NULL,
    owner_pid INTEGER NOT NULL,
    owner_token TEXT NOT NULL,
    checkpoint_at REAL NOT NULL,
    stale_s REAL NOT NULL,
    source_id INTEGER,
    source_kind TEXT,
    source_name TEXT,
    seen_at TEXT NOT NULL,
    ended_at TEXT NOT NULL,
    verdict TEXT NOT NULL,
    confidence REAL NOT NULL,
    frames_seen INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS open_tracks_session ON open_tracks (session);
"""
_COLUMNS = "spool_key, source_id, source_kind, source_name, seen_at, ended_at, verdict, confidence, frames_seen"
#: A key that is there already keeps the snapshot that saw more frames (the later one of the same track).
_NEWER_WINS = """ON CONFLICT (spool_key) DO UPDATE SET ended_at = excluded.ended_at, verdict = excluded.verdict,
    confidence = excluded.confidence, frames_seen = excluded.frames_seen
    WHERE excluded.frames_seen > sightings.frames_seen"""
_OWNER = "owner_host = ? AND owner_pid = ? AND owner_token = ?"


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
class Recorded:
    """What became of people given to a recorder: written to the database now, or waiting in the spool;
    and the id of their source when it is known (None while the database has not answered)."""

    written: int
    waiting: int
    source_id: int | None


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
    def of(cls, source: SourceRef, person, key: str | None = None) -> SpooledSighting:
        """From anything with seen_at, ended_at, verdict, confidence, frames_seen (tracking.PersonSighting);
        key: its spool_key (at most 32 characters), default a random one."""
        return cls(
            key or uuid.uuid4().hex,
            source,
            person.seen_at,
            person.ended_at,
            person.verdict,
            float(person.confidence),
            int(person.frames_seen),
        )

    def _values(self) -> tuple:
        return (
            self.spool_key,
            self.source.source_id,
            self.source.kind,
            self.source.name,
            self.seen_at.isoformat(),
            self.ended_at.isoformat(),
            self.verdict,
            self.confidence,
            self.frames_seen,
        )

    @classmethod
    def _from_values(cls, row) -> SpooledSighting:
        key, source_id, kind, name, seen_at, ended_at, verdict, confidence, frames_seen = row
        return cls(
            key,
            SourceRef(source_id, kind, name),
            datetime.fromisoformat(seen_at),
            datetime.fromisoformat(ended_at),
            verdict,
            confidence,
            frames_seen,
        )


def process_alive(pid: int) -> bool:
    """Whether process `pid` runs on this host (a zombie, killed but not yet reaped, does not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # somebody else's process
        return True
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True  # no /proc (not Linux): os.kill's word stands
    return state not in ("Z", "X")


class SightingSpool:
    """The spool file. Thread-safe; several processes may share it (SQLite locks the file).

    Each SightingSpool is one owner of open tracks (the host, the pid and a random token): one per process
    (the app's recorder). Another one in the same process takes the rows of an earlier one with the same pid
    for a dead owner's, as after a restart that got its pid back.

    Args: path (created with its folder when missing), max_rows (default 100000: about 15 MB, benchmarks/spool.py),
    clock (default time.time: the wall clock the open tracks' checkpoint times and staleness go by, across processes).
    """

    def __init__(self, path: Path | str, max_rows: int = 100_000, clock: Callable[[], float] = time.time):
        self.path = Path(path)
        self.max_rows = max(1, int(max_rows))
        self.clock = clock
        self.host, self.token = socket.gethostname(), uuid.uuid4().hex[:16]
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

    def put(self, rows: Iterable[SpooledSighting], ending: Iterable[str] = ()) -> int:
        """Add rows (on disk when this returns), dropping the oldest beyond max_rows; returns how many were given.
        A row whose key waits already replaces it when it saw more frames. ending: keys of open tracks these
        rows end, removed in the same transaction."""
        values, ended = [row._values() for row in rows], [(key,) for key in ending]
        if not values:
            return 0
        with self._transaction():
            self._db.executemany(
                f"INSERT INTO sightings ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) {_NEWER_WINS}", values
            )
            self._db.executemany("DELETE FROM open_tracks WHERE spool_key = ?", ended)
            excess = self._trim()
        if excess > 0:
            log.warning("sighting spool full (%d rows): dropped the %d oldest", self.max_rows, excess)
        return len(values)

    def _trim(self) -> int:
        """Inside a transaction: drop the oldest rows beyond max_rows, counted; returns how many."""
        excess = self._counter("rows") - self.max_rows
        if excess > 0:
            self._db.execute(
                "DELETE FROM sightings WHERE seq IN (SELECT seq FROM sightings ORDER BY seq LIMIT ?)", (excess,)
            )
            self._db.execute("UPDATE counters SET value = value + ? WHERE name = 'dropped'", (excess,))
        return excess

    # --- open tracks -------------------------------------------------------------------------------

    def _owner(self) -> tuple[str, int, str]:
        return self.host, os.getpid(), self.token  # the pid now: a forked child is another owner

    def checkpoint(self, session: str, rows: Iterable[SpooledSighting], stale_s: float) -> None:
        """The people of `session` still in view, replacing its previous checkpoint (on disk when this returns).
        stale_s: with no checkpoint for this long, the rows count as their owner's last word (it hangs or is gone)."""
        now = self.clock()
        values = [(session, *self._owner(), now, float(stale_s), *row._values()) for row in rows]
        with self._transaction():
            self._db.execute("DELETE FROM open_tracks WHERE session = ?", (session,))
            self._db.executemany(
                f"INSERT OR REPLACE INTO open_tracks (session, owner_host, owner_pid, owner_token, "
                f"checkpoint_at, stale_s, {_COLUMNS}) VALUES ({', '.join('?' * 15)})",
                values,
            )

    def end_open(self, keys: Iterable[str]) -> None:
        """These open tracks ended and were written to the database."""
        params = [(key,) for key in keys]
        if params:
            with self._transaction():
                self._db.executemany("DELETE FROM open_tracks WHERE spool_key = ?", params)

    def end_session(self, session: str) -> None:
        """The session's stream closed: its people were recorded, none is in view any more."""
        with self._transaction():
            self._db.execute("DELETE FROM open_tracks WHERE session = ?", (session,))

    def open_tracks(self) -> list[SpooledSighting]:
        """Every checkpointed person still in view, of every owner."""
        with self._lock:
            cursor = self._db.execute(f"SELECT {_COLUMNS} FROM open_tracks ORDER BY seen_at, spool_key")
            return [SpooledSighting._from_values(row) for row in cursor.fetchall()]

    def open_elsewhere(self) -> int:
        """Open tracks of other owners (whose end this process may have to write, should they die)."""
        with self._lock:
            return int(
                self._db.execute(f"SELECT COUNT(*) FROM open_tracks WHERE NOT ({_OWNER})", self._owner()).fetchone()[0]
            )

    def pending(self) -> bool:
        """Rows wait, or other owners have open tracks (to write should those owners die)."""
        return len(self) > 0 or self.open_elsewhere() > 0

    def promote_orphans(self) -> int:
        """Move the open tracks of owners that are gone into the queue, to be written as they last stood;
        returns how many. Gone: not this SightingSpool and, on this host, its pid no longer runs or is this
        process's; or (any host) none of its rows was checkpointed within its stale_s (an owner that still
        checkpoints one stream is alive, and so is a client of it that sends no frames for a while)."""
        with self._lock:
            if not self._orphans():  # the usual case, read without the write lock: every owner lives
                return 0
        with self._transaction():
            gone = self._orphans()
            promoted = 0
            for owner in gone:
                self._db.execute(
                    f"INSERT INTO sightings ({_COLUMNS}) SELECT {_COLUMNS} FROM open_tracks "
                    f"WHERE {_OWNER} ORDER BY seen_at {_NEWER_WINS}",
                    owner,
                )
                promoted += self._db.execute(f"DELETE FROM open_tracks WHERE {_OWNER}", owner).rowcount
            excess = self._trim()
        if promoted:
            log.warning(
                "sighting spool: %d people in view of %d stopped processes are counted as of their last checkpoint",
                promoted,
                len(gone),
            )
        if excess > 0:
            log.warning("sighting spool full (%d rows): dropped the %d oldest", self.max_rows, excess)
        return promoted

    def _orphans(self) -> list[tuple[str, int, str]]:
        """(host, pid, token) of each owner of open tracks that is gone; the caller holds the lock."""
        mine, now = self._owner(), self.clock()
        owners = self._db.execute(
            "SELECT owner_host, owner_pid, owner_token, MAX(checkpoint_at + stale_s) "
            "FROM open_tracks GROUP BY owner_host, owner_pid, owner_token"
        ).fetchall()
        gone = []
        for host, pid, token, fresh_until in owners:
            if (host, pid, token) == mine:
                continue
            here = host == self.host
            if fresh_until < now or (here and (pid == mine[1] or not process_alive(pid))):
                gone.append((host, pid, token))
        return gone

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
    """A daemon thread that calls `flush()` every `interval_s` while the spool holds rows, or open tracks of
    other processes (flush() writes them once their owner is gone), then ends.

    flush() writes what it can and raises while the database is unreachable; wake() makes the next try
    come now (at most once a second while the tries fail). Example:
        flusher = SpoolFlusher(spool, flush, 5.0); flusher.start(); ...; flusher.stop()
    """

    def __init__(
        self, spool: SightingSpool, flush: Callable[[], int], interval_s: float = 5.0, min_retry_s: float = 1.0
    ):
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
                if not self.spool.pending():
                    self._thread = None
                    return
            try:
                self.flush()
            except Exception as exc:  # the database is still away (or failing): keep the rows, try again
                log.warning("sighting spool: %d rows wait for the database: %s", len(self.spool), exc)
                self._stopping.wait(self.min_retry_s)
        with self._lock:
            self._thread = None
