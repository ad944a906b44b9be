"""People, not frames: associate faces across frames and give each person one verdict.

`FaceTracker.update(detections, timestamp)` matches this frame's faces to live tracks by IoU with
each track's box moved by its velocity (a constant-velocity motion model), falling back to centre
distance for fast or shrinking faces; a track survives `max_missed` frames without a face. A closed
track becomes one `PersonSighting`: its verdict is the label with the largest sum of classifier
scores over the frames where the classifier was confident, `unknown` when it never was.

A hand-written greedy matcher rather than a library (norfair, supervision's ByteTrack): faces per
frame are few, and those libraries bring dependencies and per-object state we would wrap anyway.
Timestamps are opaque: any ordered values (datetimes for the store, seconds for video results).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .detection.types import LABELS, Detection

UNKNOWN = "unknown"


@dataclass
class PersonSighting:
    """One tracked person: first and last timestamps, the voted verdict and its share of the votes."""

    track_id: int
    seen_at: Any
    ended_at: Any
    verdict: str
    confidence: float
    frames_seen: int


@dataclass
class TrackedFace:
    """A detection of this frame with the track it belongs to and that track's running verdict."""

    track_id: int
    detection: Detection
    verdict: str
    frames_seen: int = 1

    def to_dict(self) -> dict:
        return {**self.detection.to_dict(), "track_id": self.track_id, "verdict": self.verdict}


@dataclass
class Track:
    track_id: int
    box: np.ndarray
    first_seen: Any
    last_seen: Any
    velocity: np.ndarray = field(default_factory=lambda: np.zeros(2))
    missed: int = 0
    frames_seen: int = 0
    votes: dict[str, float] = field(default_factory=lambda: dict.fromkeys(LABELS, 0.0))
    confident_frames: int = 0

    def predicted_box(self) -> np.ndarray:
        shift = self.velocity * (self.missed + 1)
        return self.box + np.array([shift[0], shift[1], shift[0], shift[1]])

    def add(self, detection: Detection, timestamp, min_confidence: float) -> None:
        box = np.asarray(detection.box, dtype=np.float64)
        if self.frames_seen:
            step = (_centre(box) - _centre(self.box)) / (self.missed + 1)
            self.velocity = 0.5 * self.velocity + 0.5 * step  # smoothed: one jittery box does not fling the track
        self.box, self.last_seen, self.missed = box, timestamp, 0
        self.frames_seen += 1
        if detection.score >= min_confidence:
            self.votes[detection.label] = self.votes.get(detection.label, 0.0) + float(detection.score)
            self.confident_frames += 1

    def verdict(self) -> tuple[str, float]:
        """(label, share of the confident votes), or ('unknown', 0.0) with no confident frame."""
        total = sum(self.votes.values())
        if self.confident_frames == 0 or total <= 0:
            return UNKNOWN, 0.0
        label = max(self.votes, key=self.votes.get)
        return label, self.votes[label] / total


def _centre(box: np.ndarray) -> np.ndarray:
    return np.array([(box[0] + box[2]) / 2, (box[1] + box[3]) / 2])


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    if w <= 0 or h <= 0:
        return 0.0
    inter = w * h
    return float(inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter))


class FaceTracker:
    """Tracks faces of one stream (a video, a webcam client).

    Args:
        min_iou: smallest IoU between a face and a track's predicted box to match, default 0.2.
        max_centre_shift: else match when the centres are within this many face widths, default 1.0.
        max_missed: frames a track survives without a matching face, default 10.
        min_confidence: a frame votes only when the classifier's score is at least this, default 0.6.
        min_frames: tracks seen in fewer frames are dropped as flicker, default 2 (1 for single images).
    Example:
        tracker = FaceTracker(); faces = tracker.update(detector.detect(frame), now).faces
        people = tracker.close_all()
    """

    def __init__(self, min_iou: float = 0.2, max_centre_shift: float = 1.0, max_missed: int = 10,
                 min_confidence: float = 0.6, min_frames: int = 2):
        self.min_iou = min_iou
        self.max_centre_shift = max_centre_shift
        self.max_missed = max_missed
        self.min_confidence = min_confidence
        self.min_frames = min_frames
        self.tracks: list[Track] = []
        self.closed: list[PersonSighting] = []
        self._next_id = 1

    def update(self, detections: list[Detection], timestamp) -> "TrackerUpdate":
        """Match one frame's detections; returns the tracked faces and the people whose tracks ended."""
        pairs = self._match(detections)
        matched_tracks = {t for t, _ in pairs}
        matched_dets = {d for _, d in pairs}
        faces = []
        for t, d in pairs:
            self.tracks[t].add(detections[d], timestamp, self.min_confidence)
        for t, track in enumerate(self.tracks):
            if t not in matched_tracks:
                track.missed += 1
        for d, detection in enumerate(detections):
            if d not in matched_dets:
                track = Track(self._next_id, np.asarray(detection.box, dtype=np.float64), timestamp, timestamp)
                self._next_id += 1
                track.add(detection, timestamp, self.min_confidence)
                self.tracks.append(track)
                pairs.append((len(self.tracks) - 1, d))
        for t, d in sorted(pairs, key=lambda p: p[1]):
            track = self.tracks[t]
            faces.append(TrackedFace(track.track_id, detections[d], track.verdict()[0], track.frames_seen))
        ended = [track for track in self.tracks if track.missed > self.max_missed]
        self.tracks = [track for track in self.tracks if track.missed <= self.max_missed]
        return TrackerUpdate(faces, self._close(ended))

    def close_all(self) -> list[PersonSighting]:
        """End every live track (end of video, client gone); returns their people."""
        ended, self.tracks = self.tracks, []
        return self._close(ended)

    def counts(self) -> dict[str, int]:
        """People so far per verdict: ended people plus live tracks seen in at least min_frames frames."""
        counts = dict.fromkeys((*LABELS, UNKNOWN), 0)
        for person in self.closed:
            counts[person.verdict] += 1
        for track in self.tracks:
            if track.frames_seen >= self.min_frames:
                counts[track.verdict()[0]] += 1
        return {"people": sum(counts.values()), **counts}

    def _close(self, ended: list[Track]) -> list[PersonSighting]:
        people = []
        for track in ended:
            if track.frames_seen < self.min_frames:
                continue
            verdict, confidence = track.verdict()
            people.append(PersonSighting(track.track_id, track.first_seen, track.last_seen, verdict,
                                         round(confidence, 4), track.frames_seen))
        self.closed.extend(people)
        return people

    def _match(self, detections: list[Detection]) -> list[tuple[int, int]]:
        """Greedy best-first pairs (track index, detection index): IoU first, then centre distance."""
        candidates = []
        for t, track in enumerate(self.tracks):
            predicted = track.predicted_box()
            width = max(predicted[2] - predicted[0], 1.0)
            for d, detection in enumerate(detections):
                box = np.asarray(detection.box, dtype=np.float64)
                iou = _iou(predicted, box)
                if iou >= self.min_iou:
                    candidates.append((1.0 + iou, t, d))
                    continue
                shift = float(np.linalg.norm(_centre(predicted) - _centre(box))) / width
                if shift <= self.max_centre_shift:
                    candidates.append((1.0 - shift, t, d))
        pairs, used_t, used_d = [], set(), set()
        for _, t, d in sorted(candidates, reverse=True):
            if t not in used_t and d not in used_d:
                pairs.append((t, d))
                used_t.add(t)
                used_d.add(d)
        return pairs


@dataclass
class TrackerUpdate:
    faces: list[TrackedFace]
    ended: list[PersonSighting]
