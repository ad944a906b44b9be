"""Hostile and broken input on SQLite with the real detector: the regression corpus (tests/corpus)
through the decoders, the upload routes and /live; video limits; live frame limits; and a flood of
frames against a real `maskwatch serve` process, which must drop (not queue) what it cannot answer.
"""

from __future__ import annotations

import io
import json
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import socketio as socketio_client
from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import ClientDisconnected

from maskwatch.media import MediaError, decode_image, iter_video_frames, probe_video
from maskwatch.web.api.videos import save_upload
from maskwatch.web.extensions import socketio
from maskwatch.web.live import LIVE_NAMESPACE
from maskwatch_testing.clips import live_frames, write_clip
from maskwatch_testing.served import ServedApp

from ..conftest import encode
from .jobs import wait_for_job
from .sqlite_app import sqlite_app

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
ENTRIES = json.loads((CORPUS / "manifest.json").read_text())
IMAGES = [e for e in ENTRIES if e["kind"] == "image"]
NS = LIVE_NAMESPACE


def corpus_bytes(entry) -> bytes:
    return (CORPUS / "files" / entry["file"]).read_bytes()


def upload(client, route: str, data: bytes, name: str):
    return client.post(route, data={"file": (io.BytesIO(data), name)}, content_type="multipart/form-data")


def uploads(app) -> list[Path]:
    return list((Path(app.instance_path) / "uploads").glob("*"))


@pytest.fixture
def database_url(tmp_path) -> str:
    """SQLite only: hostile input is about the decoders and routes, not the database."""
    return f"sqlite:///{tmp_path / 'maskwatch.db'}"


@pytest.fixture(scope="module")
def corpus_app(tmp_path_factory, mask_detector):
    """One app for the whole corpus: every hostile file goes to the same server, which must go on."""
    with sqlite_app(tmp_path_factory.mktemp("corpus"), mask_detector) as app:
        yield app


# --- the corpus ----------------------------------------------------------------------------------


@pytest.mark.parametrize("entry", ENTRIES, ids=[e["file"] for e in ENTRIES])
def test_corpus_through_the_decoders(entry, tmp_path):
    path = tmp_path / entry["file"]
    path.write_bytes(corpus_bytes(entry))
    try:
        if entry["kind"] == "image":
            assert decode_image(path.read_bytes()).ndim == 3
        else:
            assert probe_video(path, max_seconds=3600).frames > 0
        code = "ok"
    except MediaError as exc:
        code = exc.code
        assert exc.message
    assert code == entry["code"], entry["why"]


@pytest.mark.parametrize("entry", ENTRIES, ids=[e["file"] for e in ENTRIES])
def test_corpus_through_the_upload_routes(entry, corpus_app):
    client = corpus_app.test_client()
    route = "/api/images" if entry["kind"] == "image" else "/api/videos"
    response = upload(client, route, corpus_bytes(entry), entry["file"])
    body = response.get_json()
    assert response.status_code == entry["status"], (entry["why"], body)
    if entry["code"] != "ok":
        assert body["error"] == entry["code"] and body["message"]
    if entry["kind"] == "video" and response.status_code == 202:
        job = wait_for_job(client, body["id"])
        assert job["status"] == "done", job["error"]
    else:
        assert uploads(corpus_app) == []  # a refused video is not kept
    assert client.get("/api/health").status_code == 200


@pytest.mark.parametrize("entry", IMAGES, ids=[e["file"] for e in IMAGES])
def test_corpus_as_live_frames(entry, corpus_app):
    live = socketio.test_client(corpus_app, namespace=NS, flask_test_client=corpus_app.test_client())
    try:
        answer = live.emit("frame", corpus_bytes(entry), namespace=NS, callback=True)
        if entry["code"] == "ok":
            assert answer["faces"] == [] and "counts" in answer
        else:
            assert answer["error"] == entry["code"] and answer["message"]
    finally:
        live.disconnect(NS)


# --- videos --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def two_second_clip(tmp_path_factory) -> Path:
    return write_clip(tmp_path_factory.mktemp("clips") / "two.mp4", seconds=2, fps=10)


def test_a_video_over_MAX_VIDEO_SECONDS_is_413_and_not_kept(make_app, two_second_clip):
    app = make_app(MAX_VIDEO_SECONDS=1.5)
    response = upload(app.test_client(), "/api/videos", two_second_clip.read_bytes(), "two.mp4")
    assert response.status_code == 413
    body = response.get_json()
    assert body["error"] == "too_long" and "over the limit of 1.5 s" in body["message"]
    assert uploads(app) == []


def test_frames_past_max_seconds_end_the_iteration(two_second_clip):
    """A header may say 1 s where 2 s of frames follow: decoding itself stops at the limit."""
    info = probe_video(two_second_clip)
    assert (info.frames, info.fps) == (20, 10.0)
    frames = []
    with pytest.raises(MediaError) as caught:
        for index, _, _ in iter_video_frames(two_second_clip, info=info, max_seconds=1.0):
            frames.append(index)
    assert caught.value.code == "too_long" and frames == list(range(11))


def test_an_upload_the_client_abandons_leaves_no_file(tmp_path, two_second_clip):
    class Abandoned(io.BytesIO):
        """What werkzeug's request stream does when the client goes away mid-body."""

        def read(self, size=-1):
            if self.tell() > 20_000:
                raise ClientDisconnected()
            return super().read(size)

    storage = FileStorage(Abandoned(two_second_clip.read_bytes()), "two.mp4")
    with pytest.raises(ClientDisconnected):
        save_upload(storage, tmp_path / "uploads", 2**30)
    assert list((tmp_path / "uploads").iterdir()) == []


def test_a_video_for_a_missing_source_is_404_and_not_kept(make_app, two_second_clip):
    app = make_app()
    response = upload(app.test_client(), "/api/videos?source_id=77", two_second_clip.read_bytes(), "two.mp4")
    assert response.status_code == 404 and response.get_json()["error"] == "not_found"
    assert uploads(app) == []


# --- live frame limits (test client: no transport limit in the way) ------------------------------


def noise_jpeg(width: int, height: int) -> bytes:
    return encode(np.random.default_rng(0).integers(0, 255, (height, width, 3), dtype=np.uint8), "JPEG", quality=95)


def test_live_frames_over_the_size_or_pixel_limit_are_refused(make_app):
    import base64

    app = make_app(LIVE_MAX_FRAME_MB=0.1, LIVE_MAX_PIXELS=640 * 480)
    live = socketio.test_client(app, namespace=NS, flask_test_client=app.test_client())
    big = noise_jpeg(400, 300)  # about 130 KB of noise
    assert len(big) > 0.1 * 2**20
    for frame in (big, {"image": "data:image/jpeg;base64," + base64.b64encode(big).decode()}):
        answer = live.emit("frame", frame, namespace=NS, callback=True)
        assert answer["error"] == "too_large" and "MB" in answer["message"]
    answer = live.emit("frame", encode(np.zeros((600, 800, 3), np.uint8)), namespace=NS, callback=True)
    assert answer["error"] == "too_many_pixels"
    assert "faces" in live.emit("frame", encode(np.zeros((480, 640, 3), np.uint8)), namespace=NS, callback=True)
    live.disconnect(NS)


@pytest.mark.parametrize("source_id", ["abc", -1, 2**40, [1], True, False, 1.0, "1"])
def test_a_live_connect_with_a_nonsense_source_id_is_refused(make_app, source_id):
    app = make_app()
    live = socketio.test_client(app, namespace=NS, flask_test_client=app.test_client(), auth={"source_id": source_id})
    assert not live.is_connected(NS)
    fine = socketio.test_client(app, namespace=NS, flask_test_client=app.test_client(), auth={"name": "door"})
    assert fine.is_connected(NS)  # the server goes on
    fine.disconnect(NS)


@pytest.mark.parametrize(
    "event, args",
    [("frame", ()), ("frame", (None,)), ("frame", (b"\xff\xd8", "extra")), ("watch", ()), ("unwatch", ())],
)
def test_every_live_message_gets_an_answer_even_without_or_with_extra_arguments(make_app, event, args):
    app = make_app()
    live = socketio.test_client(app, namespace=NS, flask_test_client=app.test_client())
    answer = live.emit(event, *args, namespace=NS, callback=True)  # python-socketio sends None as no argument
    assert isinstance(answer, dict) and answer
    if event == "frame":
        assert answer["error"] in ("empty", "corrupt", "unsupported_type") and answer["message"]
    assert "faces" in live.emit("frame", encode(np.zeros((120, 160, 3), np.uint8)), namespace=NS, callback=True)
    live.disconnect(NS)


def live_sources(app) -> list[dict]:
    return app.test_client().get("/api/sources").get_json()


@pytest.mark.parametrize(
    "auth",
    [
        {"source_id": 999999},
        {"source_id": "image"},
        {"source_id": "video"},
        {"name": "x" * 121},
        {"name": "x" * 100_000},
        {"name": ["door"]},
        {"name": 5},
    ],
)
def test_a_live_connect_naming_an_unknown_or_wrong_source_or_an_overlong_name_is_refused(make_app, auth):
    app = make_app()
    client = app.test_client()
    for kind in ("image", "video"):
        created = client.post("/api/sources", json={"kind": kind, "name": kind}).get_json()
        if auth.get("source_id") == kind:
            auth = {"source_id": created["id"]}
    before = live_sources(app)
    live = socketio.test_client(app, namespace=NS, flask_test_client=app.test_client(), auth=auth)
    assert not live.is_connected(NS)
    assert live_sources(app) == before  # no webcam source made in its place, nothing cut to fit


def test_a_live_name_of_the_longest_length_is_kept_whole(make_app):
    app = make_app()
    live = socketio.test_client(app, namespace=NS, flask_test_client=app.test_client(), auth={"name": "x" * 120})
    assert live.is_connected(NS)
    assert [s["name"] for s in live_sources(app)] == ["x" * 120]
    live.disconnect(NS)


def test_a_live_client_watching_a_camera_cannot_count_frames_under_it(make_app, astronaut):
    app = make_app()
    client = app.test_client()
    camera = client.post(
        "/api/sources", json={"kind": "camera", "name": "gate", "url": "rtsp://127.0.0.1:9/x"}
    ).get_json()
    live = socketio.test_client(
        app, namespace=NS, flask_test_client=app.test_client(), auth={"source_id": camera["id"]}
    )
    assert live.is_connected(NS)
    assert live.emit("watch", {"camera_id": camera["id"]}, namespace=NS, callback=True)["camera_id"] == camera["id"]
    for _ in range(3):
        answer = live.emit("frame", encode(astronaut), namespace=NS, callback=True)
        assert answer["error"] == "wrong_source_kind" and answer["message"]
    live.disconnect(NS)
    assert client.get("/api/sightings").get_json()["total"] == 0
    assert [s["kind"] for s in live_sources(app)] == ["camera"]


# --- a real server: floods and oversized messages ------------------------------------------------


def server_threads(server: ServedApp) -> int:
    for line in Path(f"/proc/{server.process.pid}/status").read_text().splitlines():
        if line.startswith("Threads:"):
            return int(line.split()[1])
    raise AssertionError("no thread count")


class Sampler(threading.Thread):
    """Peak thread count and resident memory of the server process, sampled every 20 ms."""

    def __init__(self, server: ServedApp):
        super().__init__(daemon=True)
        self.server, self.stop, self.threads, self.rss_mb = server, threading.Event(), 0, 0.0

    def run(self):
        while not self.stop.is_set():
            self.threads = max(self.threads, server_threads(self.server))
            self.rss_mb = max(self.rss_mb, self.server.rss_mb())
            time.sleep(0.02)


def live_connection(server: ServedApp, name: str) -> socketio_client.Client:
    client = socketio_client.Client(reconnection=False)
    client.connect(server.url, namespaces=[NS], transports=["websocket"], auth={"name": name}, wait_timeout=30)
    return client


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    with ServedApp(tmp_path_factory.mktemp("served") / "instance", env={"LIVE_MAX_FRAME_MB": "1"}) as server:
        yield server


def test_a_flood_of_frames_is_dropped_not_queued_and_others_are_still_served(served):
    """One client sends FLOOD frames without waiting for answers. Each gets an answer, most of them
    "busy" at once; the server's threads and memory stay bounded (queued, each frame would hold a
    thread and a decoded image until the detector got to it); another client is served all along."""
    flood_count, frames = 300, live_frames(20)
    flooder, neighbour = live_connection(served, "flood"), live_connection(served, "neighbour")
    try:
        neighbour.call("frame", frames[0], namespace=NS, timeout=60)  # warm up
        threads_before, rss_before = server_threads(served), served.rss_mb()
        sampler = Sampler(served)
        sampler.start()
        answers, all_answered = [], threading.Event()

        def answered(answer):
            answers.append(answer)
            if len(answers) == flood_count:
                all_answered.set()

        neighbour_answers = []

        def neighbour_loop():  # the browser's way: the next frame after the answer
            for jpeg in frames[:8]:
                neighbour_answers.append(neighbour.call("frame", jpeg, namespace=NS, timeout=60))

        polite = threading.Thread(target=neighbour_loop)
        polite.start()
        for i in range(flood_count):
            flooder.emit("frame", frames[i % len(frames)], namespace=NS, callback=answered)
        assert all_answered.wait(120), f"{len(answers)} of {flood_count} frames answered"
        polite.join(120)
        sampler.stop.set()
        sampler.join()

        busy = [a for a in answers if a.get("error") == "busy"]
        processed = [a for a in answers if "faces" in a]
        assert len(busy) + len(processed) == flood_count
        assert processed and len(busy) > flood_count // 2
        assert all(a["message"] and a["retry_ms"] > 0 for a in busy)
        assert len(neighbour_answers) == 8 and all("faces" in a for a in neighbour_answers)
        assert sampler.threads - threads_before < 40, (threads_before, sampler.threads)
        assert sampler.rss_mb - rss_before < 150, (rss_before, sampler.rss_mb)
        after = flooder.call("frame", frames[0], namespace=NS, timeout=60)
        assert len(after["faces"]) == 2
    finally:
        flooder.disconnect()
        neighbour.disconnect()
    assert b"Traceback" not in (served.instance / "serve.log").read_bytes()


def test_a_message_over_LIVE_MAX_FRAME_MB_closes_only_that_connection(served):
    frames = live_frames(1)
    sender, bystander = live_connection(served, "big"), live_connection(served, "bystander")
    closed = threading.Event()
    sender.on("disconnect", lambda *reason: closed.set(), namespace=NS)
    try:
        sender.emit("frame", bytes(3 * 2**20), namespace=NS)  # 3 MB of zeros, over the 1 MB setting
        assert closed.wait(30), "the oversized message was accepted"
        assert "faces" in bystander.call("frame", frames[0], namespace=NS, timeout=60)
    finally:
        for client in (sender, bystander):
            if client.connected:
                client.disconnect()
    again = live_connection(served, "big")
    assert "faces" in again.call("frame", frames[0], namespace=NS, timeout=60)
    again.disconnect()
