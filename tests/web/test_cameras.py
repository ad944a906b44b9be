"""IP cameras in-process (no REDIS_URL), on SQLite and MariaDB: a video file and an HTTP MJPEG stream served
by the test act as cameras; the real detector and tracker run; browsers watch through the /live namespace."""

from __future__ import annotations

import json
import time

import pytest

from maskwatch.media.urls import mask_text, mask_url
from maskwatch.web.live import LIVE_NAMESPACE
from maskwatch_testing.frames import people
from maskwatch_testing.streams import MjpegServer, swaying_frames, write_clip

NS = LIVE_NAMESPACE
CAMERA_SETTINGS = dict(
    CAMERA_FILE_URLS=True, CAMERA_BACKOFF_S=0.2, CAMERA_BACKOFF_MAX_S=0.5, CAMERA_MAX_RETRIES=3, ALERT_COOLDOWN_S=30
)


@pytest.fixture(scope="module")
def heads(astronaut, grace_hopper, face_detector):
    return people(astronaut, grace_hopper, face_detector)


@pytest.fixture
def camera_app(make_app):
    return make_app(**CAMERA_SETTINGS)


@pytest.fixture
def camera_client(camera_app):
    return camera_app.test_client()


def add_camera(client, url: str, name: str = "door", detect_fps: float = 5) -> dict:
    response = client.post("/api/sources", json={"kind": "camera", "name": name, "url": url, "detect_fps": detect_fps})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def wait_state(client, camera_id: int, states: set[str], timeout: float = 30.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        camera = client.get(f"/api/cameras/{camera_id}/status").get_json()
        if camera["camera"]["state"] in states:
            return camera
        assert time.monotonic() < deadline, f"camera {camera_id} is {camera['camera']} after {timeout} s, not {states}"
        time.sleep(0.1)


def received(live) -> dict[str, list[dict]]:
    """Every event received so far (the test client hands each out once), by name."""
    events: dict[str, list[dict]] = {}
    for event in live.get_received(NS):
        events.setdefault(event["name"], []).append(event["args"][0])
    return events


class Events(dict):
    """Events of a Socket.IO test client, by name, gathered across polls."""

    def __init__(self, live):
        super().__init__()
        self.live = live

    def poll(self) -> Events:
        for name, items in received(self.live).items():
            self.setdefault(name, []).extend(items)
        return self

    def wait(self, condition, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while not condition(self.poll()):
            assert time.monotonic() < deadline, (
                f"timed out; states {[e['state'] for e in self.get('camera_state', [])]}"
            )
            time.sleep(0.05)


@pytest.mark.parametrize(
    "url, masked",
    [
        ("rtsp://admin:hunter2@10.0.0.5:554/live", "rtsp://***:***@10.0.0.5:554/live"),
        ("http://viewer:s3cr%40t@cam.local/video.mjpg?token=abc", "http://***:***@cam.local/video.mjpg?token=***"),
        ("rtsp://hunter2@cam.local/x", "rtsp://***@cam.local/x"),  # a user name alone is often the secret
        ("rtsp://cam.local/x?pass=hunter2&user=admin", "rtsp://cam.local/x?pass=***&user=***"),  # any name, any value
        ("http://cam.local/x?hunter2", "http://cam.local/x?***"),
        ("http://cam.local/x#hunter2", "http://cam.local/x#***"),
        ("rtsp://cam.local/stream1", "rtsp://cam.local/stream1"),
        ("file:///srv/clip.mp4", "file:///srv/clip.mp4"),
    ],
)
def test_mask_url_hides_every_secret_part(url, masked):
    assert mask_url(url) == masked
    message = mask_text(f"could not open {url}: refused")
    assert "hunter2" not in message and message.endswith(": refused")
    assert "hunter2" not in mask_text(f"could not open {url}", url)


def test_a_camera_url_never_leaves_the_server_whole(camera_client, live_client):
    url = "rtsp://admin:hunter2@127.0.0.1:9/stream"  # nothing listens on port 9: every attempt fails fast
    camera = add_camera(camera_client, url)
    assert camera["url_masked"] == "rtsp://***:***@127.0.0.1:9/stream" and camera["camera"]["state"] == "stopped"
    live = live_client()
    assert live.emit("watch", {"camera_id": camera["id"]}, namespace=NS, callback=True)["camera_id"] == camera["id"]
    started = camera_client.post(f"/api/cameras/{camera['id']}/start")
    assert started.status_code == 202
    retrying = wait_state(camera_client, camera["id"], {"retrying"})
    assert "could not open" in retrying["camera"]["error"] and "attempt 2" in retrying["camera"]["error"]
    failed = wait_state(camera_client, camera["id"], {"failed"})
    assert "gave up after 4 attempts" in failed["camera"]["error"] and failed["camera"]["enabled"] is False
    events = live.get_received(NS)
    states = [e["args"][0] for e in events if e["name"] == "camera_state"]
    assert [s["state"] for s in states][-2:] == ["retrying", "failed"] and "127.0.0.1:9" in states[-1]["error"]
    responses = [
        started.data,
        camera_client.get("/api/sources").data,
        camera_client.get(f"/api/sources/{camera['id']}").data,
        camera_client.get("/api/cameras").data,
        camera_client.get(f"/api/cameras/{camera['id']}/status").data,
        camera_client.get("/api/openapi.json").data,
        json.dumps(events).encode(),
    ]
    assert all(b"hunter2" not in r for r in responses)


def test_a_user_name_or_query_value_of_a_camera_url_is_never_returned(camera_client):
    camera = add_camera(camera_client, "rtsp://hunter2@127.0.0.1:9/stream?pass=hunter2")
    assert camera["url_masked"] == "rtsp://***@127.0.0.1:9/stream?pass=***"
    listed = [
        camera_client.get(path).data
        for path in (
            "/api/sources",
            f"/api/sources/{camera['id']}",
            "/api/cameras",
            f"/api/cameras/{camera['id']}/status",
        )
    ]
    assert all(b"hunter2" not in body for body in listed)


def test_a_file_camera_is_detected_tracked_pushed_and_counted(camera_app, camera_client, live_client, heads, tmp_path):
    clip = write_clip(tmp_path / "door.mp4", swaying_frames(heads["astronaut"], 20), fps=10)  # 2 s, one bare face
    camera = add_camera(camera_client, f"file://{clip}")
    live, other = live_client(), live_client()
    watched = live.emit("watch", {"camera_id": camera["id"]}, namespace=NS, callback=True)
    assert watched["camera"]["state"] == "stopped"
    assert camera_client.post(f"/api/cameras/{camera['id']}/start").status_code == 202
    assert wait_state(camera_client, camera["id"], {"connected"})["camera"]["error"] is None
    # the clip ends after 2 s: the camera reconnects (a file plays again), the person counted once per pass
    events = Events(live)
    events.wait(lambda e: [s["state"] for s in e.get("camera_state", [])][-2:] == ["retrying", "connected"])
    assert "the stream ended" in events["camera_state"][-2]["error"]
    clip.unlink()  # the stream goes away for good: retried, then failed with the reason
    failed = wait_state(camera_client, camera["id"], {"failed"}, timeout=40)
    assert "no such file" in failed["camera"]["error"]

    events.poll()
    frames = events["camera"]
    assert len(frames) >= 10 and all(f["camera_id"] == camera["id"] for f in frames)
    with_face = [f for f in frames if f["faces"]]
    assert len(with_face) >= 0.8 * len(frames)
    assert with_face[-1]["faces"][0]["label"] == "no_mask" and with_face[-1]["image"][:2] == b"\xff\xd8"
    alerts = events.get("alert", [])
    assert alerts and alerts[0]["camera_id"] == camera["id"] and alerts[0]["verdict"] == "no_mask"
    sightings = camera_client.get(f"/api/sightings?source_id={camera['id']}").get_json()["items"]
    assert len(sightings) >= 1 and {s["verdict"] for s in sightings} == {"no_mask"}
    assert all(s["frames_seen"] >= 5 for s in sightings)
    assert "camera" not in received(other)  # connected all along, but not watching


def test_a_dropped_mjpeg_stream_is_retried_and_reconnects(camera_client, live_client, heads):
    with MjpegServer(swaying_frames(heads["astronaut_masked"], 10), fps=15) as stream:
        camera = add_camera(camera_client, stream.url, detect_fps=5)
        live = live_client()
        live.emit("watch", {"camera_id": camera["id"]}, namespace=NS, callback=True)
        camera_client.post(f"/api/cameras/{camera['id']}/start")
        wait_state(camera_client, camera["id"], {"connected"})
        time.sleep(1.5)
        stream.stop()  # the camera drops off the network
        retrying = wait_state(camera_client, camera["id"], {"retrying"})
        assert "dropped" in retrying["camera"]["error"] or "could not open" in retrying["camera"]["error"]
        stream.start()  # ... and comes back on the same address
        wait_state(camera_client, camera["id"], {"connected"})
        assert stream.clients >= 2
        time.sleep(1.0)
        stopped = camera_client.post(f"/api/cameras/{camera['id']}/stop")
        assert stopped.status_code == 202 and stopped.get_json()["camera"]["enabled"] is False
        wait_state(camera_client, camera["id"], {"stopped"}, timeout=10)
    events = received(live)
    states = [e["state"] for e in events["camera_state"]]
    assert states[:1] == ["connected"] and "retrying" in states and states[-1] == "stopped"
    frames = events["camera"]
    assert frames and all(f["faces"] == [] or f["faces"][0]["label"] == "mask" for f in frames)
    assert any(f["faces"] for f in frames)
    assert "alert" not in events  # masked: nobody to warn
    sightings = camera_client.get(f"/api/sightings?source_id={camera['id']}").get_json()["items"]
    assert sightings and {s["verdict"] for s in sightings} == {"mask"}


def test_camera_api_errors(camera_client, make_app):
    assert camera_client.get("/api/cameras/999/status").status_code == 404
    video = camera_client.post("/api/sources", json={"kind": "video", "name": "v"}).get_json()
    assert camera_client.post(f"/api/cameras/{video['id']}/start").status_code == 404
    bad = camera_client.post("/api/sources", json={"kind": "camera", "name": "c", "url": "ftp://x/y"})
    assert bad.status_code == 400
    rate = camera_client.post("/api/sources", json={"kind": "video", "name": "v", "detect_fps": 5})
    assert rate.status_code == 400
    strict = make_app().test_client()  # CAMERA_FILE_URLS off (the default): no reading server files
    refused = strict.post("/api/sources", json={"kind": "camera", "name": "c", "url": "file:///etc/passwd"})
    assert refused.status_code == 400 and "CAMERA_FILE_URLS" in refused.get_json()["message"]
