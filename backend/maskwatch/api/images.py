"""POST /api/images: faces and verdicts of one uploaded picture, recorded as one sighting per face."""

from __future__ import annotations

import base64
import time

import cv2
from flask import current_app
from sqlalchemy.exc import SQLAlchemyError

from ..detection.draw import draw_detections
from ..detector_service import get_detector
from ..media import decode_image
from ..store import queries, utcnow
from ..store.recording import record_sightings
from ..store.spool import SourceRef
from ..tracking import FaceTracker
from .errors import ApiError
from .parser import Blueprint
from .schemas import ErrorSchema, ImageQuerySchema, ImageResultSchema, UploadSchema

bp = Blueprint("images", __name__, url_prefix="/api/images", description="Detect masks in a picture")

UPLOADS_SOURCE = "uploads"


def read_upload(storage, max_bytes: int) -> bytes:
    """The uploaded file's bytes, refusing more than max_bytes without reading them all."""
    data = storage.stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise ApiError(413, "too_large", f"the file is over the {max_bytes / 2**20:.0f} MB limit")
    return data


def upload_source(source_id: int | None, kind: str, default_name: str) -> SourceRef:
    """The given source (404 when there is none) or the first of (kind, default_name), created when missing.
    While the database is unreachable it stays unresolved and the sightings wait in the spool."""
    wanted = SourceRef(source_id) if source_id is not None else SourceRef(kind=kind, name=default_name)
    try:
        resolved = queries.resolve_source(wanted)
    except SQLAlchemyError:
        return wanted
    if resolved is None:
        raise ApiError(404, "not_found", f"no source {source_id}")
    return SourceRef(resolved)


def jpeg_data_url(rgb) -> str:
    ok, jpeg = cv2.imencode(".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 85])
    return "data:image/jpeg;base64," + base64.b64encode(jpeg.tobytes()).decode("ascii")


@bp.route("", methods=["POST"])
@bp.arguments(ImageQuerySchema, location="query")
@bp.arguments(UploadSchema, location="files")
@bp.response(200, ImageResultSchema)
@bp.alt_response(400, schema=ErrorSchema, description="empty or damaged image")
@bp.alt_response(413, schema=ErrorSchema, description="over MAX_UPLOAD_MB or too many pixels")
@bp.alt_response(415, schema=ErrorSchema, description="not a JPEG, PNG or WebP image (checked by content)")
def detect_image(query, files):
    """Faces with boxes, labels and scores; each face is recorded as one sighting."""
    max_bytes = current_app.config["MAX_UPLOAD_MB"] * 2**20
    rgb = decode_image(read_upload(files["file"], max_bytes), max_bytes=max_bytes,
                       max_pixels=current_app.config["MAX_IMAGE_PIXELS"])
    source = upload_source(query["source_id"], "image", UPLOADS_SOURCE)
    started = time.perf_counter()
    detections = get_detector().detect(rgb)
    ms = (time.perf_counter() - started) * 1000
    tracker = FaceTracker(min_frames=1)  # an image is one frame: every face is a person
    faces = tracker.update(detections, utcnow()).faces
    recorded = record_sightings(source, tracker.close_all())
    body = {"source_id": recorded.source_id, "width": int(rgb.shape[1]), "height": int(rgb.shape[0]),
            "faces": [{**f.detection.to_dict(), "verdict": f.verdict} for f in faces],
            "sightings": recorded.written, "sightings_waiting": recorded.waiting, "ms": round(ms, 1)}
    if query["annotate"]:
        body["annotated"] = jpeg_data_url(draw_detections(rgb, detections))
    return body
