"""POST /api/videos: store the upload under a generated name and start a background job."""

from __future__ import annotations

import hashlib
import uuid
from pathlib import Path

from flask import current_app

from ...media import MediaError, probe_video
from ...media.video import looks_like_video
from ...store import queries
from ..services import runner_of
from .errors import ApiError
from .parser import Blueprint
from .schemas import ErrorSchema, UploadSchema, VideoQuerySchema, VideoUploadSchema
from .sources import source_or_404
from .uploads import already_counted, display_name, earlier_upload, remember_upload

bp = Blueprint("videos", __name__, url_prefix="/api/videos", description="Annotate and count a video")

CHUNK = 1 << 20


def save_upload(storage, folder: Path, max_bytes: int) -> tuple[Path, str]:
    """Stream the upload to folder/<uuid>.video, stopping at max_bytes (413); the user's name is never a path.
    Returns the path and the sha256 of the bytes."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{uuid.uuid4().hex}.video"
    size, digest = 0, hashlib.sha256()
    try:
        with path.open("wb") as out:
            while chunk := storage.stream.read(CHUNK):
                size += len(chunk)
                digest.update(chunk)
                if size > max_bytes:
                    raise ApiError(413, "too_large", f"the video is over the {max_bytes / 2**20:.0f} MB limit")
                out.write(chunk)
    except BaseException:  # too large, or the client went away mid-upload: keep nothing
        path.unlink(missing_ok=True)
        raise
    return path, digest.hexdigest()


def check_video(path: Path, max_seconds: float) -> None:
    """415 unless the content is a video container, 400 if it has no readable frame, 413 if it is too big
    or lasts longer than max_seconds; a refused file is removed (whatever the reason)."""
    try:
        with path.open("rb") as f:
            head = f.read(16)
        if head and not looks_like_video(head):
            raise MediaError("unsupported_type", "not an MP4, MOV, AVI or WebM video")
        probe_video(path, max_seconds=max_seconds)
    except BaseException:
        path.unlink(missing_ok=True)
        raise


@bp.route("", methods=["POST"])
@bp.arguments(VideoQuerySchema, location="query")
@bp.arguments(UploadSchema, location="files")
@bp.response(202, VideoUploadSchema)
@bp.alt_response(
    200, schema=VideoUploadSchema, description="the same video was counted already: its job (already_counted says when)"
)
@bp.alt_response(400, schema=ErrorSchema, description="empty or unreadable video; source_id not a video source")
@bp.alt_response(404, schema=ErrorSchema, description="no source source_id")
@bp.alt_response(
    413, schema=ErrorSchema, description="over MAX_VIDEO_MB, over 3840x2160 or longer than MAX_VIDEO_SECONDS"
)
@bp.alt_response(415, schema=ErrorSchema, description="not an MP4, MOV, AVI or WebM video")
def upload_video(query, files):
    """Start a job; poll GET /api/jobs/<id> or listen to 'job' events on the /jobs Socket.IO namespace."""
    storage = files["file"]
    given = source_or_404(query["source_id"], ("video",)) if query["source_id"] is not None else None  # before storing
    path, sha256 = save_upload(
        storage, Path(current_app.instance_path) / "uploads", current_app.config["MAX_VIDEO_MB"] * 2**20
    )
    earlier = None if query["count_again"] else earlier_upload(sha256, "video")
    if earlier is not None and earlier.job_id and (job := queries.get_job(earlier.job_id)) is not None:
        path.unlink(missing_ok=True)  # the same bytes: its job answers, nobody is counted twice
        job.already_counted = already_counted(earlier)
        return job, 200
    check_video(path, current_app.config["MAX_VIDEO_SECONDS"])
    name = display_name(storage.filename)
    try:
        source = given or queries.create_source("video", name)
        job = queries.create_job("video", source.id, str(path))
    except BaseException:  # no job will ever read it
        path.unlink(missing_ok=True)
        raise
    remember_upload(sha256, "video", name, source.id, job_id=job.id)
    runner_of().submit_video(job.id)
    return job
