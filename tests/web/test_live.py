"""The /live Socket.IO namespace through Flask-SocketIO's test client, real frames, SQLite and MariaDB."""

from __future__ import annotations

import numpy as np
import pytest

from maskwatch.alerts import AlertPolicy
from maskwatch.web.live import LIVE_MAX_MISSED, LIVE_NAMESPACE
from maskwatch.web.services import services_of
from maskwatch_testing.frames import people, scene

from ..conftest import encode

NS = LIVE_NAMESPACE


@pytest.fixture(scope="module")
def heads(astronaut, grace_hopper, face_detector):
    return people(astronaut, grace_hopper, face_detector)


def swaying(head, frames: int) -> list[bytes]:
    """JPEG frames (640x480) of one head moving a little, as in front of a webcam."""
    return [encode(scene([(head, 240 + (i % 5) * 6, 150 + (i % 3) * 4)])) for i in range(frames)]


def send(live, jpeg: bytes) -> dict:
    return live.emit("frame", jpeg, namespace=NS, callback=True)


def received(live, name: str) -> list[dict]:
    return [e["args"][0] for e in live.get_received(NS) if e["name"] == name]


def sightings(client, name: str) -> list[dict]:
    source = next(s for s in client.get("/api/sources").get_json() if s["name"] == name)
    return client.get(f"/api/sightings?source_id={source['id']}").get_json()["items"]


def test_a_person_in_front_of_the_webcam_is_one_sighting_and_one_alert(client, live_client, heads):
    live = live_client({"name": "desk"})
    assert received(live, "ready")[0]["source_id"]
    answers = [send(live, jpeg) for jpeg in swaying(heads["astronaut"], 12)]
    assert all(len(a["faces"]) == 1 for a in answers)
    assert {a["faces"][0]["track_id"] for a in answers} == {1}
    assert answers[-1]["faces"][0]["label"] == "no_mask"
    assert answers[-1]["counts"] == {"people": 1, "mask": 0, "no_mask": 1, "incorrect": 0, "unknown": 0}
    alerts = received(live, "alert")
    assert len(alerts) == 1
    assert (alerts[0]["track_id"], alerts[0]["verdict"]) == (1, "no_mask") and alerts[0]["message"]
    assert sightings(client, "desk") == []  # the person is still there
    live.disconnect(NS)
    (person,) = sightings(client, "desk")
    assert (person["verdict"], person["frames_seen"]) == ("no_mask", 12)


def test_a_masked_person_raises_no_alert(client, live_client, heads):
    live = live_client({"name": "door"})
    answers = [send(live, jpeg) for jpeg in swaying(heads["astronaut_masked"], 6)]
    assert answers[-1]["counts"]["mask"] == 1
    assert received(live, "alert") == []
    live.disconnect(NS)
    assert [s["verdict"] for s in sightings(client, "door")] == ["mask"]


def test_a_person_lost_and_found_again_is_two_sightings_but_one_alert(client, live_client, heads):
    live = live_client({"name": "desk"})
    frames = swaying(heads["grace_hopper"], 3)
    empty = encode(np.full((120, 160, 3), 128, np.uint8))
    for jpeg in frames:
        send(live, jpeg)
    for _ in range(LIVE_MAX_MISSED + 1):
        assert send(live, empty)["faces"] == []
    assert len(sightings(client, "desk")) == 1  # written as soon as the track ended
    answers = [send(live, jpeg) for jpeg in frames]
    assert answers[-1]["faces"][0]["track_id"] == 2
    assert answers[-1]["counts"]["people"] == 2
    assert len(received(live, "alert")) == 1  # the cooldown knows the place
    live.disconnect(NS)
    assert len(sightings(client, "desk")) == 2


def test_each_client_has_its_own_tracker_and_source(client, live_client, heads):
    a, b = live_client({"name": "left"}), live_client({"name": "right"})
    for jpeg_a, jpeg_b in zip(swaying(heads["astronaut"], 3), swaying(heads["astronaut_masked"], 3)):
        answer_a, answer_b = send(a, jpeg_a), send(b, jpeg_b)
    assert answer_a["faces"][0]["track_id"] == answer_b["faces"][0]["track_id"] == 1
    assert (answer_a["counts"]["people"], answer_b["counts"]["people"]) == (1, 1)
    a.disconnect(NS)
    b.disconnect(NS)
    assert [s["verdict"] for s in sightings(client, "left")] == ["no_mask"]
    assert [s["verdict"] for s in sightings(client, "right")] == ["mask"]


@pytest.mark.parametrize(
    "frame, code",
    [
        (b"", "empty"),
        (b"not a jpeg", "unsupported_type"),
        ({"image": 42}, "empty"),
        ("data:image/jpeg;base64,@@@", "corrupt"),
    ],
)
def test_a_bad_frame_gets_an_error_answer_and_the_client_goes_on(live_client, heads, frame, code):
    live = live_client()
    answer = live.emit("frame", frame, namespace=NS, callback=True)
    assert answer["error"] == code and answer["message"]
    assert len(send(live, swaying(heads["astronaut"], 1)[0])["faces"]) == 1


def test_frames_may_come_as_base64_data_urls(live_client, heads):
    import base64

    jpeg = swaying(heads["astronaut"], 1)[0]
    answer = live_client().emit(
        "frame", {"image": "data:image/jpeg;base64," + base64.b64encode(jpeg).decode()}, namespace=NS, callback=True
    )
    assert len(answer["faces"]) == 1


def test_alert_policy_once_per_track_with_a_cooldown_by_place():
    policy = AlertPolicy(cooldown_s=30, min_frames=2)
    box, elsewhere = (100, 100, 180, 190), (400, 100, 480, 190)
    assert not policy.should_alert(1, "no_mask", 1, box, now=0)  # one frame may be a fluke
    assert policy.should_alert(1, "no_mask", 2, box, now=0)
    assert not policy.should_alert(1, "no_mask", 5, box, now=1)  # once per track
    assert not policy.should_alert(2, "incorrect", 2, box, now=5)  # same place, in cooldown
    assert policy.should_alert(3, "incorrect", 2, elsewhere, now=5)  # somebody else
    assert policy.should_alert(4, "no_mask", 2, box, now=40)  # cooldown over
    assert not policy.should_alert(5, "mask", 9, elsewhere, now=99)


def test_sightings_wait_while_the_database_is_down_and_the_stream_goes_on(app, client, live_client, heads):
    """The sightings table vanishes under a running client (MariaDB itself stopped: test_outage.py)."""
    import sqlalchemy as sa

    from maskwatch.store.database import db

    def rename(old: str, new: str) -> None:
        with app.app_context():
            db.session.execute(sa.text(f"ALTER TABLE {old} RENAME TO {new}"))
            db.session.commit()

    live = live_client({"name": "desk"})
    frames, empty = swaying(heads["astronaut"], 2), encode(np.full((120, 160, 3), 128, np.uint8))
    for jpeg in frames:
        send(live, jpeg)
    rename("sightings", "sightings_away")  # every write fails as if the server were unreachable
    for _ in range(LIVE_MAX_MISSED + 1):
        assert send(live, empty)["faces"] == []  # the track ends here; its write fails, answers go on
    assert client.get("/api/health").get_json()["sightings_waiting"] == 1
    live.disconnect(NS)
    rename("sightings_away", "sightings")
    with app.app_context():
        services_of().recorder.flush()  # or the flusher thread did already
    assert [s["frames_seen"] for s in sightings(client, "desk")] == [2]
    assert client.get("/api/health").get_json()["sightings_waiting"] == 0
