"""A real `maskwatch serve` SIGKILLed in the middle of a video job, then started again on the same instance
folder: the interrupted job (and the one queued behind it) runs again and ends done with its people counted
once; a job whose attempts are used up ends failed with the reason. Never "running" forever."""

from __future__ import annotations

import time

import pytest
import requests

from maskwatch_testing.faces import ASTRONAUT_FACE
from maskwatch_testing.frames import head_patch, scene
from maskwatch_testing.served import ServedApp
from maskwatch_testing.streams import write_clip


@pytest.fixture(scope="module")
def long_walk(tmp_path_factory, astronaut):
    """20 s, 320x240, 15 fps: one face walking across and back (a job of several seconds)."""
    head = head_patch(astronaut, ASTRONAUT_FACE, width=90)
    frames = [scene([(head, 10 + abs((i % 100) - 50) * 4, 60)], size=(240, 320)) for i in range(300)]
    return write_clip(tmp_path_factory.mktemp("restart-clip") / "walk.mp4", frames, fps=15)


def post_video(url: str, path) -> str:
    """A new job for the file, also when the same file was uploaded before."""
    with open(path, "rb") as f:
        response = requests.post(
            f"{url}/api/videos?count_again=true", files={"file": ("walk.mp4", f, "video/mp4")}, timeout=30
        )
    assert response.status_code == 202, response.text
    return response.json()["id"]


def job(url: str, job_id: str) -> dict:
    return requests.get(f"{url}/api/jobs/{job_id}", timeout=10).json()


def wait_job(url: str, job_id: str, until, timeout: float = 240.0) -> dict:
    deadline = time.monotonic() + timeout
    while not until(current := job(url, job_id)):
        assert time.monotonic() < deadline, f"job {job_id} is {current}"
        time.sleep(0.2)
    return current


def kill_mid_job(server: ServedApp, job_id: str) -> None:
    """SIGKILL the server once the job is under way (no shutdown handler, no atexit: a crash)."""
    wait_job(server.url, job_id, lambda j: j["status"] == "running" and 0.05 < j["progress"] < 0.9)
    server.process.kill()
    server.process.wait()


def test_a_job_interrupted_by_a_killed_server_runs_again_or_fails_once_its_attempts_are_used_up(tmp_path, long_walk):
    instance = tmp_path / "instance"
    with ServedApp(instance) as first:
        interrupted, queued = post_video(first.url, long_walk), post_video(first.url, long_walk)  # one at a time
        kill_mid_job(first, interrupted)

    with ServedApp(instance) as second:
        done = wait_job(second.url, interrupted, lambda j: j["status"] in ("done", "failed"))
        assert (done["status"], done["attempts"], done["error"]) == ("done", 2, None)
        behind = wait_job(second.url, queued, lambda j: j["status"] in ("done", "failed"))
        assert (behind["status"], behind["attempts"]) == ("done", 1)
        for finished in (done, behind):
            people = requests.get(second.url + finished["results_url"], timeout=10).json()["people"]
            sightings = requests.get(
                f"{second.url}/api/sightings", params={"source_id": finished["source_id"]}, timeout=10
            ).json()
            assert len(people) >= 1 and sightings["total"] == len(people)
        again = post_video(second.url, long_walk)
        kill_mid_job(second, again)

    with ServedApp(instance, env={"JOB_MAX_ATTEMPTS": "1"}) as third:
        failed = job(third.url, again)  # decided before the server answered its first request
        assert (failed["status"], failed["error"], failed["attempts"]) == (
            "failed",
            "interrupted by a server restart once",
            1,
        )
        assert failed["finished_at"] and job(third.url, interrupted)["status"] == "done"
