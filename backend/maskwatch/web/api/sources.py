"""Sources: GET/POST /api/sources, GET/DELETE /api/sources/<id>."""

from flask import current_app

from ...store import queries
from .errors import ApiError
from .parser import Blueprint
from .schemas import ErrorSchema, SourceInSchema, SourceSchema

bp = Blueprint("sources", __name__, url_prefix="/api/sources", description="Where sightings come from")


def source_or_404(source_id: int, kinds: tuple[str, ...] | None = None):
    """The source, 404 when there is none, 400 wrong_source_kind when it is not one of `kinds` (None: any)."""
    source = queries.get_source(source_id)
    if source is None:
        raise ApiError(404, "not_found", f"no source {source_id}")
    if kinds is not None and source.kind not in kinds:
        raise ApiError(
            400, "wrong_source_kind", f"source {source_id} is a {source.kind} source, not {' or '.join(kinds)}"
        )
    return source


@bp.route("")
@bp.response(200, SourceSchema(many=True))
def list_sources():
    """Every source (camera URLs are never returned)."""
    return queries.list_sources()


@bp.route("", methods=["POST"])
@bp.arguments(SourceInSchema)
@bp.response(201, SourceSchema)
def create_source(body):
    """Add a source; cameras need a stream URL, which is kept on the server (start one with
    POST /api/cameras/<id>/start)."""
    url = body.get("url")
    if url and url.lower().startswith("file://") and not current_app.config["CAMERA_FILE_URLS"]:
        raise ApiError(400, "invalid_request", "file:// camera URLs are off on this server (CAMERA_FILE_URLS)")
    return queries.create_source(body["kind"], body["name"], url, body.get("detect_fps"))


@bp.route("/<int:source_id>")
@bp.response(200, SourceSchema)
@bp.alt_response(404, schema=ErrorSchema)
def get_source(source_id):
    return source_or_404(source_id)


@bp.route("/<int:source_id>", methods=["DELETE"])
@bp.response(204)
@bp.alt_response(404, schema=ErrorSchema)
def delete_source(source_id):
    """Delete a source and its sightings (a camera's worker stops on its next heartbeat)."""
    queries.delete_source(source_or_404(source_id))
