"""POST /api/images: faces and verdicts of one uploaded picture, recorded as one sighting per face."""

from __future__ import annotations

import base64
import hashlib
import json
from types import SimpleNamespace

import cv2
from flask import Flask, current_app

from ...detection.draw import draw_detections
from ...detection.profiles import PICTURE
from ...media import PixelBudget, decode_image, image_size
from ...monitor import StreamSession
from ...store import queries, utcnow
from ...store.errors import StoreError
from ...store.spool import SourceRef
from ...tracking import FaceTracker
from ..services import services_of
from .errors import ApiError
from .parser import Blueprint
from .schemas import ErrorSchema, ImageQuerySchema, ImageResultSchema, UploadSchema
from .sources import source_or_404
from .uploads import already_counted, display_name, earlier_upload, remember_upload

bp = Blueprint("images", __name__, url_prefix="/api/images", description="Detect masks in a picture")

UPLOADS_SOURCE = "uploads"
PIXEL_BUDGET_KEY = "maskwatch.image_pixel_budget"


def init_app(app: Flask) -> None:
    """The app's PixelBudget: IMAGE_PIXELS_AT_ONCE shared by the picture uploads in work."""
    app.extensions[PIXEL_BUDGET_KEY] = PixelBudget(app.config["IMAGE_PIXELS_AT_ONCE"], app.config["IMAGE_WAIT_S"])


def read_upload(storage, max_bytes: int) -> bytes:
    """The uploaded file's bytes, refusing more than max_bytes without reading them all."""
    data = storage.stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise ApiError(413, "too_large", f"the file is over the {max_bytes / 2**20:.0f} MB limit")
    return data


def upload_source(source_id: int | None, kind: str, default_name: str) -> SourceRef:
    """The given source (404 when there is none, 400 when it is not of `kind`) or the first of (kind,
    default_name), created when missing. While the database is unreachable it stays unresolved and the
    sightings wait in the spool."""
    wanted = SourceRef(source_id) if source_id is not None else SourceRef(kind=kind, name=default_name)
    try:
        if source_id is not None:
            source_or_404(source_id, (kind,))
        resolved = queries.resolve_source(wanted)
    except StoreError:
        return wanted
    if resolved is None:
        raise ApiError(404, "not_found", f"no source {source_id}")
    return SourceRef(resolved)


def picture_box(box, scale: tuple[float, float]) -> list[float]:
    """A box scaled by (sx, sy): one found in the decoded frame into the pixels of the picture it was scaled
    from, or (the inverse scale) back."""
    sx, sy = scale
    x1, y1, x2, y2 = box
    return [round(float(v), 1) for v in (x1 * sx, y1 * sy, x2 * sx, y2 * sy)]


def jpeg_data_url(rgb) -> str:
    ok, jpeg = cv2.imencode(".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 85])
    return "data:image/jpeg;base64," + base64.b64encode(jpeg.tobytes()).decode("ascii")


@bp.route("", methods=["POST"])
@bp.arguments(ImageQuerySchema, location="query")
@bp.arguments(UploadSchema, location="files")
@bp.response(200, ImageResultSchema)
@bp.alt_response(400, schema=ErrorSchema, description="empty or damaged image; source_id not an image source")
@bp.alt_response(404, schema=ErrorSchema, description="no source source_id")
@bp.alt_response(413, schema=ErrorSchema, description="over MAX_UPLOAD_MB or too many pixels")
@bp.alt_response(415, schema=ErrorSchema, description="not a JPEG, PNG or WebP image (checked by content)")
@bp.alt_response(
    503, schema=ErrorSchema, description="busy: other large pictures take IMAGE_PIXELS_AT_ONCE (see Retry-After)"
)
def detect_image(query, files):
    """Faces with boxes, labels and scores; each face is recorded as one sighting. The same picture (by its
    bytes) uploaded again gets the first upload's answer, with already_counted, and counts nobody, unless
    count_again=true."""
    max_bytes = current_app.config["MAX_UPLOAD_MB"] * 2**20
    max_pixels = current_app.config["MAX_IMAGE_PIXELS"]
    data = read_upload(files["file"], max_bytes)
    width, height = image_size(data, max_bytes, max_pixels)
    sha256 = hashlib.sha256(data).hexdigest()
    earlier = None if query["count_again"] else earlier_upload(sha256, "image")
    if earlier is not None and query["source_id"] is not None:
        upload_source(query["source_id"], "image", UPLOADS_SOURCE)  # a wrong source_id is refused all the same
    budget = current_app.extensions[PIXEL_BUDGET_KEY]

    def decoded():
        return decode_image(data, max_bytes, max_pixels, max_side=current_app.config["PICTURE_MAX_SIDE"])

    if earlier is not None and earlier.result:
        body = repeated_answer(earlier)
        if query["annotate"]:  # only then is the picture decoded again
            with budget.hold(width * height):
                body["annotated"] = annotated_copy(decoded(), body["faces"], (width, height))
        return body
    with budget.hold(width * height):
        body = detect_in_picture(decoded(), (width, height), query)
    remember_upload(
        sha256,
        "image",
        display_name(files["file"].filename, "picture"),
        body["source_id"] if not body["sightings_waiting"] else None,
        sightings=body["sightings"],
        result={k: v for k, v in body.items() if k != "annotated"},
    )
    return body


def repeated_answer(earlier) -> dict:
    """The first upload's answer again, counting nobody."""
    return {
        **json.loads(earlier.result),
        "sightings": 0,
        "sightings_waiting": 0,
        "already_counted": already_counted(earlier),
    }


def annotated_copy(rgb, faces: list[dict], size: tuple[int, int]) -> str:
    """An answer's faces (boxes in the picture's pixels) drawn on `rgb`, the picture decoded at its served size."""
    to_rgb = (rgb.shape[1] / size[0], rgb.shape[0] / size[1])
    drawn = [SimpleNamespace(label=f["label"], score=f["score"], box=picture_box(f["box"], to_rgb)) for f in faces]
    return jpeg_data_url(draw_detections(rgb, drawn))


def detect_in_picture(rgb, size: tuple[int, int], query) -> dict:
    """The answer of POST /api/images for a picture of `size` (width, height) decoded as `rgb`, which may be
    scaled down (PICTURE_MAX_SIDE): boxes are given in the picture's own pixels, the annotated copy is rgb's."""
    services = services_of()
    service = services.detector
    # a picture is a one-frame session: every face is a person (min_frames=1)
    session = StreamSession(
        service,
        FaceTracker(min_frames=1),
        upload_source(query["source_id"], "image", UPLOADS_SOURCE),
        recorder=services.recorder,
        profile=PICTURE,
    )
    result = session.process(rgb, utcnow())
    session.close()
    to_picture = (size[0] / rgb.shape[1], size[1] / rgb.shape[0])
    body = {
        "source_id": session.source_id,
        "width": size[0],
        "height": size[1],
        "faces": [
            {**f.detection.to_dict(), "box": picture_box(f.detection.box, to_picture), "verdict": f.verdict}
            for f in result.faces
        ],
        "sightings": session.written,
        "sightings_waiting": session.waiting,
        "ms": result.ms,
    }
    smallest = service.smallest_face_px(PICTURE, rgb.shape[0], rgb.shape[1])
    if smallest is not None:
        body["min_face_px"] = round(smallest * to_picture[0], 1)
    if query["annotate"]:
        body["annotated"] = jpeg_data_url(draw_detections(rgb, [f.detection for f in result.faces]))
    return body
