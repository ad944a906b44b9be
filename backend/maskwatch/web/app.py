"""The application factory: the Flask app of a process, from its settings, detector and publishers.

Which detector a process gets (built now, built on first use, none) is decided by its composition
root, maskwatch.runtime; create_app only binds what it is given.
"""

from __future__ import annotations

from pathlib import Path


def create_app(config=None, detector=None):
    """Build the web application.

    Args:
        config: a config object (default maskwatch.config.Config(), read from the environment).
        detector: a DetectorService (runtime.detector_service), or a ready MaskDetector to share
            (tests); default: runtime.detector_service(config), built now.
    Example: create_app(TestConfig(tmp_path), detector=mask_detector)
    """
    import atexit

    from flask import Flask

    from ..config import Config
    from ..detector_service import as_detector_service
    from ..jobs import build_runner
    from ..services import Services
    from ..store.database import db, migrate
    from ..store.engine import engine_options
    from ..store.recording import SightingRecorder
    from . import api, auth, events, live, security_headers, spa
    from .extensions import socketio
    from .services import attach

    config = config or Config()
    app = Flask("maskwatch", instance_path=str(Path(config.INSTANCE_PATH).resolve()), instance_relative_config=False)
    app.config.from_object(config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{Path(app.instance_path) / 'maskwatch.db'}"
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
        **engine_options(app.config["SQLALCHEMY_DATABASE_URI"], app.config),
        **(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {}),
    }
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = auth.instance_secret_key(app.instance_path)
    if app.config.get("PROXY_COUNT"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        n = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)

    db.init_app(app)
    migrate.init_app(app, db)
    # The sighting spool: people wait there while the database is unreachable. Rows an earlier process left
    # wait for resume() (web.server.prepare_database, after the upgrade) or for the first write or camera.
    recorder = SightingRecorder(app.instance_path, app.config, app.app_context)
    atexit.register(recorder.flusher.stop, 1.0)
    services = Services(
        settings=app.config,
        instance_path=Path(app.instance_path),
        detector=as_detector_service(detector, app.config),
        recorder=recorder,
        store_scope=app.app_context,
    )
    # With REDIS_URL, events emitted by Celery workers reach this server's clients through Redis.
    socketio.init_app(app, async_mode="threading", message_queue=app.config.get("REDIS_URL"))
    auth.init_app(app)
    security_headers.init_app(app)
    events.init_app(app)
    attach(app, services, build_runner(services, events.EventRoutes()))
    api.init_app(app)
    live.init_app(app)
    spa.init_app(app)  # last: its catch-all route must not shadow the API's
    return app
