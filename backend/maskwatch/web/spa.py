"""Serve the built Vue app (frontend/dist) beside the API: real files as they are, every other
non-/api path gets index.html so the browser's router can take it (a reload on /live works)."""

from __future__ import annotations

import logging
from pathlib import Path

from flask import Blueprint, abort, current_app, send_from_directory

from .. import paths

log = logging.getLogger(__name__)

bp = Blueprint("webapp", __name__)

#: Paths the SPA never owns: unknown ones there are the API's 404s, not the app's index page.
RESERVED_PREFIXES = ("api/", "socket.io/")

#: How to get the front end, in a checkout and in an installed package (its wheel was built without it).
HOW_TO_BUILD = {
    "checkout": "The web front end is not built. Run <code>make run</code> "
    "(or <code>cd frontend && npm ci && npm run build</code>).",
    "installed": "This MaskWatch was installed without its web front end. In a MaskWatch checkout, build it with "
    "<code>make frontend</code>, then set <code>FRONTEND_DIST</code> to that <code>frontend/dist</code> "
    "folder and restart, or install a wheel built after it (<code>make wheel</code>).",
}
MISSING_BUILD = """<!doctype html><title>MaskWatch</title>
<p>{how} The API is at <a href="/api/openapi.json">/api/openapi.json</a>.</p>"""


def missing_build_page() -> str:
    return MISSING_BUILD.format(how=HOW_TO_BUILD["checkout" if paths.CHECKOUT_ROOT else "installed"])


def dist_dir() -> Path:
    return Path(current_app.config.get("FRONTEND_DIST") or paths.frontend_dist())


@bp.route("/", defaults={"path": ""})
@bp.route("/<path:path>")
def spa(path: str):
    if path.startswith(RESERVED_PREFIXES) or path == "api":
        abort(404)
    dist = dist_dir()
    if path and (dist / path).is_file():
        response = send_from_directory(dist, path)
        if path.startswith("assets/"):  # Vite puts a content hash in these names
            response.cache_control.max_age = 31536000
            response.cache_control.immutable = True
        return response
    if not (dist / "index.html").is_file():
        return missing_build_page(), 503, {"Content-Type": "text/html; charset=utf-8"}
    if Path(path).suffix and not path.endswith(".html"):
        abort(404)  # a missing asset is a 404, not the index page parsed as a script
    response = send_from_directory(dist, "index.html")
    response.cache_control.no_cache = True
    return response


def init_app(app) -> None:
    app.register_blueprint(bp)
    with app.app_context():
        dist = dist_dir()
    if not (dist / "index.html").is_file():
        log.warning(
            "no web front end in %s: / answers a page saying how to build it (FRONTEND_DIST sets the folder)", dist
        )
