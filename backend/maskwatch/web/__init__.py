"""The web layer: the Flask app factory, the gunicorn server and TLS, the single-page app, security
headers, the REST API (api/), sign-in and tokens (auth/), the live Socket.IO handlers and the events
module that owns namespace and room names. Nothing outside this package imports it, except the
composition root (maskwatch.runtime) and the command-line tool through it."""

from .app import create_app

__all__ = ["create_app"]
