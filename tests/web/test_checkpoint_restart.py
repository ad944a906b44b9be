"""A real `maskwatch serve` SIGKILLed while a person is in view of a camera or of a live client, then started again
on the same instance folder: that person, saved by the last checkpoint (CHECKPOINT_S), is counted once.

The live-client test needs maskwatch/live.py's on_connect to build its StreamSession with
`checkpoint_every_s=current_app.config["CHECKPOINT_S"]`; without it no checkpoint is written and the test fails
on that (its first assertion says so). The camera test needs nothing more (jobs/camera.py passes the setting)."""

from __future__ import annotations

import os
import signal
import time

import requests
import socketio

from maskwatch.store.spool import SPOOL_FILE, SightingSpool, SpooledSighting, process_alive
from maskwatch_testing.frames import people, scene
from maskwatch_testing.served import ServedApp
from maskwatch_testing.streams import MjpegServer, swaying_frames

from ..conftest import encode

CHECKPOINTS = {"CHECKPOINT_S": "1"}


def open_tracks(instance) -> list[SpooledSighting]:
    spool = SightingSpool(instance / SPOOL_FILE)
    try:
        return spool.open_tracks()
    finally:
        spool.close()


def kill(server: ServedApp) -> None:
    """SIGKILL the gunicorn master and its worker, the process that held the streams: nothing runs after."""
    worker = server.app_pid
    server.process.kill()
    server.process.wait()
    try:
        os.kill(worker, signal.SIGKILL)
    except ProcessLookupError:
        pass
    deadline = time.monotonic() + 10
    while process_alive(worker):
        assert time.monotonic() < deadline, f"worker {worker} still runs"
        time.sleep(0.05)


def sightings(server: ServedApp, source_id: int) -> dict:
    return requests.get(f"{server.url}/api/sightings", params={"source_id": source_id}, timeout=10).json()


def test_a_person_in_view_of_a_live_client_when_the_server_is_killed_is_counted_once_after_the_restart(
    tmp_path, astronaut, grace_hopper, face_detector
):
    """NEEDS live.py's on_connect to pass checkpoint_every_s=current_app.config["CHECKPOINT_S"] (see the module)."""
    head = people(astronaut, grace_hopper, face_detector)["astronaut"]
    frames = [encode(scene([(head, 240 + (i % 4) * 5, 150)])) for i in range(4)]
    instance = tmp_path / "instance"
    with ServedApp(instance, env=CHECKPOINTS) as first:
        client = socketio.Client()
        ready = {}
        client.on("ready", ready.update, namespace="/live")
        client.connect(
            first.url, namespaces=["/live"], transports=["websocket"], auth={"name": "door"}, wait_timeout=10
        )
        try:
            started, answers = time.monotonic(), []
            while time.monotonic() - started < 2.5 or len(answers) < 5:  # past two checkpoints
                answers.append(client.call("frame", frames[len(answers) % 4], namespace="/live", timeout=30))
            assert all(len(answer["faces"]) == 1 for answer in answers)
            saved = open_tracks(instance)  # no frame comes after this: no checkpoint either
            assert len(saved) == 1, "no checkpoint of the live client's person: live.py does not pass CHECKPOINT_S yet"
            kill(first)
        finally:
            client.disconnect()
    (person,) = saved
    assert person.frames_seen >= 2 and person.source.name == "door"

    with ServedApp(instance) as second:
        found = sightings(second, ready["source_id"])  # written by the start, before the first request
        assert found["total"] == 1
        assert [(s["frames_seen"], s["verdict"]) for s in found["items"]] == [(person.frames_seen, person.verdict)]
        assert open_tracks(instance) == []


def test_a_person_in_view_of_a_camera_when_the_server_is_killed_is_counted_once_after_the_restart(
    tmp_path, astronaut, grace_hopper, face_detector
):
    head = people(astronaut, grace_hopper, face_detector)["astronaut"]
    instance = tmp_path / "instance"
    with MjpegServer(swaying_frames(head, 30)) as camera:
        with ServedApp(instance, env=CHECKPOINTS) as first:
            gate = {"kind": "camera", "name": "gate", "url": camera.url, "detect_fps": 5}
            source = requests.post(f"{first.url}/api/sources", json=gate, timeout=10).json()
            assert requests.post(f"{first.url}/api/cameras/{source['id']}/start", timeout=10).status_code == 202
            deadline = time.monotonic() + 90
            while not (saved := open_tracks(instance)) or saved[0].frames_seen < 5:
                assert time.monotonic() < deadline, "the camera's person was never checkpointed"
                time.sleep(0.2)
            kill(first)
        camera.stop()  # the restarted camera finds no stream: nobody new is counted
        (person,) = saved

        with ServedApp(instance) as second:
            found = sightings(second, source["id"])
            assert found["total"] == 1
            (sighting,) = found["items"]
            assert sighting["frames_seen"] >= person.frames_seen and sighting["verdict"] == person.verdict
            assert open_tracks(instance) == []
