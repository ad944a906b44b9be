"""End to end: `maskwatch serve` as a real process (SQLite in its instance folder), a real Socket.IO
client over a websocket, and plain HTTP."""

from __future__ import annotations

import json
import statistics
import time
import urllib.error
import urllib.request

import pytest
import socketio

from maskwatch_testing.frames import people, scene
from maskwatch_testing.served import ServedApp

from ..conftest import encode


def get_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with ServedApp(tmp_path_factory.mktemp("served") / "instance") as served:
        yield served


def test_serve_upgrades_the_database_and_answers(server):
    assert get_json(server.url + "/api/health")["status"] == "ok"
    assert (server.instance / "maskwatch.db").is_file()
    assert "/api/images" in get_json(server.url + "/api/openapi.json")["paths"]


def test_live_round_trip_over_a_websocket(server, astronaut, grace_hopper, face_detector):
    head = people(astronaut, grace_hopper, face_detector)["astronaut"]
    frames = [encode(scene([(head, 240 + (i % 4) * 5, 150)])) for i in range(8)]
    client = socketio.Client()
    client.connect(server.url, namespaces=["/live"], transports=["websocket"], auth={"name": "e2e"}, wait_timeout=10)
    overheads, answers = [], []
    try:
        for jpeg in frames:
            started = time.perf_counter()
            answer = client.call("frame", jpeg, namespace="/live", timeout=30)
            overheads.append((time.perf_counter() - started) * 1000 - answer["ms"])
            answers.append(answer)
    finally:
        client.disconnect()
    assert {a["faces"][0]["track_id"] for a in answers} == {1}
    # Round trip minus detection: transport and decoding, about 5 ms. The second frame's answer
    # follows an 'alert' push on the same socket: without TCP_NODELAY, Nagle held it back 40-60 ms.
    assert len(answers) == 8 and statistics.median(overheads[1:]) < 20, overheads
    assert overheads[1] < 35, overheads
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:  # the disconnect handler writes the sighting
        sightings = get_json(server.url + "/api/sightings")["items"]
        if sightings:
            break
        time.sleep(0.2)
    assert [(s["verdict"], s["frames_seen"]) for s in sightings] == [("no_mask", 8)]


def test_https_serves_with_a_self_signed_certificate_it_made(tmp_path):
    import ssl

    instance = tmp_path / "instance"
    with ServedApp(instance, https=True) as served:
        assert served.url.startswith("https://")
        context = ssl.create_default_context(cafile=str(instance / "tls" / "maskwatch-cert.pem"))
        with urllib.request.urlopen(served.url + "/api/health", timeout=10, context=context) as response:
            assert json.loads(response.read())["status"] == "ok"
        with pytest.raises(urllib.error.URLError):  # an untrusting client refuses it: it is self-signed
            urllib.request.urlopen(served.url + "/api/health", timeout=10, context=ssl.create_default_context())
