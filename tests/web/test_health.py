"""GET /api/health tells the truth: 200 only when a sighting would be written to the database now; otherwise 503
degraded with the reason, found by a real query with a short timeout (HEALTH_TIMEOUT_S): another connection's
exclusive SQLite lock, a pool with every connection taken, sightings waiting in the spool. (A stopped MariaDB,
database_unreachable: test_outage.py.)"""

from __future__ import annotations

import sqlite3
import time
from datetime import datetime, timedelta

import pytest
from sqlalchemy.engine import make_url

from maskwatch.store import queries
from maskwatch.store.database import db
from maskwatch.store.errors import StoreUnavailable
from maskwatch.store.spool import SourceRef, SpooledSighting
from maskwatch.tracking import PersonSighting
from maskwatch.web.services import services_of


def timed_health(client) -> tuple[float, int, dict]:
    started = time.perf_counter()
    response = client.get("/api/health")
    return time.perf_counter() - started, response.status_code, response.get_json()


def test_health_is_ok_when_a_sighting_would_be_written(client):
    _, status, body = timed_health(client)
    assert (status, body["status"], body["reasons"], body["database"]) == (200, "ok", [], True)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_an_exclusive_sqlite_lock_is_database_locked(make_app):
    app = make_app(HEALTH_TIMEOUT_S=0.5)
    client = app.test_client()
    assert client.get("/api/health").status_code == 200
    holder = sqlite3.connect(make_url(app.config["SQLALCHEMY_DATABASE_URI"]).database, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # another process's long write, a backup tool, ...
    try:
        took, status, body = timed_health(client)
        assert (status, body["status"], body["reasons"]) == (503, "degraded", ["database_locked"])
        assert body["database"] is False
        assert took < 3, took  # the short timeout, not the 5 s every other query waits
        with app.app_context(), pytest.raises(StoreUnavailable, match="locked"):  # what health said: no writes now
            queries.create_source("image", "blocked")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert timed_health(client)[1] == 200


def test_a_pool_with_every_connection_taken_is_pool_exhausted(make_app):
    app = make_app(DB_POOL_SIZE=2, DB_MAX_OVERFLOW=0, DB_POOL_TIMEOUT_S=30)
    client = app.test_client()
    with app.app_context():
        held = [db.engine.connect() for _ in range(2)]  # two slow requests elsewhere in the process
        try:
            took, status, body = timed_health(client)
        finally:
            for connection in held:
                connection.close()
    assert (status, body["reasons"], body["database"]) == (503, ["pool_exhausted"], False)
    assert took < 2, took  # said at once, not after DB_POOL_TIMEOUT_S
    assert timed_health(client)[1] == 200


def test_sightings_waiting_in_the_spool_are_a_spool_backlog(make_app):
    app = make_app()
    client = app.test_client()
    now = datetime(2026, 12, 1, 12, 0, 0)
    people = [PersonSighting(k, now + timedelta(seconds=k), now, "mask", 0.9, 3) for k in range(3)]
    waiting = [SpooledSighting.of(SourceRef(kind="webcam", name="door"), person) for person in people]
    services_of(app).recorder.spool.put(waiting)  # left by an outage; the flusher has not written them yet
    _, status, body = timed_health(client)
    assert (status, body["status"], body["reasons"], body["database"]) == (503, "degraded", ["spool_backlog"], True)
    assert body["sightings_waiting"] == 3
    with app.app_context():
        assert services_of().recorder.flush() == 3
    _, status, body = timed_health(client)
    assert (status, body["reasons"], body["sightings_waiting"]) == (200, [], 0)
