"""How `maskwatch serve` runs the app: upgrade the database, then gunicorn with one gthread worker
(maskwatch.web.serving): read timeouts and TCP_NODELAY on every connection, a bound on the requests of one client
address, the Flask app built in the worker process.
"""

from __future__ import annotations

from collections.abc import Callable

from ..store.database import upgrade_database


def prepare_database(app) -> None:
    """What a starting server does: upgrade the schema, write the sightings an earlier process left in
    the spool, deal with the video jobs the last process left queued or running (the in-process pool lost
    them; with REDIS_URL they wait in Redis for a worker instead): run them again from the start while
    their upload is there and attempts < JOB_MAX_ATTEMPTS, else fail them with the reason; and start
    again the cameras that were running."""
    from ..store.queries import enabled_camera_ids, recover_interrupted_jobs
    from .auth import ensure_admin
    from .services import runner_of, services_of

    services, runner = services_of(app), runner_of(app)
    upgrade_database(services.store_scope)
    ensure_admin(app)
    with services.store_scope():
        services.recorder.resume()
        if not app.config.get("REDIS_URL"):
            for job_id in recover_interrupted_jobs(app.config["JOB_MAX_ATTEMPTS"]):
                runner.submit_video(job_id)
        for source_id in enabled_camera_ids():
            runner.start_camera(source_id)


def build_served_app(make_app: Callable, malloc: tuple[int, int, int], secure_cookie: bool):
    """What the worker serves: the app from make_app(), its database upgraded and prepared (prepare_database),
    retention running, behind serving.client_guard.ClientGuard."""
    from ..memory import keep_memory_flat
    from ..retention import start_retention
    from .extensions import socketio
    from .services import services_of
    from .serving.client_guard import ClientGuard

    keep_memory_flat(*malloc)  # before the app's threads start
    app = make_app()
    if secure_cookie:
        app.config["SESSION_COOKIE_SECURE"] = True
    prepare_database(app)
    start_retention(services_of(app))
    engine_io = socketio.server.eio
    websocket_idle_s = engine_io.ping_interval + engine_io.ping_timeout + app.config["WEB_READ_TIMEOUT_S"]
    app.wsgi_app = ClientGuard(
        app.wsgi_app, app.config["WEB_MAX_REQUESTS_PER_CLIENT"], websocket_idle_s, app.config["PROXY_COUNT"]
    )
    return app


def disconnect_socketio_clients() -> None:
    """A stopping server closes its Socket.IO connections (their people are written by the disconnect handlers);
    the browsers reconnect, to this server once it is back or to another one."""
    from .extensions import socketio

    socketio.server.eio.disconnect()


def serve(
    host: str = "0.0.0.0",
    port: int = 5000,
    make_app: Callable | None = None,
    https: bool = False,
    tls_cert: str | None = None,
    tls_key: str | None = None,
) -> None:
    """Serve make_app() (default runtime.web_app(), settings from the environment) on gunicorn until stopped.

    https: serve TLS with tls_cert/tls_key, or with a self-signed pair made in the instance folder
    (maskwatch.web.tls), so other devices on the network get the camera on the live page.
    """
    from functools import partial
    from pathlib import Path

    from ..config import Config
    from ..runtime import web_app
    from .serving.server import GunicornServer, server_options

    config = vars(Config())
    certfile = keyfile = None
    secure = bool(https or tls_cert or tls_key)
    if secure:
        from .tls import certificate_files

        cert, key = certificate_files(Path(config["INSTANCE_PATH"]).resolve(), tls_cert, tls_key)
        certfile, keyfile = str(cert), str(key)
    build = partial(
        build_served_app,
        make_app or web_app,
        (config["MALLOC_ARENAS"], config["MALLOC_MMAP_THRESHOLD_KB"], config["MALLOC_FREE_MB"]),
        secure,
    )
    GunicornServer(
        build,
        server_options(config, host, port, certfile, keyfile),
        config["WEB_READ_TIMEOUT_S"],
        stopping=disconnect_socketio_clients,
    ).run()
