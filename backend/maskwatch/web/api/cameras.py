"""Cameras: GET /api/cameras (the live page's picker), GET /api/cameras/<id>/status, POST .../start, .../stop.

A browser watches a camera on the /live Socket.IO namespace: emit("watch", {"camera_id": id}) joins the
camera's room; the worker then pushes 'camera' (faces, counts, JPEG), 'camera_state' and 'alert' events.
"""

from __future__ import annotations

from flask import current_app

from ...store import queries
from ..services import runner_of
from .errors import ApiError
from .parser import Blueprint
from .schemas import CameraSchema, ErrorSchema

bp = Blueprint("cameras", __name__, url_prefix="/api/cameras", description="IP cameras read by workers")


def camera_or_404(source_id: int):
    source = queries.get_source(source_id)
    if source is None or source.kind != "camera":
        raise ApiError(404, "not_found", f"no camera {source_id}")
    return source


@bp.route("")
@bp.response(200, CameraSchema(many=True))
def list_cameras():
    """Every camera with its masked URL and state."""
    return queries.list_cameras()


@bp.route("/<int:source_id>/status")
@bp.response(200, CameraSchema)
@bp.alt_response(404, schema=ErrorSchema)
def camera_status(source_id):
    """State reported by the camera's worker: stopped, starting, connected, retrying or failed (+ error)."""
    return camera_or_404(source_id)


@bp.route("/<int:source_id>/start", methods=["POST"])
@bp.response(202, CameraSchema)
@bp.alt_response(404, schema=ErrorSchema)
def start_camera(source_id):
    """Start reading the camera (again after a failure); a no-op while a worker runs it."""
    source = camera_or_404(source_id)
    if not (source.camera_enabled and queries.camera_held(source_id, current_app.config["CAMERA_STALE_S"])):
        queries.set_camera_enabled(source_id, True)
        runner_of().start_camera(source_id)
    return camera_or_404(source_id)


@bp.route("/<int:source_id>/stop", methods=["POST"])
@bp.response(202, CameraSchema)
@bp.alt_response(404, schema=ErrorSchema)
def stop_camera(source_id):
    """Stop the camera: its worker lets go within about a second and reports 'stopped'."""
    camera_or_404(source_id)
    queries.set_camera_enabled(source_id, False)
    return camera_or_404(source_id)
