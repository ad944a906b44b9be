"""Uploads by content: was this picture or video counted already (and is that count still there)?"""

from __future__ import annotations

import sqlalchemy as sa

from ..database import db
from ..errors import store_call
from ..models import Job, Upload, utcnow


@store_call
def counted_upload(sha256: str, kind: str) -> Upload | None:
    """The newest upload of these bytes whose people still count: a picture whose source is still there, or a
    video whose job is queued, running or done (a failed, cancelled or deleted job counted nobody)."""
    query = sa.select(Upload).where(Upload.sha256 == sha256, Upload.kind == kind, Upload.source_id.is_not(None))
    if kind == "video":
        query = query.join(Job, Job.id == Upload.job_id).where(Job.status.in_(("queued", "running", "done")))
    return db.session.scalars(query.order_by(Upload.created_at.desc(), Upload.id.desc()).limit(1)).first()


@store_call
def record_upload(
    sha256: str,
    kind: str,
    file_name: str,
    source_id: int | None,
    *,
    job_id: str | None = None,
    sightings: int = 0,
    result: str | None = None,
) -> Upload:
    upload = Upload(
        sha256=sha256,
        kind=kind,
        file_name=file_name[:255],
        source_id=source_id,
        job_id=job_id,
        sightings=sightings,
        result=result,
        created_at=utcnow(),
    )
    db.session.add(upload)
    db.session.commit()
    return upload
