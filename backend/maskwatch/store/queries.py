"""Named queries: every read and write the API, jobs and live page make."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Iterable, Iterator, Protocol

import sqlalchemy as sa

from .database import db
from .models import VERDICTS, Job, Sighting, Source, utcnow
from .spool import SourceRef, SpooledSighting

log = logging.getLogger(__name__)


class SightingLike(Protocol):
    """What add_sightings needs of each person (tracking.PersonSighting has these)."""

    seen_at: datetime
    ended_at: datetime
    verdict: str
    confidence: float
    frames_seen: int


@dataclass
class SightingFilter:
    """Which sightings: of one source (None: all), seen in [start, end) UTC (None: open), one verdict."""

    source_id: int | None = None
    start: datetime | None = None
    end: datetime | None = None
    verdict: str | None = None

    def apply(self, query):
        if self.source_id is not None:
            query = query.where(Sighting.source_id == self.source_id)
        if self.start is not None:
            query = query.where(Sighting.seen_at >= self.start)
        if self.end is not None:
            query = query.where(Sighting.seen_at < self.end)
        if self.verdict is not None:
            query = query.where(Sighting.verdict == self.verdict)
        return query


# --- sources -------------------------------------------------------------------------------------

def create_source(kind: str, name: str, url: str | None = None, detect_fps: float | None = None) -> Source:
    source = Source(kind=kind, name=name, url=url, detect_fps=detect_fps, created_at=utcnow())
    db.session.add(source)
    db.session.commit()
    return source


def get_source(source_id: int) -> Source | None:
    return db.session.get(Source, source_id)


def list_sources() -> list[Source]:
    return list(db.session.scalars(sa.select(Source).order_by(Source.id)))


def source_named(kind: str, name: str) -> Source:
    """The first source of this kind and name, created if there is none (e.g. the 'uploads' source)."""
    source = db.session.scalars(sa.select(Source).where(Source.kind == kind, Source.name == name).order_by(Source.id)).first()
    return source or create_source(kind, name)


def resolve_source(ref: SourceRef) -> int | None:
    """The id of ref's source: ref.source_id when that source exists, else the first source of
    (ref.kind, ref.name), created when missing; None when neither is there.

    Raises sqlalchemy.exc.SQLAlchemyError (after a rollback) when the database is unreachable.
    Example: resolve_source(SourceRef(kind="webcam", name="Door")) -> 4
    """
    try:
        if ref.source_id is not None and db.session.get(Source, ref.source_id) is not None:
            return ref.source_id
        if ref.kind and ref.name:
            return source_named(ref.kind, ref.name).id
        return None
    except sa.exc.SQLAlchemyError:
        db.session.rollback()
        raise


def delete_source(source: Source) -> None:
    """Delete a source and its sightings (explicitly: SQLite does not enforce ON DELETE by default)."""
    db.session.execute(sa.delete(Sighting).where(Sighting.source_id == source.id))
    db.session.execute(sa.update(Job).where(Job.source_id == source.id).values(source_id=None))
    db.session.delete(source)
    db.session.commit()


# --- sightings -----------------------------------------------------------------------------------

def add_sightings(source_id: int, people: Iterable[SightingLike], keys: Iterable[str | None] | None = None) -> int:
    """Write one row per person, all or none; returns how many rows were added.

    keys: a spool_key per person (None: none), for people a checkpoint may have written already (a stream's
    person in view, whose checkpoint a recovery wrote while its process seemed gone): a key that is there
    gets this person's frames and end when they are more, instead of a second row.
    Raises sqlalchemy.exc.SQLAlchemyError (after a rollback) when the database is unreachable.
    """
    people = list(people)
    keys = list(keys) if keys is not None else [None] * len(people)
    present = _present_keys([key for key in keys if key])
    rows = [_sighting(source_id, person, spool_key=key) for person, key in zip(people, keys) if key not in present]
    return _write_rows(rows, *_newer(zip(keys, people), present))


def _sighting(source_id: int, person: SightingLike, **extra) -> Sighting:
    return Sighting(source_id=source_id, seen_at=person.seen_at, ended_at=person.ended_at, verdict=person.verdict,
                    confidence=float(person.confidence), frames_seen=int(person.frames_seen), **extra)


def _present_keys(keys: list[str]) -> dict[str, int]:
    """spool_key -> frames_seen of the sightings already written under these keys."""
    if not keys:
        return {}
    try:
        return dict(db.session.execute(sa.select(Sighting.spool_key, Sighting.frames_seen)
                                       .where(Sighting.spool_key.in_(keys))).all())
    except sa.exc.SQLAlchemyError:
        db.session.rollback()
        raise


def _newer(keyed: Iterable[tuple[str | None, SightingLike]], present: dict[str, int]) -> list:
    """UPDATEs of the present sightings a later snapshot of the same person saw more frames of (each one guarded
    in SQL too, so two writers racing leave the larger)."""
    return [sa.update(Sighting).where(Sighting.spool_key == key, Sighting.frames_seen < int(person.frames_seen))
            .values(ended_at=person.ended_at, verdict=person.verdict, confidence=float(person.confidence),
                    frames_seen=int(person.frames_seen))
            for key, person in keyed if key in present and int(person.frames_seen) > present[key]]


def _write_rows(rows: list, *before) -> int:
    """Run the `before` statements and add `rows` in one transaction; roll back and re-raise on failure."""
    try:
        for statement in before:
            db.session.execute(statement)
        db.session.add_all(rows)
        db.session.commit()
    except sa.exc.SQLAlchemyError:
        db.session.rollback()
        raise
    return len(rows)


def write_spooled(rows: list[SpooledSighting]) -> int:
    """Write spooled sightings in one transaction, skipping those whose spool_key is already there (an
    earlier flush wrote them and died before it could empty the spool; or, for a person's checkpoint, their
    later snapshot, which is kept when it saw more frames) and those whose source is gone (deleted with its
    sightings meanwhile); returns how many rows were added.

    Raises sqlalchemy.exc.SQLAlchemyError (after a rollback) when the database is unreachable, or when
    another process wrote the same keys at the same moment (the unique spool_key refuses them).
    """
    if not rows:
        return 0
    sources = {ref: resolve_source(ref) for ref in {row.source for row in rows}}
    present = _present_keys([row.spool_key for row in rows])
    new = [row for row in rows if row.spool_key not in present and sources[row.source] is not None]
    if len(new) + len(present) < len(rows):
        log.warning("spooled sightings of a deleted source dropped: %d", len(rows) - len(new) - len(present))
    return _write_rows([_sighting(sources[row.source], row, spool_key=row.spool_key) for row in new],
                       *_newer(((row.spool_key, row) for row in rows), present))


def job_sighting_count(job_id: str) -> int:
    return int(db.session.scalar(sa.select(sa.func.count(Sighting.id)).where(Sighting.job_id == job_id)) or 0)


def sightings_page(where: SightingFilter, page: int, per_page: int) -> tuple[list[Sighting], int]:
    """One page (1-based) of sightings, newest first, and the total count."""
    total = db.session.scalar(where.apply(sa.select(sa.func.count(Sighting.id))))
    query = where.apply(sa.select(Sighting)).order_by(Sighting.seen_at.desc(), Sighting.id.desc())
    items = list(db.session.scalars(query.limit(per_page).offset((page - 1) * per_page)))
    return items, int(total or 0)


def iter_sightings_with_source(where: SightingFilter) -> Iterator[tuple[Sighting, str]]:
    """Every matching sighting with its source's name, oldest first, streamed (for the CSV export)."""
    query = where.apply(sa.select(Sighting, Source.name).join(Source, Source.id == Sighting.source_id))
    yield from db.session.execute(query.order_by(Sighting.seen_at, Sighting.id).execution_options(yield_per=1000))


def verdict_counts(where: SightingFilter) -> dict[str, int]:
    """People per verdict, every verdict present (0 when none)."""
    query = where.apply(sa.select(Sighting.verdict, sa.func.count(Sighting.id))).group_by(Sighting.verdict)
    counts = dict.fromkeys(VERDICTS, 0)
    counts.update({verdict: int(n) for verdict, n in db.session.execute(query)})
    return counts


def seen_times_by_verdict(where: SightingFilter) -> Iterator[tuple[datetime, str]]:
    """(seen_at UTC, verdict) of each matching sighting, for bucketing in the caller's time zone."""
    query = where.apply(sa.select(Sighting.seen_at, Sighting.verdict)).execution_options(yield_per=5000)
    yield from db.session.execute(query)


# --- jobs ----------------------------------------------------------------------------------------

def create_job(kind: str, source_id: int | None, input_path: str) -> Job:
    job = Job(kind=kind, source_id=source_id, input_path=input_path, status="queued", progress=0.0, created_at=utcnow())
    db.session.add(job)
    db.session.commit()
    return job


def get_job(job_id: str) -> Job | None:
    return db.session.get(Job, job_id)


def update_job(job_id: str, **values) -> None:
    """Set columns of a job (status, progress, error, paths, times) and commit."""
    db.session.execute(sa.update(Job).where(Job.id == job_id).values(**values))
    db.session.commit()


def start_job(job_id: str, started_at: datetime) -> None:
    """Mark a job running and count the run in its attempts."""
    db.session.execute(sa.update(Job).where(Job.id == job_id)
                       .values(status="running", started_at=started_at, error=None, attempts=Job.attempts + 1))
    db.session.commit()


def finish_video_job(job_id: str, source_id: int, people: Iterable[SightingLike], **values) -> int:
    """Write a video job's people and mark it done (`values`: output_path, result_path), all in one
    transaction, replacing the rows an earlier run of the same job wrote: a rerun counts its people once.
    Each person needs a track_id (unique per job). Returns how many sightings were written.
    """
    rows = [_sighting(source_id, p, job_id=job_id, track_id=int(p.track_id)) for p in people]
    done = sa.update(Job).where(Job.id == job_id).values(status="done", progress=1.0, finished_at=utcnow(), **values)
    return _write_rows(rows, sa.delete(Sighting).where(Sighting.job_id == job_id), done)


def recover_interrupted_jobs(max_attempts: int) -> list[str]:
    """What a starting server does with the jobs the last process left queued or running: those whose
    upload is still there and that were started fewer than `max_attempts` times are queued again (their
    ids are returned, to be run again from the start), the others are failed with the reason.
    Example: recover_interrupted_jobs(2) -> ["5f0c..."]
    """
    again = []
    for job in list(db.session.scalars(sa.select(Job).where(Job.status.in_(("queued", "running"))).order_by(Job.created_at))):
        if not job.input_path or not Path(job.input_path).is_file():
            job.status, job.error, job.finished_at = "failed", "its upload is gone", utcnow()
        elif job.attempts >= max(1, max_attempts):
            times = {1: "once", 2: "twice"}.get(job.attempts, f"{job.attempts} times")
            job.status, job.error, job.finished_at = "failed", f"interrupted by a server restart {times}", utcnow()
        else:
            job.status, job.progress = "queued", 0.0
            again.append(job.id)
    db.session.commit()
    return again


# --- cameras -------------------------------------------------------------------------------------

def list_cameras() -> list[Source]:
    return list(db.session.scalars(sa.select(Source).where(Source.kind == "camera").order_by(Source.id)))


def enabled_camera_ids() -> list[int]:
    return list(db.session.scalars(sa.select(Source.id).where(Source.kind == "camera", Source.camera_enabled.is_(True))))


def set_camera_enabled(source_id: int, enabled: bool) -> None:
    values = {"camera_enabled": enabled}
    if enabled:
        values.update(camera_state="starting", camera_error=None, camera_state_at=utcnow())
    db.session.execute(sa.update(Source).where(Source.id == source_id).values(**values))
    db.session.commit()


def camera_held(source_id: int, stale_after_s: float) -> bool:
    """A worker holds the camera and wrote its heartbeat within stale_after_s."""
    source = db.session.get(Source, source_id)
    db.session.refresh(source)
    fresh = utcnow() - timedelta(seconds=stale_after_s)
    return bool(source.camera_owner and source.camera_heartbeat and source.camera_heartbeat >= fresh)


def claim_camera(source_id: int, owner: str, stale_after_s: float) -> bool:
    """Take the camera for `owner` unless another worker holds it with a fresh heartbeat (one atomic UPDATE,
    so two workers given the same camera cannot both run it)."""
    now = utcnow()
    free = sa.or_(Source.camera_owner.is_(None), Source.camera_owner == owner, Source.camera_heartbeat.is_(None),
                  Source.camera_heartbeat < now - timedelta(seconds=stale_after_s))
    result = db.session.execute(sa.update(Source).where(Source.id == source_id, Source.camera_enabled.is_(True), free)
                                .values(camera_owner=owner, camera_heartbeat=now))
    db.session.commit()
    return result.rowcount == 1


def camera_heartbeat(source_id: int, owner: str, state: str | None = None, error: str | None = None) -> bool:
    """Refresh the owner's heartbeat (and state when given); False when the camera was stopped, deleted or
    taken over: the worker must then let go."""
    values = {"camera_heartbeat": utcnow()}
    if state is not None:
        values.update(camera_state=state, camera_error=error, camera_state_at=utcnow())
    result = db.session.execute(sa.update(Source).where(Source.id == source_id, Source.camera_owner == owner,
                                                        Source.camera_enabled.is_(True)).values(**values))
    db.session.commit()
    return result.rowcount == 1


def release_camera(source_id: int, owner: str, state: str, error: str | None = None) -> None:
    """The owner lets go, leaving its last state (stopped, or failed with the reason)."""
    values = {"camera_owner": None, "camera_heartbeat": None, "camera_state": state, "camera_error": error,
              "camera_state_at": utcnow()}
    if state == "failed":  # a camera that gave up stays down until an operator starts it again
        values["camera_enabled"] = False
    db.session.execute(sa.update(Source).where(Source.id == source_id, Source.camera_owner == owner).values(**values))
    db.session.commit()


def rollback() -> None:
    """Forget the session's failed transaction (the database went away) so that the next query tries again."""
    db.session.rollback()


def release_connection() -> None:
    """Give this request's pooled connection back (the session stays usable: a later query takes one again), so
    a request that goes on reading a slow body holds none meanwhile."""
    db.session.close()

