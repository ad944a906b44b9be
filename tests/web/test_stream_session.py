"""StreamSession: the one pipeline of live clients, cameras, video jobs and pictures (detect, track, decide
who is a person, alert, record), tested once here with the real detector on real fixture faces."""

from __future__ import annotations

import pytest

from maskwatch.alerts import AlertPolicy
from maskwatch.detection.profiles import PICTURE, STREAM
from maskwatch.monitor import KeptPeople, StreamSession
from maskwatch.publishing import CollectingPublisher
from maskwatch.store import Sighting, queries, utcnow
from maskwatch.store.spool import SourceRef
from maskwatch.tracking import FaceTracker
from maskwatch.web.services import services_of
from maskwatch_testing.frames import people, scene


@pytest.fixture(scope="module")
def heads(astronaut, grace_hopper, face_detector):
    return people(astronaut, grace_hopper, face_detector)


class CachedDetector:
    """The real mask detector, run once per distinct frame (identical frames give identical detections);
    records the profile each call asked for."""

    def __init__(self, mask_detector):
        self.mask_detector = mask_detector
        self.cache: dict[bytes, list] = {}
        self.profiles: list[str] = []

    def detect(self, rgb, profile=STREAM):
        self.profiles.append(profile)
        key = rgb.tobytes()
        if key not in self.cache:
            self.cache[key] = self.mask_detector.detect(rgb)
        return self.cache[key]


@pytest.fixture(scope="module")
def detector(mask_detector):
    return CachedDetector(mask_detector)


class Clock:
    """The seconds a session's alert cooldowns go by, set by the test."""

    def __init__(self):
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def door(heads, names_and_frames: list[tuple[str, int]]):
    """Frames of one door: each (name, n) stands in the same place for n frames, 10 frames a second."""
    i = 0
    for name, n in names_and_frames:
        frame = scene([(heads[name], 250, 130)]) if name else scene([])
        for _ in range(n):
            yield i / 10, frame
            i += 1


def test_a_stream_records_each_person_once_and_alerts_once_for_the_unmasked(heads, detector):
    kept, events, clock = KeptPeople(), CollectingPublisher(), Clock()
    session = StreamSession(
        detector,
        FaceTracker(max_missed=5),
        SourceRef(7),
        recorder=kept,
        alerts=AlertPolicy(cooldown_s=30),
        publisher=events,
        clock=clock,
        alert_extra={"camera_id": 7},
    )
    ended, people_counted = [], []
    for t, frame in door(heads, [("astronaut_masked", 12), (None, 8), ("grace_hopper", 12)]):
        clock.now = t
        result = session.process(frame, t)
        ended += result.ended
        people_counted.append(result.counts["people"])
    # a person counts from their second frame on (min_frames 2), while out of view too, and never twice
    assert people_counted[:2] == [0, 1] and set(people_counted[2:20]) == {1} and people_counted[21:] == [2] * 11
    assert [p.verdict for p in ended] == ["mask"]  # the masked person left 5 frames after the last face
    assert [p.verdict for p in kept.people] == ["mask"]  # ... and was recorded then, not at the end
    assert session.close()[0].verdict == "no_mask"
    assert [p.verdict for p in kept.people] == ["mask", "no_mask"]
    assert session.counts() == {"people": 2, "mask": 1, "no_mask": 1, "incorrect": 0, "unknown": 0}
    (alert,) = events.named("alert")
    assert (alert["verdict"], alert["camera_id"], alert["track_id"]) == ("no_mask", 7, kept.people[1].track_id)
    assert alert["message"] == "Please wear a mask."
    assert session.frames == 32 and set(detector.profiles) == {STREAM}


@pytest.mark.parametrize(
    "first, verdicts", [("astronaut", ["no_mask", "no_mask"]), ("astronaut_masked", ["mask", "no_mask"])]
)
def test_a_person_who_takes_anothers_place_is_a_new_person_and_alerts_at_once(heads, detector, first, verdicts):
    """A queue at a door: the next person steps into the same place with no frame between them."""
    kept, events, clock = KeptPeople(), CollectingPublisher(), Clock()
    session = StreamSession(
        detector,
        FaceTracker(max_missed=10),
        recorder=kept,
        alerts=AlertPolicy(cooldown_s=30),
        publisher=events,
        clock=clock,
    )
    alert_times = []
    for t, frame in door(heads, [(first, 10), ("grace_hopper", 10)]):
        clock.now = t
        alert_times += [t for _ in session.process(frame, t).alerts]
    session.close()
    assert [p.verdict for p in kept.people] == verdicts
    assert kept.people[0].ended_at < 1.0 <= kept.people[1].seen_at
    alerted = [p.track_id for p in kept.people if p.verdict == "no_mask"]
    assert [a["track_id"] for a in events.named("alert")] == alerted
    assert alert_times[-1] - 1.0 < 1.0  # within a second of stepping in, whatever alerted before


def test_a_person_seen_again_after_losing_the_face_does_not_alert_twice_within_the_cooldown(heads, detector):
    events, clock = CollectingPublisher(), Clock()
    session = StreamSession(
        detector, FaceTracker(max_missed=3), alerts=AlertPolicy(cooldown_s=30), publisher=events, clock=clock
    )
    for t, frame in door(heads, [("grace_hopper", 6), (None, 6), ("grace_hopper", 6)]):
        clock.now = t
        session.process(frame, t)
    people_seen = session.close()
    assert len(people_seen) == 1  # close() returns only those still in view
    assert len(events.named("alert")) == 1


def test_without_an_alert_policy_nothing_is_published(heads, detector):
    events = CollectingPublisher()
    session = StreamSession(detector, FaceTracker(), publisher=events)
    for t, frame in door(heads, [("grace_hopper", 5)]):
        assert session.process(frame, t).alerts == []
    assert events.events == [] and [p.verdict for p in session.close()] == ["no_mask"]


def test_a_picture_is_a_one_frame_session_recorded_in_the_store(app, heads, detector):
    frame = scene([(heads["astronaut_masked"], 40, 100), (heads["grace_hopper"], 380, 120)])
    with app.app_context():
        session = StreamSession(
            detector,
            FaceTracker(min_frames=1),
            SourceRef(kind="image", name="Door photos"),
            recorder=services_of().recorder,
            profile=PICTURE,
        )
        result = session.process(frame, utcnow())
        assert result.ended == [] and session.written == 0  # nobody has left yet
        assert sorted(p.verdict for p in session.close()) == ["mask", "no_mask"]
        assert (session.written, session.waiting) == (2, 0)
        assert session.source_id is not None  # the source was made by its first write
        source = queries.get_source(session.source_id)
        assert (source.kind, source.name) == ("image", "Door photos")
        rows = Sighting.query.filter_by(source_id=session.source_id).all()
        assert sorted(row.verdict for row in rows) == ["mask", "no_mask"]
    assert detector.profiles[-1] == PICTURE
