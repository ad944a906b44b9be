"""Video jobs: their life from queued to done, and what a starting server does with interrupted ones."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import sqlalchemy as sa

if TYPE_CHECKING:
    from sqlalchemy.engine import CursorResult

from ..database import db
from ..errors import store_call
from ..models import JOB_FINISHED, Job, Sighting, Source, Upload, utcnow
from .sightings import TrackedSightingLike, _sighting, _write_rows


@store_call
def create_job(kind: str, source_id: int | None, input_path: str) -> Job:
    job = Job(kind=kind, source_id=source_id, input_path=input_path, status="queued", progress=0.0, created_at=utcnow())
    db.session.add(job)
    db.session.commit()
    return job


@store_call
def get_job(job_id: str) -> Job | None:
    return db.session.get(Job, job_id)


@store_call
def update_job(job_id: str, **values) -> None:
    """Set columns of a job (status, progress, error, paths, times) and commit."""
    db.session.execute(sa.update(Job).where(Job.id == job_id).values(**values))
    db.session.commit()


@store_call
def list_jobs(limit: int = 100) -> list[tuple[Job, str | None, int | None]]:
    """The newest `limit` jobs, newest first, each with its source's name and, while queued, its place in the
    queue (1: next; the jobs running now are ahead of every queued one)."""
    rows = db.session.execute(
        sa.select(Job, Source.name)
        .outerjoin(Source, Source.id == Job.source_id)
        .order_by(Job.created_at.desc(), Job.id.desc())
        .limit(limit)
    ).all()
    queued = db.session.scalars(sa.select(Job.id).where(Job.status == "queued").order_by(Job.created_at, Job.id)).all()
    place = {job_id: i + 1 for i, job_id in enumerate(queued)}
    return [(job, name, place.get(job.id)) for job, name in rows]


@store_call
def cancel_job(job_id: str) -> Job | None:
    """Cancel a queued or running job (a running one stops at its next progress report and writes nothing);
    a finished job stays as it is. Returns the job, None when there is none."""
    db.session.execute(
        sa.update(Job)
        .where(Job.id == job_id, Job.status.in_(("queued", "running")))
        .values(status="cancelled", finished_at=utcnow())
    )
    db.session.commit()
    return db.session.get(Job, job_id)


@store_call
def job_cancelled(job_id: str) -> bool:
    """Cancelled, or deleted (a cancelled job may be deleted before its worker noticed)."""
    return db.session.scalar(sa.select(Job.status).where(Job.id == job_id)) in (None, "cancelled")


class JobDeleteRefused(Exception):
    """Only a finished job can be deleted (cancel a running one first)."""


@store_call
def delete_job(job_id: str) -> list[str] | None:
    """Delete a finished job and the sightings it wrote, in one transaction; returns the paths of its files
    (upload, annotated video, results) for the caller to remove, None when there is no such job.
    Raises JobDeleteRefused for a queued or running job."""
    job = db.session.get(Job, job_id)
    if job is None:
        return None
    if job.status not in JOB_FINISHED:
        raise JobDeleteRefused(job.status)
    paths = [p for p in (job.input_path, job.output_path, job.result_path) if p]
    db.session.execute(sa.delete(Sighting).where(Sighting.job_id == job_id))
    db.session.execute(sa.delete(Upload).where(Upload.job_id == job_id))  # the same video counts again
    db.session.delete(job)
    db.session.commit()
    return paths


@store_call
def start_job(job_id: str, started_at: datetime) -> bool:
    """Mark a job running and count the run in its attempts; False (nothing changed) for a cancelled job."""
    result = cast(  # a DML statement's result is a CursorResult (Session.execute is typed as the base Result)
        "CursorResult[Any]",
        db.session.execute(
            sa.update(Job)
            .where(Job.id == job_id, Job.status != "cancelled")
            .values(status="running", started_at=started_at, error=None, attempts=Job.attempts + 1)
        ),
    )
    db.session.commit()
    return result.rowcount == 1


@store_call
def finish_video_job(job_id: str, source_id: int, people: Iterable[TrackedSightingLike], **values) -> int:
    """Write a video job's people and mark it done (`values`: output_path, result_path), all in one
    transaction, replacing the rows an earlier run of the same job wrote: a rerun counts its people once.
    Each person needs a track_id (unique per job). Returns how many sightings were written (none for a job
    cancelled meanwhile).
    """
    status = db.session.scalar(sa.select(Job.status).where(Job.id == job_id).with_for_update())
    if status in (None, "cancelled"):  # cancelled (or deleted) while it ran: it counts nobody
        db.session.rollback()
        return 0
    rows = [_sighting(source_id, p, job_id=job_id, track_id=int(p.track_id)) for p in people]
    done = (
        sa.update(Job)
        .where(Job.id == job_id, Job.status != "cancelled")
        .values(status="done", progress=1.0, finished_at=utcnow(), **values)
    )
    return _write_rows(rows, sa.delete(Sighting).where(Sighting.job_id == job_id), done)


@store_call
def recover_interrupted_jobs(max_attempts: int) -> list[str]:
    """What a starting server does with the jobs the last process left queued or running: those whose
    upload is still there and that were started fewer than `max_attempts` times are queued again (their
    ids are returned, to be run again from the start), the others are failed with the reason.
    Example: recover_interrupted_jobs(2) -> ["5f0c..."]
    """
    again = []
    for job in list(
        db.session.scalars(sa.select(Job).where(Job.status.in_(("queued", "running"))).order_by(Job.created_at))
    ):
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
