"""The one JSON error shape of the API: {"error": code, "message": text} with the right status."""

from __future__ import annotations

import logging
import math
import time

from flask import Flask, jsonify
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException

from ...errors import ApiError
from ...media import MediaError
from ...store.errors import StoreUnavailable

__all__ = ["ApiError", "json_error", "init_app"]
log = logging.getLogger(__name__)

#: HTTP status for each MediaError code.
MEDIA_ERROR_STATUS = {
    "empty": 400,
    "corrupt": 400,
    "not_found": 400,
    "unsupported_type": 415,
    "too_large": 413,
    "too_many_pixels": 413,
    "too_long": 413,
    "busy": 503,
}
#: Seconds a client is told to wait after a busy answer.
BUSY_RETRY_AFTER_S = 2
#: The database is down, locked or every pooled connection is taken: the client may try again (503), it is no bug.
DATABASE_UNAVAILABLE = (StoreUnavailable, OperationalError, InterfaceError, PoolTimeout)
# (SQLAlchemy's own: a lazy attribute load outside a named query can fail too)


def json_error(status: int, code: str, message: str, details=None):
    """The response every error of the API goes through."""
    body = {"error": code, "message": message}
    if details:
        body["details"] = details
    return jsonify(body), status


def _code_of(exc: HTTPException) -> str:
    return (exc.name or "error").lower().replace(" ", "_")


def _retry_text() -> str:
    from ..extensions import limiter

    limit = limiter.current_limit
    if limit is None:
        return "try again later"
    return f"try again in {max(1, math.ceil(limit.reset_at - time.time()))} s"


def handle_http_exception(exc: HTTPException):
    messages = (getattr(exc, "data", None) or {}).get("messages")  # webargs validation details
    if exc.code == 413:
        return json_error(413, "too_large", exc.description or "the upload is too large")
    if exc.code == 429:  # flask-limiter's description is the limit itself, e.g. "5 per 1 minute"
        return json_error(429, "too_many_requests", f"too many failed attempts ({exc.description}); {_retry_text()}")
    message = "invalid request parameters" if messages else (exc.description or exc.name)
    return json_error(exc.code or 500, "invalid_request" if messages else _code_of(exc), message, messages)


def handle_media_error(exc: MediaError):
    response, status = json_error(MEDIA_ERROR_STATUS.get(exc.code, 400), exc.code, exc.message)
    if exc.code == "busy":
        response.headers["Retry-After"] = str(BUSY_RETRY_AFTER_S)
    return response, status


def handle_database_unavailable(exc: Exception):
    from ...store.errors import rollback_quietly

    log.warning("database unavailable: %s", exc.__class__.__name__, exc_info=log.isEnabledFor(logging.DEBUG))
    rollback_quietly()  # a StoreUnavailable was rolled back already; SQLAlchemy's own were not
    response, status = json_error(503, "database_unavailable", "the database is unreachable or busy; try again shortly")
    response.headers["Retry-After"] = str(BUSY_RETRY_AFTER_S)
    return response, status


def init_app(app: Flask) -> None:
    """Register the handlers (after flask-smorest's, which they replace)."""
    app.register_error_handler(HTTPException, handle_http_exception)
    for exc_class in DATABASE_UNAVAILABLE:
        app.register_error_handler(exc_class, handle_database_unavailable)
    app.register_error_handler(ApiError, lambda exc: json_error(exc.status, exc.code, exc.message))
    app.register_error_handler(MediaError, handle_media_error)

    @app.errorhandler(Exception)
    def handle_unexpected(exc):  # a bug must not leak a stack trace nor an HTML page
        log.exception("unhandled error")
        return json_error(500, "internal_error", "the server failed to handle this request")
