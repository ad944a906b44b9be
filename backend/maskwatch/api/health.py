"""GET /api/health: database reachable, model loaded, version, sightings waiting in the spool."""

from flask import current_app

from .. import __version__
from ..detector_service import get_detector
from ..store.queries import database_reachable
from ..store.recording import spool_status
from .parser import Blueprint
from .schemas import HealthSchema

bp = Blueprint("health", __name__, url_prefix="/api/health", description="Is the service usable")


@bp.route("")
@bp.response(200, HealthSchema)
@bp.alt_response(503, schema=HealthSchema, description="the database is unreachable")
def health():
    """Database reachable, model loaded, version, and the sightings waiting in the spool for the database."""
    database = database_reachable()
    spool = spool_status()
    service = get_detector()
    body = {"status": "ok" if database else "degraded", "database": database,
            "model_loaded": service.loaded, "detector": current_app.config["DETECTOR"],
            "profiles": {name: profile.to_dict() for name, profile in service.profiles.items()}, "version": __version__,
            "sightings_waiting": spool["waiting"], "sightings_dropped": spool["dropped"]}
    return body, (200 if database else 503)
