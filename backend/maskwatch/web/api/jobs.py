"""The video jobs: GET /api/jobs (newest first, with queue place and time left), GET /api/jobs/<id>, its annotated
video and per-track results, POST /api/jobs/<id>/cancel, DELETE /api/jobs/<id>."""

from __future__ import annotations

import logging
from pathlib import Path

from flask import send_file

from ...store import queries
from ...store.queries import JobDeleteRefused
from ..events import EventRoutes
from .errors import ApiError
from .parser import Blueprint
from .schemas import ErrorSchema, JobListItemSchema, JobListQuerySchema, JobSchema

log = logging.getLogger(__name__)

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


@bp.route("")
@bp.arguments(JobListQuerySchema, location="query")
@bp.response(200, JobListItemSchema(many=True))
def list_jobs(args):
    """The newest jobs first: status, progress, the source they count under, the queue place of a queued one and
    the seconds a running one has left."""
    listed = []
    for job, source_name, place in queries.list_jobs(args["limit"]):
        job.source_name, job.queue_position = source_name, place
        listed.append(job)
    return listed


@bp.route("/<job_id>/cancel", methods=["POST"])
@bp.response(200, JobSchema)
@bp.alt_response(404, schema=ErrorSchema)
def cancel_job(job_id):
    """A queued job never runs; a running one stops within a second and counts nobody; a finished one is left as
    it is. Answers the job."""
    job = queries.cancel_job(job_id)
    if job is None:
        raise ApiError(404, "not_found", f"no job {job_id}")
    EventRoutes().jobs().publish("job", JobSchema().dump(job))
    return job


@bp.route("/<job_id>", methods=["DELETE"])
@bp.response(204)
@bp.alt_response(404, schema=ErrorSchema)
@bp.alt_response(409, schema=ErrorSchema, description="the job is queued or running: cancel it first")
def delete_job(job_id):
    """Delete a finished job, its files and the sightings it wrote."""
    try:
        paths = queries.delete_job(job_id)
    except JobDeleteRefused as exc:
        raise ApiError(409, "job_not_finished", f"job {job_id} is {exc}: cancel it first") from exc
    if paths is None:
        raise ApiError(404, "not_found", f"no job {job_id}")
    for path in paths:
        try:
            Path(path).unlink(missing_ok=True)
        except OSError as exc:  # the row is gone; a file left behind goes with the retention sweep
            log.warning("job %s: could not remove %s: %s", job_id, path, exc)
    EventRoutes().jobs().publish("job_deleted", {"id": job_id})
    return ""


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
