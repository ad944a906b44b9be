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
    from flask import Flask

    from .. import detector_service, jobs
    from ..config import Config
    from ..store import recording
    from ..store.database import db, migrate
    from ..store.engine import engine_options
    from . import api, auth, events, live, security_headers, spa
    from .extensions import socketio

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
    recording.init_app(app)  # the sighting spool: people wait there while the database is unreachable
    # With REDIS_URL, events emitted by Celery workers reach this server's clients through Redis.
    socketio.init_app(app, async_mode="threading", message_queue=app.config.get("REDIS_URL"))
    auth.init_app(app)
    security_headers.init_app(app)
    detector_service.init_app(app, detector)
    events.init_app(app)
    jobs.init_app(app, events.EventRoutes())
    api.init_app(app)
    live.init_app(app)
    spa.init_app(app)  # last: its catch-all route must not shadow the API's
    return app
