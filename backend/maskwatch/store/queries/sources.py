"""Sources: the cameras, webcams and upload folders sightings belong to."""

from __future__ import annotations

import sqlalchemy as sa

from ..database import db
from ..errors import store_call
from ..models import Job, Sighting, Source, Upload, utcnow
from ..spool import SourceRef


@store_call
def create_source(kind: str, name: str, url: str | None = None, detect_fps: float | None = None) -> Source:
    source = Source(kind=kind, name=name, url=url, detect_fps=detect_fps, created_at=utcnow())
    db.session.add(source)
    db.session.commit()
    return source


@store_call
def get_source(source_id: int) -> Source | None:
    return db.session.get(Source, source_id)


@store_call
def list_sources() -> list[Source]:
    return list(db.session.scalars(sa.select(Source).order_by(Source.id)))


@store_call
def source_named(kind: str, name: str) -> Source:
    """The first source of this kind and name, created if there is none (e.g. the 'uploads' source)."""
    source = db.session.scalars(
        sa.select(Source).where(Source.kind == kind, Source.name == name).order_by(Source.id)
    ).first()
    return source or create_source(kind, name)


@store_call
def resolve_source(ref: SourceRef) -> int | None:
    """The id of ref's source: ref.source_id when that source exists, else the first source of
    (ref.kind, ref.name), created when missing; None when neither is there.

    Raises StoreUnavailable (after a rollback) when the database is unreachable.
    Example: resolve_source(SourceRef(kind="webcam", name="Door")) -> 4
    """
    if ref.source_id is not None and db.session.get(Source, ref.source_id) is not None:
        return ref.source_id
    if ref.kind and ref.name:
        return source_named(ref.kind, ref.name).id
    return None


@store_call
def delete_source(source: Source) -> None:
    """Delete a source and its sightings (explicitly: SQLite does not enforce ON DELETE by default)."""
    db.session.execute(sa.delete(Sighting).where(Sighting.source_id == source.id))
    db.session.execute(sa.update(Job).where(Job.source_id == source.id).values(source_id=None))
    db.session.execute(sa.delete(Upload).where(Upload.source_id == source.id))  # their files count again
    db.session.delete(source)
    db.session.commit()
