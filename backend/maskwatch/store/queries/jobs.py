"""Video jobs: their life from queued to done, and what a starting server does with interrupted ones."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa

from ..database import db
from ..errors import store_call
from ..models import Job, Sighting, utcnow
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
def start_job(job_id: str, started_at: datetime) -> None:
    """Mark a job running and count the run in its attempts."""
    db.session.execute(
        sa.update(Job)
        .where(Job.id == job_id)
        .values(status="running", started_at=started_at, error=None, attempts=Job.attempts + 1)
    )
    db.session.commit()


@store_call
def finish_video_job(job_id: str, source_id: int, people: Iterable[TrackedSightingLike], **values) -> int:
    """Write a video job's people and mark it done (`values`: output_path, result_path), all in one
    transaction, replacing the rows an earlier run of the same job wrote: a rerun counts its people once.
    Each person needs a track_id (unique per job). Returns how many sightings were written.
    """
    rows = [_sighting(source_id, p, job_id=job_id, track_id=int(p.track_id)) for p in people]
    done = sa.update(Job).where(Job.id == job_id).values(status="done", progress=1.0, finished_at=utcnow(), **values)
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
