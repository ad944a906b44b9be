"""A real MariaDB stopped in the middle of a run and started again (a server of its own, not the session's):
live clients keep their answers, people who leave meanwhile wait in the spool, and afterwards every one
of them is in MariaDB exactly once, also when the app was restarted during the outage; a video job that
ends during the outage is written when the database is back."""

from __future__ import annotations

import io
import json
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pymysql
import pytest

from maskwatch.config import TestConfig
from maskwatch.store.database import db
from maskwatch.web import create_app
from maskwatch.web.extensions import socketio
from maskwatch.web.live import LIVE_MAX_MISSED
from maskwatch.web.live import LIVE_NAMESPACE as NS
from maskwatch.web.server import prepare_database, upgrade_database
from maskwatch.web.services import runner_of, services_of
from maskwatch_testing.faces import ASTRONAUT_FACE
from maskwatch_testing.frames import head_patch, people, scene
from maskwatch_testing.mariadb import DATABASE, PASSWORD, USER, MariaDBServer, started_mariadb
from maskwatch_testing.streams import write_clip

from ..conftest import encode


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with started_mariadb(tmp_path_factory.mktemp("outage-mariadb")) as mariadb:
        yield mariadb


@pytest.fixture
def make_app(server, mask_detector, tmp_path):
    """make_app(): an app on the outage server's fresh database (the first call) and tmp_path/instance."""
    url, apps = server.fresh_database(), []

    def make(**settings):
        config = TestConfig(tmp_path / "instance", url)
        config.SPOOL_FLUSH_S = 0.5
        for name, value in settings.items():
            setattr(config, name, value)
        app = create_app(config, detector=mask_detector)
        apps.append(app)
        return app

    yield make
    if not server.running():
        server.start()
    for app in apps:
        runner_of(app).shutdown(wait=True)
        services_of(app).recorder.close()
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture(scope="module")
def heads(astronaut, grace_hopper, face_detector):
    return people(astronaut, grace_hopper, face_detector)


EMPTY = encode(np.full((120, 160, 3), 128, np.uint8))


def swaying(head, frames: int) -> list[bytes]:
    return [encode(scene([(head, 240 + (i % 5) * 6, 150 + (i % 3) * 4)])) for i in range(frames)]


def connect(app, name: str):
    return socketio.test_client(app, namespace=NS, flask_test_client=app.test_client(), auth={"name": name})


def visit(live, head, frames: int = 3, leave: bool = True) -> list[dict]:
    """A person in front of the camera for `frames` frames, then (leave) gone long enough to end the track."""
    answers = [live.emit("frame", jpeg, namespace=NS, callback=True) for jpeg in swaying(head, frames)]
    if leave:
        answers += [live.emit("frame", EMPTY, namespace=NS, callback=True) for _ in range(LIVE_MAX_MISSED + 1)]
    return answers


def rows_by_source(server: MariaDBServer) -> dict[str, dict]:
    """Straight from MariaDB: per source name, the rows, the distinct people (seen_at) and the spooled rows."""
    connection = pymysql.connect(host="127.0.0.1", port=server.port, user=USER, password=PASSWORD, database=DATABASE)
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT s.name, COUNT(*), COUNT(DISTINCT g.seen_at), COUNT(g.spool_key), "
                "COUNT(DISTINCT g.spool_key) FROM sightings g JOIN sources s ON s.id = g.source_id GROUP BY s.name"
            )
            return {
                name: {"rows": rows, "people": people, "spooled": spooled, "keys": keys}
                for name, rows, people, spooled, keys in cursor.fetchall()
            }
    finally:
        connection.close()


def health(app) -> tuple[int, dict]:
    response = app.test_client().get("/api/health")
    return response.status_code, response.get_json()


def wait_until(condition, timeout: float = 60.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"still waiting for {what}"
        time.sleep(0.2)


def test_live_clients_go_on_through_an_outage_and_nobody_is_lost_or_doubled(server, make_app, heads):
    app = make_app()
    upgrade_database(app.app_context)
    door = connect(app, "door")
    assert all(len(a["faces"]) == 1 for a in visit(door, heads["astronaut"])[:3])
    assert rows_by_source(server)["door"]["rows"] == 1  # written at once while MariaDB is up

    server.stop()
    answers = visit(door, heads["grace_hopper"])  # leaves during the outage
    assert all(len(a["faces"]) == 1 for a in answers[:3]) and all(a["faces"] == [] for a in answers[3:])
    late = connect(app, "late")  # connects while the database is down: its source is resolved later
    assert [e["args"][0] for e in late.get_received(NS) if e["name"] == "ready"] == [{"source_id": None}]
    assert all(a["faces"][0]["label"] == "mask" for a in visit(late, heads["astronaut_masked"], leave=False))
    late.disconnect(NS)
    assert len(visit(door, heads["astronaut"], leave=False)[-1]["faces"]) == 1
    door.disconnect(NS)  # the third person of the door ends here
    status, body = health(app)
    assert status == 503 and body["sightings_waiting"] == 3 and body["sightings_dropped"] == 0
    assert body["reasons"] == ["database_unreachable", "spool_backlog"]

    server.start()  # the same data directory, the same port
    wait_until(lambda: health(app)[1]["sightings_waiting"] == 0, what="the flusher")
    assert health(app)[0] == 200
    expected = {
        "door": {"rows": 3, "people": 3, "spooled": 2, "keys": 2},
        "late": {"rows": 1, "people": 1, "spooled": 1, "keys": 1},
    }
    assert rows_by_source(server) == expected
    with app.app_context():
        assert services_of().recorder.flush() == 0
    assert rows_by_source(server) == expected


def test_sign_in_me_and_sources_answer_503_not_500_while_the_database_is_down(server, make_app):
    from maskwatch.web.auth import ensure_admin

    app = make_app(ADMIN_PASSWORD="correct horse battery")
    upgrade_database(app.app_context)
    ensure_admin(app)
    browser = app.test_client()
    assert (
        browser.post("/api/auth/login", json={"username": "admin", "password": "correct horse battery"}).status_code
        == 200
    )
    server.stop()
    answers = {
        "login": app.test_client().post("/api/auth/login", json={"username": "admin", "password": "x"}),
        "me": browser.get("/api/auth/me"),
        "sources": browser.get("/api/sources"),
    }
    for name, response in answers.items():
        assert (response.status_code, response.get_json()["error"]) == (503, "database_unavailable"), name
        assert response.headers["Retry-After"]
    server.start()
    assert browser.get("/api/sources").status_code == 200  # the pool's broken connections were replaced


def test_spooled_people_are_written_by_the_next_process_after_a_restart_during_the_outage(
    server, make_app, heads, tmp_path
):
    first = make_app()
    upgrade_database(first.app_context)
    hall = connect(first, "hall")
    visit(hall, heads["astronaut"], leave=False)
    server.stop()
    visit(hall, heads["astronaut"], frames=0)  # gone: the track ends while the database is down
    visit(hall, heads["grace_hopper"], leave=False)
    hall.disconnect(NS)
    assert health(first)[1]["sightings_waiting"] == 2
    services_of(first).recorder.close()  # the process dies: what it had in memory is gone, the spool file stays
    assert (tmp_path / "instance" / "spool.sqlite3").is_file()

    second = make_app()  # a new process on the same instance folder, while MariaDB is still down
    status, body = health(second)
    assert status == 503 and body["sightings_waiting"] == 2
    server.start()
    prepare_database(second)  # what `maskwatch serve` does first
    assert health(second)[1]["sightings_waiting"] == 0
    assert rows_by_source(server) == {"hall": {"rows": 2, "people": 2, "spooled": 2, "keys": 2}}


@pytest.fixture(scope="module")
def long_walk(tmp_path_factory, astronaut) -> bytes:
    """20 s, 320x240, 15 fps: one face walking across and back (a job of several seconds)."""
    head = head_patch(astronaut, ASTRONAUT_FACE, width=90)
    frames = [scene([(head, 10 + abs((i % 100) - 50) * 4, 60)], size=(240, 320)) for i in range(300)]
    return write_clip(tmp_path_factory.mktemp("outage-clip") / "walk.mp4", frames, fps=15).read_bytes()


def test_a_video_job_that_ends_during_the_outage_is_written_when_the_database_is_back(
    server, make_app, long_walk, tmp_path
):
    app = make_app(JOB_DATABASE_WAIT_S=120)
    upgrade_database(app.app_context)
    client = app.test_client()
    job = client.post(
        "/api/videos", data={"file": (io.BytesIO(long_walk), "walk.mp4")}, content_type="multipart/form-data"
    ).get_json()
    wait_until(lambda: client.get(f"/api/jobs/{job['id']}").get_json()["progress"] > 0, what="the job to start")
    server.stop()
    results = Path(tmp_path / "instance" / "results" / f"{job['id']}.json")
    wait_until(lambda: results.is_file(), timeout=180, what="the job to finish its video")  # now it waits for MariaDB
    time.sleep(1.5)  # at least one failed try
    back_at = datetime.now(UTC).replace(tzinfo=None)
    server.start()
    wait_until(
        lambda: client.get(f"/api/jobs/{job['id']}").get_json()["status"] != "running", timeout=90, what="the job"
    )
    done = client.get(f"/api/jobs/{job['id']}").get_json()
    assert (done["status"], done["attempts"], done["error"]) == ("done", 1, None)
    assert datetime.fromisoformat(done["finished_at"].rstrip("Z")) >= back_at  # written after the outage, not before
    people_found = len(json.loads(results.read_text())["people"])
    assert people_found >= 1
    sightings = client.get(f"/api/sightings?source_id={done['source_id']}").get_json()
    assert sightings["total"] == people_found
