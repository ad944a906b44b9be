"""GET /api/jobs/<id>, its annotated video and its per-track results."""

from __future__ import annotations

from pathlib import Path

from flask import send_file

from ...store import queries
from .errors import ApiError
from .parser import Blueprint
from .schemas import ErrorSchema, JobSchema

bp = Blueprint("jobs", __name__, url_prefix="/api/jobs", description="Background work")


def job_or_404(job_id: str):
    job = queries.get_job(job_id)
    if job is None:
        raise ApiError(404, "not_found", f"no job {job_id}")
    return job


def finished_file(job_id: str, attribute: str) -> Path:
    job = job_or_404(job_id)
    if job.status != "done" or not getattr(job, attribute):
        raise ApiError(409, "not_ready", f"job {job_id} is {job.status}")
    path = Path(getattr(job, attribute))
    if not path.is_file():
        raise ApiError(410, "gone", "the output file was removed")
    return path


@bp.route("/<job_id>")
@bp.response(200, JobSchema)
@bp.alt_response(404, schema=ErrorSchema)
def get_job(job_id):
    """Status, progress 0-1, the error of a failed job, and the output URLs of a finished one."""
    return job_or_404(job_id)


@bp.route("/<job_id>/video")
@bp.response(200, content_type="video/mp4", description="annotated H.264 MP4 (range requests work)")
@bp.alt_response(404, schema=ErrorSchema)
@bp.alt_response(409, schema=ErrorSchema, description="the job has not finished")
def get_job_video(job_id):
    return send_file(finished_file(job_id, "output_path"), mimetype="video/mp4", conditional=True)


@bp.route("/<job_id>/results")
@bp.response(200, content_type="application/json", description="one entry per tracked person")
@bp.alt_response(404, schema=ErrorSchema)
@bp.alt_response(409, schema=ErrorSchema, description="the job has not finished")
def get_job_results(job_id):
    return send_file(
        finished_file(job_id, "result_path"),
        mimetype="application/json",
        as_attachment=True,
        download_name=f"maskwatch-{job_id}.json",
    )
