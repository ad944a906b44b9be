"""People, not frames: associate faces across frames and give each person one verdict.

`FaceTracker.update(detections, timestamp)` matches this frame's faces to live tracks by IoU with
each track's box moved by its velocity (a constant-velocity motion model), falling back to centre
distance for fast or shrinking faces; a track survives `max_missed` frames without a face. A closed
track becomes one `PersonSighting`: its verdict is the label with the largest sum of classifier
scores over the frames where the classifier was confident (a label other than `unknown`, which the
classifier gives below its calibrated threshold), `unknown` when it never was.

A track is one person: when `split_after` frames in a row look like somebody else (a confident verdict
other than the track's settled one, or an appearance signature unlike the track's), the track ends
where that run began and the run starts a new track, so a person who takes another's place at a door
gets their own verdict and alert. Memory stays flat however long a stream runs: ended people are
counted, not kept.

A hand-written greedy matcher rather than a library (norfair, supervision's ByteTrack): faces per
frame are few, and those libraries bring dependencies and per-object state we would wrap anyway.
Timestamps are opaque: any ordered values (datetimes for the store, seconds for video results).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .detection.types import LABELS, UNKNOWN, Detection


def judged(detection: Detection, min_confidence: float) -> bool:
    """Whether this frame's verdict counts: the classifier gave a label (not unknown) at min_confidence or more."""
    return detection.label != UNKNOWN and detection.score >= min_confidence


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
    """A detection of this frame with its track: `verdict` is the track's vote once settled, the
    frame's own label before (unknown when the classifier was not confident)."""

    track_id: int
    detection: Detection
    verdict: str
    frames_seen: int = 1
    #: the track began when its face replaced another person's in the same place
    after_split: bool = False
    #: what alerts go by: `verdict`, except while the face looks like somebody else (then the track's
    #: own, until the tracker decides it is a new person)
    person_verdict: str = UNKNOWN

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
    signature: np.ndarray | None = None
    #: (detection, timestamp) of the latest frames in a row that look like somebody else
    unlike_run: list = field(default_factory=list)
    after_split: bool = False

    def predicted_box(self) -> np.ndarray:
        shift = self.velocity * (self.missed + 1)
        return self.box + np.array([shift[0], shift[1], shift[0], shift[1]])

    def follow(self, detection: Detection) -> None:
        """Move the track to this frame's box (motion only)."""
        box = np.asarray(detection.box, dtype=np.float64)
        if self.frames_seen or self.unlike_run:
            step = (_centre(box) - _centre(self.box)) / (self.missed + 1)
            self.velocity = 0.5 * self.velocity + 0.5 * step  # smoothed: one jittery box does not fling the track
        self.box, self.missed = box, 0

    def add(self, detection: Detection, timestamp, min_confidence: float) -> None:
        self.follow(detection)
        self.count(detection, timestamp, min_confidence)

    def count(self, detection: Detection, timestamp, min_confidence: float) -> None:
        """This frame's vote and appearance join the track's."""
        self.last_seen = timestamp
        self.frames_seen += 1
        if judged(detection, min_confidence):
            self.votes[detection.label] = self.votes.get(detection.label, 0.0) + float(detection.score)
            self.confident_frames += 1
        if detection.signature is not None:
            mixed = detection.signature if self.signature is None else 0.7 * self.signature + 0.3 * detection.signature
            norm = float(np.linalg.norm(mixed))
            self.signature = mixed / norm if norm > 1e-6 else mixed

    def settled(self, settle_frames: int) -> bool:
        return self.confident_frames >= settle_frames

    def looks_unlike(
        self, detection: Detection, min_confidence: float, settle_frames: int, min_similarity: float
    ) -> bool:
        """A confident verdict other than the settled one, or an appearance unlike the track's."""
        if self.settled(settle_frames) and judged(detection, min_confidence) and detection.label != self.verdict()[0]:
            return True
        if self.signature is not None and detection.signature is not None and self.frames_seen >= 2:
            return float(self.signature @ detection.signature) < min_similarity
        return False

    def verdict(self) -> tuple[str, float]:
        """(label, share of the confident votes), or ('unknown', 0.0) with no confident frame."""
        total = sum(self.votes.values())
        if self.confident_frames == 0 or total <= 0:
            return UNKNOWN, 0.0
        label = max(self.votes, key=self.votes.__getitem__)
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
        min_confidence: a frame votes only when the classifier judged it (its label is not `unknown`) with a
            score of at least this, default 0 (the classifier's own calibrated threshold decides).
        min_frames: tracks seen in fewer frames are dropped as flicker, default 2 (1 for single images).
        settle_frames: confident frames before a track's vote is shown instead of each frame's label, default 3.
        split_after: frames in a row that look like somebody else before the track is split, default 3.
        min_similarity: appearance signatures less alike than this (correlation) look like somebody else,
            default 0.6 (the same face a few pixels off: 0.9 and more; the fixture faces at one door: 0.4).
    Example:
        tracker = FaceTracker(); faces = tracker.update(detector.detect(frame), now).faces
        people = tracker.close_all()
    """

    def __init__(
        self,
        min_iou: float = 0.2,
        max_centre_shift: float = 1.0,
        max_missed: int = 10,
        min_confidence: float = 0.0,
        min_frames: int = 2,
        settle_frames: int = 3,
        split_after: int = 3,
        min_similarity: float = 0.6,
    ):
        self.min_iou = min_iou
        self.max_centre_shift = max_centre_shift
        self.max_missed = max_missed
        self.min_confidence = min_confidence
        self.min_frames = min_frames
        self.settle_frames = settle_frames
        self.split_after = split_after
        self.min_similarity = min_similarity
        self.tracks: list[Track] = []
        self.ended_counts: dict[str, int] = dict.fromkeys((*LABELS, UNKNOWN), 0)
        self._next_id = 1

    def update(self, detections: list[Detection], timestamp) -> TrackerUpdate:
        """Match one frame's detections; returns the tracked faces and the people whose tracks ended."""
        pairs = self._match(detections)
        matched_tracks = {t for t, _ in pairs}
        matched_dets = {d for _, d in pairs}
        split_off: list[Track] = []
        for t, d in pairs:
            track, detection = self.tracks[t], detections[d]
            if track.looks_unlike(detection, self.min_confidence, self.settle_frames, self.min_similarity):
                track.follow(detection)
                track.unlike_run.append((detection, timestamp))
                if len(track.unlike_run) >= self.split_after:
                    split_off.append(track)
                    self.tracks[t] = self._new_track(track.unlike_run, after_split=True)
            else:
                for earlier, when in track.unlike_run:  # a blip, not a new person: those frames count
                    track.count(earlier, when, self.min_confidence)
                track.unlike_run.clear()
                track.add(detection, timestamp, self.min_confidence)
        for t, track in enumerate(self.tracks):
            if t not in matched_tracks:
                track.missed += 1
        for d, detection in enumerate(detections):
            if d not in matched_dets:
                self.tracks.append(self._new_track([(detection, timestamp)]))
                pairs.append((len(self.tracks) - 1, d))
        faces = [self._tracked_face(self.tracks[t], detections[d]) for t, d in sorted(pairs, key=lambda p: p[1])]
        ended = [track for track in self.tracks if track.missed > self.max_missed]
        self.tracks = [track for track in self.tracks if track.missed <= self.max_missed]
        return TrackerUpdate(faces, self._close(split_off + ended))

    def _new_track(self, frames: list, after_split: bool = False) -> Track:
        first, when = frames[0]
        track = Track(self._next_id, np.asarray(first.box, dtype=np.float64), when, when, after_split=after_split)
        self._next_id += 1
        for detection, timestamp in frames:
            track.add(detection, timestamp, self.min_confidence)
        return track

    def _tracked_face(self, track: Track, detection: Detection) -> TrackedFace:
        own = detection.label if judged(detection, self.min_confidence) else UNKNOWN
        vote = track.verdict()[0] if track.settled(self.settle_frames) else own
        shown = own if track.unlike_run else vote
        return TrackedFace(
            track.track_id,
            detection,
            shown,
            track.frames_seen,
            track.after_split,
            track.verdict()[0] if track.unlike_run else vote,
        )

    def close_all(self) -> list[PersonSighting]:
        """End every live track (end of video, client gone); returns their people."""
        ended, self.tracks = self.tracks, []
        return self._close(ended)

    def open_people(self) -> list[PersonSighting]:
        """The people still in view (live tracks seen in at least min_frames frames) as they stand now, without
        ending them: what a checkpoint keeps. Each has its track's id, which its final PersonSighting keeps
        (ids are never reused within a tracker)."""
        return [self._person(track) for track in self.tracks if track.frames_seen >= self.min_frames]

    def counts(self) -> dict[str, int]:
        """People so far per verdict: ended people plus live tracks seen in at least min_frames frames."""
        counts = dict(self.ended_counts)
        for track in self.tracks:
            if track.frames_seen >= self.min_frames:
                counts[track.verdict()[0]] += 1
        return {"people": sum(counts.values()), **counts}

    def _close(self, ended: list[Track]) -> list[PersonSighting]:
        people = [self._person(track) for track in ended if track.frames_seen >= self.min_frames]
        for person in people:
            self.ended_counts[person.verdict] += 1
        return people

    @staticmethod
    def _person(track: Track) -> PersonSighting:
        verdict, confidence = track.verdict()
        return PersonSighting(
            track.track_id, track.first_seen, track.last_seen, verdict, round(confidence, 4), track.frames_seen
        )

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
