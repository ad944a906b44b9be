"""Writing sightings without losing any: SightingRecorder.record is the one way the live page, the camera
workers and the image uploads write people. While the database answers, rows go straight in;
when a write fails, they wait in the spool (store.spool, instance/spool.sqlite3) and a flusher thread
writes them, exactly once, when it answers again.

- While rows wait, new ones join them instead of trying the database first, so a live client never
  waits on a dead server more than once; each one wakes the flusher.
- The flusher runs only while rows wait: started when a row is spooled, when a camera worker starts
  and rows wait, or when a server starts (web.server.prepare_database: one flush after the upgrade, then
  the flusher if rows remain); it tries every SPOOL_FLUSH_S seconds (default 5) and ends when the spool
  is empty. The file outlives the process: a killed server's rows are written by the next one.
- SPOOL_MAX_ROWS (default 100000) bounds the spool; beyond it the oldest rows are dropped (logged,
  counted; GET /api/health reports sightings_waiting and sightings_dropped).
- People still in view: a stream (monitor.StreamSession with checkpoint_every_s, CHECKPOINT_S for live
  clients and cameras) checkpoints them with checkpoint(); when one ends it is recorded under the key of its
  checkpoint, which goes with it. A flush (at a start, and the flusher's) first moves the checkpoints of
  processes that are gone into the queue (store.spool.SightingSpool.promote_orphans): a killed server's
  people in view are counted once, as of its last checkpoint.

Example (inside the store's scope):
    recorded = services.recorder.record(SourceRef(kind="webcam", name="Door"), tracker.close_all())
    recorded.written, recorded.waiting, recorded.source_id
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable, Iterable, Mapping
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from . import queries
from .errors import StoreError, StoreRefused
from .spool import SPOOL_FILE, Recorded, SightingSpool, SourceRef, SpooledSighting, SpoolFlusher

log = logging.getLogger(__name__)
FLUSH_BATCH = 500


class SightingRecorder:
    """A process's spool and its flusher (one per process, in its maskwatch.services.Services).

    Args: instance_path, settings (SPOOL_MAX_ROWS, SPOOL_FLUSH_S), store_scope (opens the store's unit of work on
    the flusher's thread), spool (default instance/spool.sqlite3 bounded by SPOOL_MAX_ROWS), interval_s (default
    SPOOL_FLUSH_S).
    """

    def __init__(
        self,
        instance_path: str | Path,
        settings: Mapping[str, Any],
        store_scope: Callable[[], AbstractContextManager],
        spool: SightingSpool | None = None,
        interval_s: float | None = None,
    ):
        self.store_scope = store_scope
        self.spool = (
            spool if spool is not None else SightingSpool(Path(instance_path) / SPOOL_FILE, settings["SPOOL_MAX_ROWS"])
        )
        self.flusher = SpoolFlusher(
            self.spool, self._flush_in_scope, settings["SPOOL_FLUSH_S"] if interval_s is None else interval_s
        )
        self._flushing = threading.Lock()

    def record(self, source: SourceRef, people: Iterable, keys: Iterable[str | None] | None = None) -> Recorded:
        """Write ended people, or spool them while the database is unreachable.

        keys: per person, the key of its checkpoint (None: it has none): the person is written under it, once
        even when a recovery wrote the checkpoint meanwhile, and the checkpoint goes.
        """
        people = list(people)
        keys = list(keys) if keys is not None else [None] * len(people)
        ending = [key for key in keys if key]
        if not people:
            return Recorded(0, 0, source.source_id)
        if len(self.spool) == 0:
            try:
                source_id = queries.resolve_source(source)
                if source_id is None:
                    log.warning("sightings of a deleted source dropped: %d", len(people))
                    self._end_open(ending)
                    return Recorded(0, 0, None)
                queries.add_sightings(source_id, people, keys)
                self._end_open(ending)  # a crash before this leaves a checkpoint whose key is written: skipped
                return Recorded(len(people), 0, source_id)
            except StoreError as exc:
                log.warning("the database is unreachable, %d sightings go to the spool: %s", len(people), exc)
        try:
            waiting = self.spool.put(
                (SpooledSighting.of(source, person, key) for person, key in zip(people, keys)), ending=ending
            )
        except sqlite3.Error:  # the instance disk is full or gone too: say so loudly, keep the live loop going
            log.exception("sighting spool: %d sightings lost, the spool file cannot be written", len(people))
            return Recorded(0, 0, source.source_id)
        self.flusher.wake()
        return Recorded(0, waiting, source.source_id)

    def checkpoint(self, session: str, source: SourceRef, people: dict, stale_s: float) -> None:
        """The people `session` has in view now, by key (at most 32 characters), replacing its last checkpoint.
        stale_s: how long without a checkpoint before another process may take them for a dead owner's.
        Never raises: a spool file that cannot be written is logged, and the stream goes on."""
        try:
            self.spool.checkpoint(
                session, [SpooledSighting.of(source, person, key) for key, person in people.items()], stale_s
            )
        except sqlite3.Error:
            log.exception("sighting spool: %d people in view could not be checkpointed", len(people))

    def end_checkpoints(self, session: str) -> None:
        """The session's stream closed (its people were recorded): its checkpoints go."""
        try:
            self.spool.end_session(session)
        except sqlite3.Error:
            log.exception("sighting spool: the checkpoints of a closed stream could not be removed")

    def _end_open(self, keys: list[str]) -> None:
        if keys:
            try:
                self.spool.end_open(keys)
            except sqlite3.Error:  # left behind, they are found written by their key when recovered
                log.exception("sighting spool: %d checkpoints of people written could not be removed", len(keys))

    def flush(self) -> int:
        """Write every waiting row, a batch per transaction, oldest first, after the checkpoints of processes
        that are gone joined them; returns how many were added.
        Raises StoreError while the database is unreachable (the rows stay). Call inside the store's scope."""
        added = 0
        with self._flushing:
            self.spool.promote_orphans()
            while rows := self.spool.oldest(FLUSH_BATCH):
                try:
                    added += queries.write_spooled(rows)
                except StoreRefused:  # the database answered and refused: find the rows it refuses
                    added += self._write_one_by_one(rows)
                # a crash here leaves rows that are in the database and in the spool: the next flush skips them
                self.spool.remove(rows)
        if added:
            log.info("sighting spool: %d sightings written", added)
        return added

    def _write_one_by_one(self, rows: list[SpooledSighting]) -> int:
        """Each row alone: one the database refuses (not for being unreachable) is dropped and counted, so it
        cannot hold the others back forever. Another process that wrote the same keys just now is no refusal:
        those rows are found present and skipped."""
        added = 0
        for row in rows:
            try:
                added += queries.write_spooled([row])
            except StoreRefused as exc:
                log.error("sighting spool: the database refuses a row, dropped: %s", exc)
                self.spool.discard([row])
        return added

    def resume(self) -> None:
        """A process starts: write what an earlier one left, or leave it to the flusher when that fails.
        Call inside the store's scope, after the schema is upgraded (a flush must not race a migration)."""
        try:
            self.flush()
        except StoreError as exc:
            log.warning("sighting spool: %d rows wait for the database: %s", len(self.spool), exc)
        self.keep_flushing()

    def keep_flushing(self) -> None:
        """Run the flusher if rows wait (left by this process or another one sharing the instance folder), or
        other processes have people in view (written by it should those processes die)."""
        if self.spool.pending():
            self.flusher.start()

    def _flush_in_scope(self) -> int:
        with self.store_scope():
            return self.flush()

    def status(self) -> dict:
        """{"waiting": rows in the spool, "dropped": rows the full spool let go since it was made}."""
        return {"waiting": len(self.spool), "dropped": self.spool.dropped}

    def close(self) -> None:
        """Stop the flusher and close the file (rows left wait for the next process)."""
        self.flusher.stop()
        self.spool.close()
