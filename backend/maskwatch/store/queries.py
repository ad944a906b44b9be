"""Named queries: every read and write the API, jobs and live page make."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Iterable, Iterator, Protocol

import sqlalchemy as sa

from ..extensions import db
from .models import VERDICTS, Job, Sighting, Source, utcnow


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


def delete_source(source: Source) -> None:
    """Delete a source and its sightings (explicitly: SQLite does not enforce ON DELETE by default)."""
    db.session.execute(sa.delete(Sighting).where(Sighting.source_id == source.id))
    db.session.execute(sa.update(Job).where(Job.source_id == source.id).values(source_id=None))
    db.session.delete(source)
    db.session.commit()


# --- sightings -----------------------------------------------------------------------------------

def add_sightings(source_id: int, people: Iterable[SightingLike]) -> int:
    """Write one row per person, all or none; returns how many were written.

    Raises sqlalchemy.exc.SQLAlchemyError (after a rollback) when the database is unreachable.
    """
    return _write_rows([_sighting(source_id, p) for p in people])


def _sighting(source_id: int, person: SightingLike, **extra) -> Sighting:
    return Sighting(source_id=source_id, seen_at=person.seen_at, ended_at=person.ended_at, verdict=person.verdict,
                    confidence=float(person.confidence), frames_seen=int(person.frames_seen), **extra)


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


def replace_job_sightings(job_id: str, source_id: int, people: Iterable[SightingLike]) -> int:
    """Write a video job's people in one transaction, replacing any rows an earlier run of the same job
    wrote: a retried job is counted once. Each person needs a track_id (unique per job)."""
    rows = [_sighting(source_id, p, job_id=job_id, track_id=int(p.track_id)) for p in people]
    return _write_rows(rows, sa.delete(Sighting).where(Sighting.job_id == job_id))


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


def fail_interrupted_jobs() -> int:
    """Mark jobs left queued or running by a previous process as failed; returns how many."""
    result = db.session.execute(sa.update(Job).where(Job.status.in_(("queued", "running")))
                                .values(status="failed", error="interrupted by a server restart", finished_at=utcnow()))
    db.session.commit()
    return result.rowcount


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


def database_reachable() -> bool:
    try:
        db.session.execute(sa.text("SELECT 1"))
        return True
    except sa.exc.SQLAlchemyError:
        db.session.rollback()
        return False
