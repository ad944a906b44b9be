"""Web fixtures: app, client, runner and live_client on a fresh database, over SQLite and MariaDB.

MariaDB tests need the mariadb-server package (`make test` installs it). Without it they are
skipped, unless MASKWATCH_REQUIRE_MARIADB=1 (set by `make test`), which makes that an error.
"""

from __future__ import annotations

import pytest

from maskwatch.config import TestConfig
from maskwatch.store.database import db
from maskwatch.web import create_app
from maskwatch.web.extensions import socketio
from maskwatch.web.server import upgrade_database
from maskwatch.web.services import runner_of
from maskwatch_testing.mariadb import started_mariadb
from maskwatch_testing.require import missing_service
from maskwatch_testing.workers import RedisServer, redis_installed

DATABASES = ["sqlite", "mariadb"]


@pytest.fixture(scope="session")
def mariadb(tmp_path_factory):
    with started_mariadb(tmp_path_factory.mktemp("mariadb")) as server:
        yield server


@pytest.fixture(scope="module")
def redis(tmp_path_factory):
    """A real redis-server for the module (the Celery broker, the revocations shared by servers)."""
    if not redis_installed():
        missing_service("redis-server is not installed (make redis)", "MASKWATCH_REQUIRE_REDIS")
    with RedisServer(tmp_path_factory.mktemp("redis")) as server:
        yield server


@pytest.fixture(params=DATABASES)
def database_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'maskwatch.db'}"
    return request.getfixturevalue("mariadb").fresh_database()


@pytest.fixture
def make_app(mask_detector, tmp_path, database_url):
    """create_app on the test database, schema upgraded, with the session's MTCNN mask_detector;
    make_app(upgrade=False) leaves it empty; make_app(builds_detector=name) lets the app build that
    detector itself from config, as `make run` does."""
    apps = []

    def make(upgrade: bool = True, builds_detector: str | None = None, **settings):
        config = TestConfig(tmp_path / "instance", database_url)
        config.use_detector(builds_detector or "mtcnn")  # the app's detector, with its profile defaults
        for name, value in settings.items():
            setattr(config, name, value)
        app = create_app(config, detector=None if builds_detector else mask_detector)
        if upgrade:
            upgrade_database(app.app_context)
        apps.append(app)
        return app

    yield make
    for app in apps:
        runner_of(app).shutdown(wait=True)
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def live_client(app, client):
    """live_client(auth=None): a Socket.IO test client connected to /live; disconnected after the test."""
    clients = []

    def connect(auth=None):
        live = socketio.test_client(app, namespace="/live", flask_test_client=client, auth=auth)
        clients.append(live)
        return live

    yield connect
    for live in clients:
        if live.is_connected("/live"):
            live.disconnect("/live")
