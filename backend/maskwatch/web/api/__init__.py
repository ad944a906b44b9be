"""REST API under /api: one blueprint per resource, documented at /api/openapi.json."""

from flask import Flask

from ..extensions import api
from . import auth, cameras, errors, health, images, jobs, sightings, sources, stats, videos
from .parser import RowIdConverter
from .schemas import ErrorSchema

BLUEPRINTS = (health.bp, auth.bp, sources.bp, cameras.bp, images.bp, videos.bp, jobs.bp, sightings.bp, stats.bp)


def init_app(app: Flask) -> None:
    api.ERROR_SCHEMA = ErrorSchema  # the documented default error is the one errors.json_error returns
    app.url_map.converters["int"] = RowIdConverter  # before any rule is added
    api.init_app(app)
    for bp in BLUEPRINTS:
        api.register_blueprint(bp)
    errors.init_app(app)
    images.init_app(app)
