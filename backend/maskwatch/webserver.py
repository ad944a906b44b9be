"""How `maskwatch serve` runs the app: upgrade the database, then Flask-SocketIO on Werkzeug's
threaded server (async mode threading + simple-websocket) with TCP_NODELAY on every connection.

Without TCP_NODELAY a server push answered by the client waits ~40 ms in Nagle's algorithm
(ENVIRONMENT.md), which alone would eat a third of the live camera's latency budget.
"""

from __future__ import annotations

import socket

from werkzeug.serving import WSGIRequestHandler


class NoDelayRequestHandler(WSGIRequestHandler):
    """Werkzeug's request handler with Nagle's algorithm off on the accepted socket."""

    def setup(self):
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def upgrade_database(app) -> None:
    """Apply every migration in migrations/ (creates the SQLite file on first start)."""
    from flask_migrate import upgrade

    with app.app_context():
        upgrade()


def prepare_database(app) -> None:
    """What a starting server does: upgrade the schema, write the sightings an earlier process left in
    the spool, deal with the video jobs the last process left queued or running (the in-process pool lost
    them; with REDIS_URL they wait in Redis for a worker instead): run them again from the start while
    their upload is there and attempts < JOB_MAX_ATTEMPTS, else fail them with the reason; and start
    again the cameras that were running."""
    from .jobs import get_runner
    from .store.queries import enabled_camera_ids, recover_interrupted_jobs
    from .store.recording import resume_spool

    from .auth import ensure_admin

    upgrade_database(app)
    ensure_admin(app)
    with app.app_context():
        resume_spool()
        if not app.config.get("REDIS_URL"):
            for job_id in recover_interrupted_jobs(app.config["JOB_MAX_ATTEMPTS"]):
                get_runner().submit_video(job_id)
        for source_id in enabled_camera_ids():
            get_runner().start_camera(source_id)


def serve(host: str = "0.0.0.0", port: int = 5000, app=None, https: bool = False,
          tls_cert: str | None = None, tls_key: str | None = None) -> None:
    """Build the app (default create_app() from the environment), upgrade its database, serve until killed.

    https: serve TLS with tls_cert/tls_key, or with a self-signed pair made in the instance folder
    (maskwatch.tls), so other devices on the network get the camera on the live page.
    """
    from . import create_app, retention
    from .extensions import socketio
    from .memory import limit_malloc_arenas

    app = app or create_app()
    limit_malloc_arenas(app.config["MALLOC_ARENAS"])
    prepare_database(app)
    retention.init_app(app)
    options = {}
    if https or tls_cert or tls_key:
        from .tls import certificate_files

        cert, key = certificate_files(app.instance_path, tls_cert, tls_key)
        options["ssl_context"] = (str(cert), str(key))
        app.config["SESSION_COOKIE_SECURE"] = True
    socketio.run(app, host=host, port=port, allow_unsafe_werkzeug=True, use_reloader=False,
                 request_handler=NoDelayRequestHandler, **options)
