"""Scale-out with real services: redis-server and `celery worker` processes beside a real `maskwatch serve`
(SQLite shared through the instance folder, as the compose file shares a volume). A video runs to done on
a worker with progress events through Redis; a worker killed mid-job leaves the job to another worker,
which finishes it with the sightings written once. Without redis-server these tests are skipped, unless
MASKWATCH_REQUIRE_REDIS=1 (`make test`), which makes that an error."""

from __future__ import annotations

import time

import cv2
import requests
import socketio as socketio_client

from maskwatch.config import Config
from maskwatch.jobs.video import run_video_job
from maskwatch.store import queries
from maskwatch.web.services import services_of
from maskwatch_testing.faces import ASTRONAUT_FACE, GRACE_HOPPER_FACE
from maskwatch_testing.frames import head_patch, scene
from maskwatch_testing.served import ServedApp
from maskwatch_testing.streams import MjpegServer
from maskwatch_testing.workers import CeleryWorker


def two_people_clip(path, astronaut, grace_hopper, frames: int, fps: int = 15, size=(240, 320)):
    """The astronaut walks through the first half, Grace Hopper the second: two people, both bare-faced."""
    heads = [head_patch(astronaut, ASTRONAUT_FACE, width=90), head_patch(grace_hopper, GRACE_HOPPER_FACE, width=90)]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (size[1], size[0]))
    half = frames // 2
    for i in range(frames):
        head, j = heads[i // half], i % half
        writer.write(cv2.cvtColor(scene([(head, 10 + j * 180 // half, 40)], size=size), cv2.COLOR_RGB2BGR))
    writer.release()
    return path


class JobEvents:
    """'job' events of /jobs received by a real Socket.IO client."""

    def __init__(self, url: str):
        self.events: list[dict] = []
        self.client = socketio_client.Client()
        self.client.on("job", self.events.append, namespace="/jobs")
        self.client.connect(url, namespaces=["/jobs"], transports=["websocket"])

    def close(self):
        self.client.disconnect()


def wait_job(url: str, job_id: str, until, timeout: float) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        job = requests.get(f"{url}/api/jobs/{job_id}", timeout=5).json()
        if until(job):
            return job
        assert time.monotonic() < deadline, f"job {job_id} is {job}"
        time.sleep(0.2)


def post_video(url: str, path) -> dict:
    with open(path, "rb") as f:
        response = requests.post(f"{url}/api/videos", files={"file": ("clip.mp4", f, "video/mp4")}, timeout=30)
    assert response.status_code == 202, response.text
    return response.json()


def sightings(url: str, source_id: int) -> list[dict]:
    return requests.get(f"{url}/api/sightings", params={"source_id": source_id}, timeout=5).json()["items"]


def test_a_video_runs_on_a_celery_worker_with_progress_through_redis(redis, tmp_path, astronaut, grace_hopper):
    clip = two_people_clip(tmp_path / "two.mp4", astronaut, grace_hopper, frames=60)
    env = {
        "REDIS_URL": redis.url,
        "MASKWATCH_INSTANCE": str(tmp_path / "instance"),
        "CELERY_VISIBILITY_TIMEOUT": "3600",
        "DETECTOR": "mtcnn",
    }  # not the default: the worker must honour the choice
    (tmp_path / "instance").mkdir()
    with ServedApp(tmp_path / "instance", env) as server, CeleryWorker(tmp_path / "worker.log", env) as worker:
        listener = JobEvents(server.url)
        job = post_video(server.url, clip)
        job = wait_job(server.url, job["id"], lambda j: j["status"] in ("done", "failed"), timeout=180)
        assert job["status"] == "done", job["error"]
        time.sleep(0.5)  # the last event crosses Redis and the server
        listener.close()
        found = sightings(server.url, job["source_id"])
        assert sorted(s["verdict"] for s in found) == ["no_mask", "no_mask"]
        results = requests.get(server.url + job["results_url"], timeout=5).json()
        assert len(results["people"]) == 2 and results["detector"] == "mtcnn"
        assert requests.get(server.url + job["video_url"], timeout=5).status_code == 200
        assert "Task maskwatch.video[" in worker.output() and "succeeded" in worker.output()
    events = [e for e in listener.events if e["id"] == job["id"]]
    assert [e["status"] for e in events][-1] == "done" and "running" in {e["status"] for e in events}
    progress = [e["progress"] for e in events]
    assert progress == sorted(progress) and progress[-1] == 1.0


def test_a_job_of_a_killed_worker_is_finished_by_another_counted_once(redis, tmp_path, astronaut, grace_hopper):
    clip = two_people_clip(tmp_path / "long.mp4", astronaut, grace_hopper, frames=360)  # 24 s of video
    env = {"REDIS_URL": redis.url, "MASKWATCH_INSTANCE": str(tmp_path / "instance"), "CELERY_VISIBILITY_TIMEOUT": "5"}
    (tmp_path / "instance").mkdir()
    with ServedApp(tmp_path / "instance", env) as server:
        first = CeleryWorker(tmp_path / "first.log", env, name="first").start()
        try:
            job = post_video(server.url, clip)
            running = wait_job(server.url, job["id"], lambda j: j["status"] == "running" and j["progress"] >= 0.1, 180)
            first.kill()  # the whole worker, pool process included, mid-job
        finally:
            first.stop()
        assert running["progress"] < 0.9
        assert wait_job(server.url, job["id"], lambda j: True, 5)["status"] == "running"  # nobody finishes it
        with CeleryWorker(tmp_path / "second.log", env, name="second") as second:
            done = wait_job(server.url, job["id"], lambda j: j["status"] in ("done", "failed"), timeout=240)
            assert done["status"] == "done", done["error"]
            assert "maskwatch.video[" in second.output()
        results = requests.get(server.url + done["results_url"], timeout=5).json()
        found = sightings(server.url, done["source_id"])
        assert len(results["people"]) == 2 and sorted(s["verdict"] for s in found) == ["no_mask", "no_mask"]
        assert results["detector"] == Config().DETECTOR  # the default, built in the worker


def test_a_rerun_job_replaces_its_sightings(app, client, tmp_path, astronaut, grace_hopper):
    """A job run again after it wrote its sightings (a worker lost before acknowledging) counts its people once."""
    clip = two_people_clip(tmp_path / "two.mp4", astronaut, grace_hopper, frames=40)
    with app.app_context():
        source = queries.create_source("video", "rerun")
        job = queries.create_job("video", source.id, str(clip))
        job_id, source_id = job.id, source.id
        run_video_job(services_of(), job_id)
        assert queries.get_job(job_id).status == "done" and queries.job_sighting_count(job_id) == 2
        queries.update_job(job_id, status="running")  # as a redelivered message finds it
        run_video_job(services_of(), job_id)
        run_video_job(services_of(), job_id)  # done: left as it is
        assert queries.get_job(job_id).status == "done" and queries.job_sighting_count(job_id) == 2
    found = client.get(f"/api/sightings?source_id={source_id}").get_json()["items"]
    assert len(found) == 2
    summary = client.get(f"/api/stats/summary?source_id={source_id}").get_json()
    assert summary["total"] == 2


def test_a_camera_runs_on_celery_workers_and_moves_when_its_worker_dies(redis, tmp_path, astronaut):
    env = {
        "REDIS_URL": redis.url,
        "MASKWATCH_INSTANCE": str(tmp_path / "instance"),
        "CAMERA_STALE_S": "3",
        "CAMERA_WATCHDOG_S": "1",
    }
    (tmp_path / "instance").mkdir()
    head = head_patch(astronaut, ASTRONAUT_FACE, width=90)
    frames = [scene([(head, 100 + (i % 5) * 4, 40)], size=(240, 320)) for i in range(10)]
    events: dict[str, list] = {"camera": [], "camera_state": []}
    with MjpegServer(frames, fps=15) as stream, ServedApp(tmp_path / "instance", env) as server:
        camera = requests.post(
            f"{server.url}/api/sources",
            json={
                "kind": "camera",
                "name": "gate",
                "detect_fps": 4,
                "url": stream.url.replace("http://", "http://op:pw@"),
            },
            timeout=5,
        ).json()
        watcher = socketio_client.Client()
        for name in events:
            watcher.on(name, events[name].append, namespace="/live")
        watcher.connect(server.url, namespaces=["/live"], transports=["websocket"])
        assert watcher.call("watch", {"camera_id": camera["id"]}, namespace="/live")["camera_id"] == camera["id"]
        first = CeleryWorker(tmp_path / "first.log", env, name="first", concurrency=2).start()
        try:
            requests.post(f"{server.url}/api/cameras/{camera['id']}/start", timeout=5)
            wait_camera(server.url, camera["id"], "connected", 60)
            wait_until(lambda: len(events["camera"]) >= 3, 30)
            first.kill()
        finally:
            first.stop()
        seen = len(events["camera"])
        with CeleryWorker(tmp_path / "second.log", env, name="second", concurrency=2):
            wait_until(lambda: len(events["camera"]) >= seen + 3, 60)  # the watchdog moved the camera here
            requests.post(f"{server.url}/api/cameras/{camera['id']}/stop", timeout=5)
            wait_camera(server.url, camera["id"], "stopped", 20)
        watcher.disconnect()
        listed = requests.get(f"{server.url}/api/cameras", timeout=5)
    assert "op:pw" not in listed.text and "//***:***@" in listed.text
    assert all(e["camera_id"] == camera["id"] for e in events["camera"])
    assert any(e["faces"] and e["faces"][0]["label"] == "no_mask" for e in events["camera"])
    assert [e["state"] for e in events["camera_state"]][-1] == "stopped"
    assert "pw@" not in str(events)


def wait_until(condition, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def wait_camera(url: str, camera_id: int, state: str, timeout: float) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        camera = requests.get(f"{url}/api/cameras/{camera_id}/status", timeout=5).json()
        if camera["camera"]["state"] == state:
            return camera
        assert time.monotonic() < deadline, f"camera is {camera['camera']}, not {state}"
        time.sleep(0.2)
