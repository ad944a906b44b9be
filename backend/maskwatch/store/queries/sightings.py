"""Sightings: writing people (straight, or from the spool exactly once) and reading them back."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import sqlalchemy as sa

from ..database import db
from ..errors import store_call, store_stream
from ..models import VERDICTS, Sighting, Source
from ..spool import SpooledSighting
from .sources import resolve_source

log = logging.getLogger(__name__)


class SightingLike(Protocol):
    """What add_sightings needs of each person (tracking.PersonSighting has these). Read-only, so frozen
    dataclasses (spool.SpooledSighting) qualify too."""

    @property
    def seen_at(self) -> datetime: ...
    @property
    def ended_at(self) -> datetime: ...
    @property
    def verdict(self) -> str: ...
    @property
    def confidence(self) -> float: ...
    @property
    def frames_seen(self) -> int: ...


class TrackedSightingLike(SightingLike, Protocol):
    """A person of a video job: a SightingLike with its track_id (unique per job)."""

    @property
    def track_id(self) -> int: ...


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


@store_call
def add_sightings(source_id: int, people: Iterable[SightingLike], keys: Iterable[str | None] | None = None) -> int:
    """Write one row per person, all or none; returns how many rows were added.

    keys: a spool_key per person (None: none), for people a checkpoint may have written already (a stream's
    person in view, whose checkpoint a recovery wrote while its process seemed gone): a key that is there
    gets this person's frames and end when they are more, instead of a second row.
    Raises StoreUnavailable (after a rollback) when the database is unreachable.
    """
    people = list(people)
    keys = list(keys) if keys is not None else [None] * len(people)
    present = _present_keys([key for key in keys if key])
    rows = [_sighting(source_id, person, spool_key=key) for person, key in zip(people, keys) if key not in present]
    return _write_rows(rows, *_newer(zip(keys, people), present))


def _sighting(source_id: int, person: SightingLike, **extra) -> Sighting:
    return Sighting(
        source_id=source_id,
        seen_at=person.seen_at,
        ended_at=person.ended_at,
        verdict=person.verdict,
        confidence=float(person.confidence),
        frames_seen=int(person.frames_seen),
        **extra,
    )


def _present_keys(keys: list[str]) -> dict[str, int]:
    """spool_key -> frames_seen of the sightings already written under these keys."""
    if not keys:
        return {}
    rows = db.session.execute(sa.select(Sighting.spool_key, Sighting.frames_seen).where(Sighting.spool_key.in_(keys)))
    return {key: frames for key, frames in rows if key is not None}  # never None: IN (keys) matches no NULL


def _newer(keyed: Iterable[tuple[str | None, SightingLike]], present: dict[str, int]) -> list:
    """UPDATEs of the present sightings a later snapshot of the same person saw more frames of (each one guarded
    in SQL too, so two writers racing leave the larger)."""
    return [
        sa.update(Sighting)
        .where(Sighting.spool_key == key, Sighting.frames_seen < int(person.frames_seen))
        .values(
            ended_at=person.ended_at,
            verdict=person.verdict,
            confidence=float(person.confidence),
            frames_seen=int(person.frames_seen),
        )
        for key, person in keyed
        if key in present and int(person.frames_seen) > present[key]
    ]


def _write_rows(rows: list, *before) -> int:
    """Run the `before` statements and add `rows` in one transaction (store_call rolls it back on failure)."""
    for statement in before:
        db.session.execute(statement)
    db.session.add_all(rows)
    db.session.commit()
    return len(rows)


@store_call
def write_spooled(rows: list[SpooledSighting]) -> int:
    """Write spooled sightings in one transaction, skipping those whose spool_key is already there (an
    earlier flush wrote them and died before it could empty the spool; or, for a person's checkpoint, their
    later snapshot, which is kept when it saw more frames) and those whose source is gone (deleted with its
    sightings meanwhile); returns how many rows were added.

    Raises StoreUnavailable (after a rollback) when the database is unreachable, or StoreRefused when
    another process wrote the same keys at the same moment (the unique spool_key refuses them).
    """
    if not rows:
        return 0
    sources = {ref: resolve_source(ref) for ref in {row.source for row in rows}}
    present = _present_keys([row.spool_key for row in rows])
    new = [
        (source_id, row)
        for row in rows
        if row.spool_key not in present and (source_id := sources[row.source]) is not None
    ]
    if len(new) + len(present) < len(rows):
        log.warning("spooled sightings of a deleted source dropped: %d", len(rows) - len(new) - len(present))
    return _write_rows(
        [_sighting(source_id, row, spool_key=row.spool_key) for source_id, row in new],
        *_newer(((row.spool_key, row) for row in rows), present),
    )


@store_call
def job_sighting_count(job_id: str) -> int:
    return int(db.session.scalar(sa.select(sa.func.count(Sighting.id)).where(Sighting.job_id == job_id)) or 0)


@store_call
def sightings_page(where: SightingFilter, page: int, per_page: int) -> tuple[list[Sighting], int]:
    """One page (1-based) of sightings, newest first, and the total count."""
    total = db.session.scalar(where.apply(sa.select(sa.func.count(Sighting.id))))
    query = where.apply(sa.select(Sighting)).order_by(Sighting.seen_at.desc(), Sighting.id.desc())
    items = list(db.session.scalars(query.limit(per_page).offset((page - 1) * per_page)))
    return items, int(total or 0)


@store_stream
def iter_sightings_with_source(where: SightingFilter) -> Iterator[tuple[Sighting, str]]:
    """Every matching sighting with its source's name, oldest first, streamed (for the CSV export)."""
    query = where.apply(sa.select(Sighting, Source.name).join(Source, Source.id == Sighting.source_id))
    yield from db.session.execute(query.order_by(Sighting.seen_at, Sighting.id).execution_options(yield_per=1000))


@store_call
def verdict_counts(where: SightingFilter) -> dict[str, int]:
    """People per verdict, every verdict present (0 when none)."""
    query = where.apply(sa.select(Sighting.verdict, sa.func.count(Sighting.id))).group_by(Sighting.verdict)
    counts = dict.fromkeys(VERDICTS, 0)
    counts.update({verdict: int(n) for verdict, n in db.session.execute(query)})
    return counts


@store_stream
def seen_times_by_verdict(where: SightingFilter) -> Iterator[tuple[datetime, str]]:
    """(seen_at UTC, verdict) of each matching sighting, for bucketing in the caller's time zone."""
    query = where.apply(sa.select(Sighting.seen_at, Sighting.verdict)).execution_options(yield_per=5000)
    yield from db.session.execute(query)
