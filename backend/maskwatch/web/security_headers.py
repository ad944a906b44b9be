"""Security headers on every response: a Content-Security-Policy that allows only this origin's scripts,
no sniffing, no framing, no referrer to other sites, and the camera only for this origin. API answers are
never stored by a browser or a proxy (Cache-Control: no-store, unless a route chose otherwise: the job files
revalidate). The Date header is left to the server, which always writes one."""

from __future__ import annotations

from flask import Flask, request

#: 'unsafe-inline' styles: Bootstrap and Vue set style attributes (box positions); scripts stay 'self' only.
#: data:/blob: images and media: the annotated picture comes as a data URL, the webcam preview as a blob.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "media-src 'self' blob:",
        "connect-src 'self'",
        "font-src 'self' data:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)

HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(self), microphone=(), geolocation=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def add_security_headers(response):
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if (request.path == "/api" or request.path.startswith("/api/")) and "Cache-Control" not in response.headers:
        response.headers["Cache-Control"] = "no-store"  # sightings, sources, the CSRF token: private and changing
    # send_file's conditional answers (job files, the app's files) set a Date; Werkzeug's server and gunicorn add
    # their own whatever the app set, so the answer would carry two.
    response.headers.pop("Date", None)
    return response


def init_app(app: Flask) -> None:
    app.after_request(add_security_headers)
