"""Tracking on synthetic sequences of real faces (real detector): people are counted, not frames."""

from __future__ import annotations

import math

import pytest

from maskwatch.detection import Detection, Face
from maskwatch.detection.classifier import UNCALIBRATED_UNKNOWN_BELOW
from maskwatch.tracking import FaceTracker
from maskwatch_testing.frames import people, scene, walking


@pytest.fixture(scope="module")
def heads(astronaut, grace_hopper, face_detector):
    return people(astronaut, grace_hopper, face_detector)


@pytest.fixture(scope="module")
def detect_cached(mask_detector):
    """The real detector, run once per distinct scene (identical frames give identical detections)."""
    cache = {}

    def detect(key, frame):
        if key not in cache:
            cache[key] = mask_detector.detect(frame)
        return cache[key]

    return detect


def test_one_person_in_front_of_the_camera_for_a_minute_is_one_sighting(heads, detect_cached):
    tracker = FaceTracker()
    head = heads["astronaut"]
    for step in range(120):  # 60 s at 2 processed frames per second, swaying, looking away twice
        t = step * 0.5
        x, y = 240 + round(20 * math.sin(step / 3)) // 4 * 4, 150 + round(8 * math.cos(step / 5)) // 4 * 4
        away = step in (40, 41, 42, 90)
        frame_key = None if away else (x, y)
        detections = [] if away else detect_cached(frame_key, scene([(head, x, y)]))
        update = tracker.update(detections, t)
        assert update.ended == []
        if not away:
            assert [f.track_id for f in update.faces] == [1]
    people_seen = tracker.close_all()
    assert len(people_seen) == 1
    person = people_seen[0]
    assert person.verdict == "no_mask"
    assert (person.seen_at, person.ended_at) == (0.0, 59.5)
    assert person.frames_seen == 116
    assert person.confidence > 0.9


def test_two_people_crossing_are_two_sightings_with_their_own_verdicts(heads, detect_cached):
    tracker = FaceTracker()
    masked, bare = heads["astronaut_masked"], heads["grace_hopper"]
    for i, (x, y) in enumerate(walking(masked, 16, start=(20, 40), step=(28, 0))):
        frame = scene([(masked, x, y), (bare, 470 - i * 28, 280)])
        tracker.update(detect_cached(("cross", i), frame), i)
    found = sorted((p.verdict, p.frames_seen >= 14) for p in tracker.close_all())
    assert found == [("mask", True), ("no_mask", True)]


def test_a_person_gone_longer_than_max_missed_comes_back_as_a_new_sighting(heads, detect_cached):
    tracker = FaceTracker(max_missed=5)
    head = heads["astronaut"]
    frame = scene([(head, 240, 150)])
    ended = []
    for t in range(20):
        detections = [] if 5 <= t < 12 else detect_cached(("still",), frame)
        ended += tracker.update(detections, t).ended
    assert [(p.seen_at, p.ended_at, p.frames_seen) for p in ended] == [(0, 4, 5)]
    assert [(p.seen_at, p.ended_at) for p in tracker.close_all()] == [(12, 19)]


def _detection(label: str, score: float, box=(100, 100, 180, 190)) -> Detection:
    """A detection labelled as an uncalibrated MaskClassifier labels it: unknown below its threshold."""
    probs = {name: (score if name == label else (1 - score) / 2) for name in ("mask", "no_mask", "incorrect")}
    return Detection(Face(box, 0.99), label if score >= UNCALIBRATED_UNKNOWN_BELOW else "unknown", score, probs)


def test_votes_are_weighted_by_confidence_and_unsure_frames_do_not_vote():
    tracker = FaceTracker()
    # interleaved, so no run of confident disagreeing frames splits the track: 3.8 vs 2.8 confident
    labels = [("mask", 0.95), ("no_mask", 0.7)] * 4 + [("no_mask", 0.4)] * 10
    for t, (label, score) in enumerate(labels):
        tracker.update([_detection(label, score)], t)
    (person,) = tracker.close_all()
    assert person.verdict == "mask"
    assert person.confidence == pytest.approx(3.8 / 6.6, abs=1e-3)
    assert person.frames_seen == 18


def test_a_face_never_seen_confidently_is_unknown():
    tracker = FaceTracker()
    for t in range(5):
        tracker.update([_detection("incorrect", 0.45)], t)
    (person,) = tracker.close_all()
    assert (person.verdict, person.confidence) == ("unknown", 0.0)


def test_a_single_frame_flicker_is_not_a_person_but_an_image_face_is():
    for min_frames, expected in ((2, 0), (1, 1)):
        tracker = FaceTracker(min_frames=min_frames)
        tracker.update([_detection("mask", 0.9)], 0)
        assert len(tracker.close_all()) == expected


def test_a_fast_face_is_followed_by_its_motion():
    tracker = FaceTracker()
    for t in range(10):  # speeding up 10 px a frame to 90 px (almost 2 face widths) a frame
        x = 20 + 5 * t * (t + 1)
        update = tracker.update([_detection("no_mask", 0.9, (x, 100, x + 50, 160))], t)
        assert [f.track_id for f in update.faces] == [1]
    assert len(tracker.close_all()) == 1


def test_a_run_of_confident_other_verdicts_is_a_new_person_and_a_blip_is_not():
    tracker = FaceTracker()
    frames = [("mask", 0.95)] * 5 + [("no_mask", 0.9)] * 2 + [("mask", 0.95)] * 3 + [("no_mask", 0.9)] * 6
    ended = []
    for t, (label, score) in enumerate(frames):
        ended += tracker.update([_detection(label, score)], t).ended
    ended += tracker.close_all()
    assert [(p.verdict, p.seen_at, p.ended_at, p.frames_seen) for p in ended] == [
        ("mask", 0, 9, 10),
        ("no_mask", 10, 15, 6),
    ]


def test_the_box_shows_the_frames_own_label_until_the_vote_is_settled():
    tracker = FaceTracker(settle_frames=3)
    shown = [
        tracker.update([_detection(label, 0.9)], t).faces[0].verdict
        for t, label in enumerate(["no_mask", "mask", "mask", "mask", "no_mask", "mask"])
    ]
    # settled on mask at the third frame; a frame unlike the track shows its own label
    assert shown == ["no_mask", "mask", "mask", "mask", "no_mask", "mask"]


def test_memory_and_time_per_frame_stay_flat_over_100000_people():
    import time
    import tracemalloc

    tracker = FaceTracker(max_missed=0, min_frames=1)
    tracemalloc.start()
    marks = {}
    started = time.perf_counter()
    for person in range(100_000):
        box = (100 + person % 7 * 60, 100, 150 + person % 7 * 60, 160)
        tracker.update([_detection("no_mask", 0.9, box)], 2 * person)
        tracker.update([], 2 * person + 1)  # gone: the track ends
        if person in (10_000, 99_999):
            marks[person] = (tracemalloc.get_traced_memory()[0], time.perf_counter() - started)
            started = time.perf_counter()
    tracemalloc.stop()
    assert tracker.counts()["no_mask"] == 100_000
    assert marks[99_999][0] - marks[10_000][0] < 200_000  # bytes: nothing grows with the people seen
    assert marks[99_999][1] / 90_000 < 3 * marks[10_000][1] / 10_000  # seconds per person do not grow


def test_the_alert_policy_forgets_ended_people_and_still_alerts_each_once():
    import tracemalloc

    from maskwatch.alerts import AlertPolicy

    policy = AlertPolicy(cooldown_s=0.5, forget_after_s=5)
    tracemalloc.start()
    alerts, marks = 0, {}
    for person in range(100_000):
        now = 2.0 * person
        box = (100 + person % 7 * 200, 100, 150 + person % 7 * 200, 160)
        alerts += policy.should_alert(person, "no_mask", 3, box, now)
        alerts += policy.should_alert(person, "no_mask", 4, box, now + 1)  # the same person a second later
        if person in (10_000, 99_999):
            marks[person] = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    assert alerts == 100_000
    assert len(policy.alerted) <= 4
    assert marks[99_999] - marks[10_000] < 50_000
