"""Video jobs on SQLite and MariaDB: a real clip of a walking face -> annotated H.264 MP4, per-track
results, one sighting per person, progress over Socket.IO; bad uploads and failing jobs."""

from __future__ import annotations

import io
import json
from pathlib import Path

import cv2
import imageio_ffmpeg
import pytest

from maskwatch.jobs.video import run_video_job
from maskwatch.store import queries
from maskwatch.web.events import JOBS_NAMESPACE
from maskwatch.web.extensions import socketio
from maskwatch.web.services import services_of
from maskwatch_testing.faces import ASTRONAUT_FACE
from maskwatch_testing.frames import head_patch, scene

from .jobs import wait_for_job

FPS, FRAMES, SIZE = 15, 30, (240, 320)


@pytest.fixture(scope="module")
def walking_clip(tmp_path_factory, astronaut):
    """2 s, 320x240, 15 fps MP4 (MPEG-4 part 2, as phones and OpenCV write) of one face walking right."""
    path = tmp_path_factory.mktemp("clips") / "walk.mp4"
    head = head_patch(astronaut, ASTRONAUT_FACE, width=100)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), FPS, (SIZE[1], SIZE[0]))
    for i in range(FRAMES):
        writer.write(cv2.cvtColor(scene([(head, 10 + 5 * i, 50 + i)], size=SIZE), cv2.COLOR_RGB2BGR))
    writer.release()
    return path.read_bytes()


def post_video(client, data: bytes, name: str = "walk.mp4", query: str = ""):
    return client.post(
        f"/api/videos{query}", data={"file": (io.BytesIO(data), name)}, content_type="multipart/form-data"
    )


def test_a_video_job_annotates_counts_people_and_reports_progress(app, client, walking_clip, tmp_path):
    listener = socketio.test_client(app, namespace=JOBS_NAMESPACE, flask_test_client=client)
    response = post_video(client, walking_clip, "../../etc/walk<1>.mp4")
    assert response.status_code == 202, response.get_json()
    job = response.get_json()
    assert job["status"] in ("queued", "running", "done") and job["video_url"] is None
    job = wait_for_job(client, job["id"])
    assert job["status"] == "done", job["error"]
    assert job["progress"] == 1.0 and job["finished_at"]

    video = client.get(job["video_url"])
    assert video.status_code == 200 and video.mimetype == "video/mp4"
    out = tmp_path / "out.mp4"
    out.write_bytes(video.data)
    reader = imageio_ffmpeg.read_frames(str(out))
    meta = next(reader)
    assert meta["codec"].startswith("h264") and tuple(meta["size"]) == (SIZE[1], SIZE[0])
    assert sum(1 for _ in reader) == FRAMES
    assert client.get(job["video_url"], headers={"Range": "bytes=0-99"}).status_code == 206

    results = json.loads(client.get(job["results_url"]).data)
    assert results["video"]["frames"] == FRAMES
    assert [(p["verdict"], p["frames_seen"]) for p in results["people"]] == [("no_mask", FRAMES // 3)]
    sightings = client.get(f"/api/sightings?source_id={job['source_id']}").get_json()
    assert [s["verdict"] for s in sightings["items"]] == ["no_mask"]
    assert client.get(f"/api/sources/{job['source_id']}").get_json()["name"] == "walk_1_.mp4"

    events = [e["args"][0] for e in listener.get_received(JOBS_NAMESPACE) if e["name"] == "job"]
    assert events and all(e["id"] == job["id"] for e in events)
    assert events[-1]["status"] == "done"
    progress = [e["progress"] for e in events]
    assert progress == sorted(progress)
    listener.disconnect(JOBS_NAMESPACE)


@pytest.mark.parametrize(
    "data, status, code",
    [
        (b"", 400, "empty"),
        (b"just some text, not a video", 415, "unsupported_type"),
        (b"\x00\x00\x00\x18ftypmp42" + bytes(2000), 400, "corrupt"),
    ],
)
def test_bad_videos_are_refused_before_a_job_starts(app, client, data, status, code):
    response = post_video(client, data)
    assert response.status_code == status
    assert response.get_json()["error"] == code
    assert list((Path(app.instance_path) / "uploads").glob("*")) == []  # nothing kept


def test_an_oversized_video_is_413(make_app, walking_clip):
    client = make_app(MAX_VIDEO_MB=0).test_client()
    response = post_video(client, walking_clip)
    assert response.status_code == 413 and response.get_json()["error"] == "too_large"


def test_a_failing_job_records_why_and_the_server_goes_on(app, client, astronaut):
    with app.app_context():
        source = queries.create_source("video", "gone")
        job = queries.create_job("video", source.id, str(Path(app.instance_path) / "uploads" / "missing.video"))
        run_video_job(services_of(), job.id)
        job_id = job.id
    job = client.get(f"/api/jobs/{job_id}").get_json()
    assert job["status"] == "failed" and job["error"] == "no such file"
    assert client.get(f"/api/jobs/{job_id}/video").get_json()["error"] == "not_ready"
    assert client.get("/api/jobs/nope").status_code == 404
    assert client.get("/api/health").get_json()["status"] == "ok"
