"""Named queries behind the retention setting: forget sightings and finished jobs older than a cutoff."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import CursorResult

from .database import db
from .errors import store_call
from .models import JOB_FINISHED, Job, Sighting, Upload


@store_call
def delete_sightings_before(cutoff: datetime) -> int:
    """Delete sightings first seen before cutoff (naive UTC); returns how many."""
    # a DML statement's result is a CursorResult (Session.execute is typed as returning the base Result)
    result = cast("CursorResult[Any]", db.session.execute(sa.delete(Sighting).where(Sighting.seen_at < cutoff)))
    # their uploads go too: the same file uploaded again after that is counted again
    db.session.execute(sa.delete(Upload).where(Upload.created_at < cutoff))
    db.session.commit()
    return result.rowcount


@store_call
def delete_finished_jobs_before(cutoff: datetime) -> tuple[int, list[str]]:
    """Delete finished (done, failed or cancelled) jobs created before cutoff; returns how many, and the paths of
    their files (input, video, results)."""
    old = list(db.session.scalars(sa.select(Job).where(Job.created_at < cutoff, Job.status.in_(JOB_FINISHED))))
    paths = [p for job in old for p in (job.input_path, job.output_path, job.result_path) if p]
    if old:
        db.session.execute(sa.delete(Job).where(Job.id.in_([job.id for job in old])))
        db.session.commit()
    return len(old), paths


@store_call
def unfinished_job_paths() -> set[str]:
    """Files that queued or running jobs still need."""
    rows = db.session.execute(
        sa.select(Job.input_path, Job.output_path, Job.result_path).where(Job.status.not_in(JOB_FINISHED))
    )
    return {p for row in rows for p in row if p}
