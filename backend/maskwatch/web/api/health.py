"""GET /api/health: can the product record (a real database query with a short timeout, no spool backlog), and
why not; model loaded, detector, profiles, version, sightings waiting in the spool."""

from flask import current_app

from ... import __version__
from ...store.probe import database_problem
from ..services import services_of
from .parser import Blueprint
from .schemas import HealthSchema

bp = Blueprint("health", __name__, url_prefix="/api/health", description="Is the service usable")

SPOOL_BACKLOG = "spool_backlog"


@bp.route("")
@bp.response(200, HealthSchema)
@bp.alt_response(
    503, schema=HealthSchema, description="degraded: sightings cannot be written to the database now (reasons says why)"
)
def health():
    """ok (200) only when a sighting would be written to the database now; else degraded (503) with the reasons:
    database_unreachable, database_locked, pool_exhausted, spool_backlog (sightings wait in the spool)."""
    services = services_of()
    problem = database_problem(current_app.config["HEALTH_TIMEOUT_S"], current_app.config["SQLALCHEMY_ENGINE_OPTIONS"])
    spool = services.recorder.status()
    reasons = ([problem] if problem else []) + ([SPOOL_BACKLOG] if spool["waiting"] else [])
    service = services.detector
    body = {
        "status": "degraded" if reasons else "ok",
        "reasons": reasons,
        "database": problem is None,
        "model_loaded": service.loaded,
        "detector": current_app.config["DETECTOR"],
        "profiles": {name: profile.to_dict() for name, profile in service.profiles.items()},
        "version": __version__,
        "sightings_waiting": spool["waiting"],
        "sightings_dropped": spool["dropped"],
    }
    return body, (503 if reasons else 200)
