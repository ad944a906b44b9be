"""Named queries: every read and write the API, jobs and live page make."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
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

def create_source(kind: str, name: str, url: str | None = None) -> Source:
    source = Source(kind=kind, name=name, url=url, created_at=utcnow())
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
    rows = [Sighting(source_id=source_id, seen_at=p.seen_at, ended_at=p.ended_at, verdict=p.verdict,
                     confidence=float(p.confidence), frames_seen=int(p.frames_seen)) for p in people]
    try:
        db.session.add_all(rows)
        db.session.commit()
    except sa.exc.SQLAlchemyError:
        db.session.rollback()
        raise
    return len(rows)


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


def database_reachable() -> bool:
    try:
        db.session.execute(sa.text("SELECT 1"))
        return True
    except sa.exc.SQLAlchemyError:
        db.session.rollback()
        return False
