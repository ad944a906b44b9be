"""The jobs list, cancel and delete on SQLite and MariaDB: what the Jobs page is built on."""

from __future__ import annotations

import io
import time
from pathlib import Path

import cv2
import pytest

from maskwatch.jobs.video import run_video_job
from maskwatch.store import queries
from maskwatch.web.services import services_of
from maskwatch_testing.faces import ASTRONAUT_FACE
from maskwatch_testing.frames import head_patch, scene

from .jobs import wait_for_job

SIZE = (240, 320)


def clip(astronaut, path: Path, frames: int) -> bytes:
    head = head_patch(astronaut, ASTRONAUT_FACE, width=100)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 15, (SIZE[1], SIZE[0]))
    for i in range(frames):
        writer.write(cv2.cvtColor(scene([(head, 10 + (i % 40) * 5, 50)], size=SIZE), cv2.COLOR_RGB2BGR))
    writer.release()
    return path.read_bytes()


@pytest.fixture(scope="module")
def short_clip(tmp_path_factory, astronaut):
    return clip(astronaut, tmp_path_factory.mktemp("clips") / "short.mp4", 20)


@pytest.fixture(scope="module")
def long_clip(tmp_path_factory, astronaut):
    """40 s: long enough to be cancelled while it runs."""
    return clip(astronaut, tmp_path_factory.mktemp("clips") / "long.mp4", 600)


def post_video(client, data: bytes, name: str):
    """A new job, also for bytes uploaded before."""
    return client.post(
        "/api/videos?count_again=true", data={"file": (io.BytesIO(data), name)}, content_type="multipart/form-data"
    )


def sightings_of(client, source_id: int) -> int:
    return client.get(f"/api/sightings?source_id={source_id}").get_json()["total"]


def test_the_list_is_newest_first_with_sources_and_queue_places(app, client, short_clip):
    first = wait_for_job(client, post_video(client, short_clip, "first.mp4").get_json()["id"])
    second = wait_for_job(client, post_video(client, short_clip, "second.mp4").get_json()["id"])
    with app.app_context():  # two more that no worker has taken yet
        source = queries.create_source("video", "waiting.mp4")
        queued = [queries.create_job("video", source.id, "/nowhere.video").id for _ in range(2)]
    listed = client.get("/api/jobs").get_json()
    assert [j["id"] for j in listed] == [*reversed(queued), second["id"], first["id"]]
    assert [j["source_name"] for j in listed] == ["waiting.mp4", "waiting.mp4", "second.mp4", "first.mp4"]
    assert [j["queue_position"] for j in listed] == [2, 1, None, None]
    assert listed[2]["status"] == "done" and listed[2]["video_url"] and listed[2]["eta_s"] is None
    assert [j["id"] for j in client.get("/api/jobs?limit=1").get_json()] == [queued[1]]
    assert client.get("/api/jobs?limit=0").status_code == 400


def test_a_cancelled_queued_job_never_runs(app, client, short_clip, tmp_path):
    upload = tmp_path / "queued.video"
    upload.write_bytes(short_clip)
    with app.app_context():
        source_id = queries.create_source("video", "queued.mp4").id
        job_id = queries.create_job("video", source_id, str(upload)).id
    cancelled = client.post(f"/api/jobs/{job_id}/cancel").get_json()
    assert cancelled["status"] == "cancelled" and cancelled["finished_at"]
    with app.app_context():
        run_video_job(services_of(), job_id)  # a worker that picks it up later
    job = client.get(f"/api/jobs/{job_id}").get_json()
    assert job["status"] == "cancelled" and job["attempts"] == 0
    assert sightings_of(client, source_id) == 0
    assert client.post("/api/jobs/nope/cancel").status_code == 404


def test_a_running_job_stops_when_cancelled_and_counts_nobody(app, client, long_clip):
    job = post_video(client, long_clip, "long.mp4").get_json()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        state = client.get(f"/api/jobs/{job['id']}").get_json()
        if state["status"] == "running" and state["progress"] >= 0.05:
            break
        time.sleep(0.05)
    assert state["status"] == "running", state
    assert client.get("/api/jobs").get_json()[0]["eta_s"] is not None  # it can tell how long it has left
    assert client.post(f"/api/jobs/{job['id']}/cancel").get_json()["status"] == "cancelled"
    results = Path(app.instance_path) / "results"
    deadline = time.monotonic() + 30
    while (results / f"{job['id']}.mp4").exists() and time.monotonic() < deadline:
        time.sleep(0.1)  # the worker stops at its next progress report and removes what it wrote
    assert not (results / f"{job['id']}.mp4").exists() and not (results / f"{job['id']}.json").exists()
    assert sightings_of(client, job["source_id"]) == 0


def test_delete_removes_a_finished_job_its_files_and_its_sightings(app, client, short_clip):
    job = wait_for_job(client, post_video(client, short_clip, "gone.mp4").get_json()["id"])
    assert job["status"] == "done" and sightings_of(client, job["source_id"]) == 1
    with app.app_context():
        stored = queries.get_job(job["id"])
        files = [Path(p) for p in (stored.input_path, stored.output_path, stored.result_path)]
    assert all(f.is_file() for f in files)
    assert client.delete(f"/api/jobs/{job['id']}").status_code == 204
    assert client.get(f"/api/jobs/{job['id']}").status_code == 404
    assert not any(f.exists() for f in files)
    assert sightings_of(client, job["source_id"]) == 0
    assert client.delete(f"/api/jobs/{job['id']}").status_code == 404


def test_a_queued_job_cannot_be_deleted_before_it_is_cancelled(app, client):
    with app.app_context():
        job_id = queries.create_job("video", queries.create_source("video", "q.mp4").id, "/nowhere.video").id
    response = client.delete(f"/api/jobs/{job_id}")
    assert response.status_code == 409 and response.get_json()["error"] == "job_not_finished"
    client.post(f"/api/jobs/{job_id}/cancel")
    assert client.delete(f"/api/jobs/{job_id}").status_code == 204


def test_retention_deletes_cancelled_jobs_and_their_upload_like_other_finished_ones(app, tmp_path):
    from datetime import timedelta

    from maskwatch.retention import purge
    from maskwatch.store.database import db
    from maskwatch.store.models import Job, utcnow

    upload = Path(app.instance_path) / "uploads" / "old.video"
    upload.parent.mkdir(parents=True, exist_ok=True)
    upload.write_bytes(b"video")
    with app.app_context():
        job_id = queries.create_job("video", queries.create_source("video", "old.mp4").id, str(upload)).id
        queries.cancel_job(job_id)
        db.session.get(Job, job_id).created_at = utcnow() - timedelta(days=40)
        db.session.commit()
    assert purge(services_of(app), days=30).jobs == 1
    assert not upload.exists()
    with app.app_context():
        assert queries.get_job(job_id) is None
