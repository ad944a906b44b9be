"""The product's one rule, written once: detect, track, decide who is a person, alert, record.

A `StreamSession` is one stream of frames from one source: a live webcam client, an IP camera, a
video job, or a single uploaded picture (a one-frame session). Each ingest path builds one from a
detector, a tracker, an alert policy, a recorder and a publisher, feeds it frames, and keeps only its
transport (Socket.IO, a camera reader, a video decoder, an HTTP request).

A session with `checkpoint_every_s` (live clients and cameras: CHECKPOINT_S) also saves the people it has
in view to the recorder that often, under keys their sightings keep, so a server killed meanwhile loses at
most that much of them and the next process still counts each one once (store.recording).

Example:
    session = StreamSession(detector, FaceTracker(), source=SourceRef(3), recorder=recorder,
                            alerts=AlertPolicy(), publisher=publisher, checkpoint_every_s=5.0)
    result = session.process(rgb, utcnow())     # faces, counts, people who ended, alerts raised
    people = session.close()                    # the people still in view, recorded
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Protocol, TypeGuard

import numpy as np

from .alerts import ALERT_MESSAGES, AlertPolicy
from .detection.profiles import STREAM
from .detection.types import Detection
from .publishing import NullPublisher, Publisher
from .store.spool import Recorded, SourceRef
from .tracking import FaceTracker, PersonSighting, TrackedFace


class Detector(Protocol):
    def detect(self, rgb: np.ndarray, profile: str = STREAM) -> list[Detection]: ...


#: A person in view not checkpointed for this many intervals (and at least MIN_STALE_S) may be taken for one
#: whose process is gone, by another process sharing the spool that cannot tell (another host, a reused pid).
STALE_CHECKPOINTS = 3
MIN_STALE_S = 15.0


class Recorder(Protocol):
    """Where ended people go (store.recording.SightingRecorder: the database, or the spool while it is away).
    keys: per person, the key of its checkpoint or None; given only by a session that checkpoints."""

    def record(
        self, source: SourceRef, people: Iterable[PersonSighting], keys: list[str | None] | None = None
    ) -> Recorded: ...


class CheckpointRecorder(Recorder, Protocol):
    """A recorder that keeps the people a stream has in view (store.recording.SightingRecorder)."""

    def checkpoint(
        self, session: str, source: SourceRef, people: dict[str, PersonSighting], stale_s: float
    ) -> None: ...

    def end_checkpoints(self, session: str) -> None: ...


def keeps_checkpoints(recorder: Recorder | None) -> TypeGuard[CheckpointRecorder]:
    return hasattr(recorder, "checkpoint")


class KeptPeople:
    """A recorder that keeps people in memory for the caller to write (a video job writes its people with
    the job's result in one transaction)."""

    def __init__(self):
        self.people: list[PersonSighting] = []

    def record(
        self, source: SourceRef, people: Iterable[PersonSighting], keys: list[str | None] | None = None
    ) -> Recorded:
        people = list(people)
        self.people += people
        return Recorded(0, len(people), source.source_id)


@dataclass
class FrameResult:
    """One processed frame: its tracked faces, the running people counts, the people whose tracks ended
    with this frame (recorded already), the alerts it raised (published already), and milliseconds spent."""

    faces: list[TrackedFace]
    counts: dict[str, int]
    ended: list[PersonSighting] = field(default_factory=list)
    alerts: list[dict] = field(default_factory=list)
    ms: float = 0.0

    def faces_dict(self) -> list[dict]:
        return [face.to_dict() for face in self.faces]


class StreamSession:
    """Frames of one source, in order.

    Args:
        detector: anything with detect(rgb, profile) -> list[Detection] (web: DetectorService).
        tracker: the FaceTracker (its max_missed and min_frames say how long a face may hide and how many
            frames make a person: FaceTracker(min_frames=1) for a picture).
        source: the SourceRef people are recorded under; its id is filled in once the recorder learns it.
        recorder: where ended people go, default none (they are only returned).
        alerts: the AlertPolicy, default none (no alerts: pictures, video jobs).
        publisher: where alerts go, as events "alert" with the face, its message and `alert_extra`.
        profile: the detection profile, default STREAM (PICTURE for uploaded pictures).
        clock: seconds for the alert cooldowns and the checkpoints, default time.monotonic.
        alert_extra: fields added to each alert (a camera's {"camera_id": 3}).
        checkpoint_every_s: save the people in view to the recorder (a CheckpointRecorder) this often, by
            `clock`, at the first frame after each interval; default None (or 0): never. Each person's key is
            the session's `key` and its track id, `<key>-<track id>`; its sighting keeps it.
    """

    def __init__(
        self,
        detector: Detector,
        tracker: FaceTracker,
        source: SourceRef = SourceRef(),
        *,
        recorder: Recorder | None = None,
        alerts: AlertPolicy | None = None,
        publisher: Publisher | None = None,
        profile: str = STREAM,
        clock: Callable[[], float] = time.monotonic,
        alert_extra: dict | None = None,
        checkpoint_every_s: float | None = None,
    ):
        if checkpoint_every_s and not keeps_checkpoints(recorder):
            raise ValueError("checkpoint_every_s needs a recorder that keeps checkpoints (store.recording)")
        self.detector = detector
        self.tracker = tracker
        self.source = source
        self.recorder = recorder
        #: the recorder again where it keeps checkpoints too, else None
        self._checkpoint_recorder = recorder if keeps_checkpoints(recorder) else None
        self.alerts = alerts
        self.publisher = publisher or NullPublisher()
        self.profile = profile
        self.clock = clock
        self.alert_extra = alert_extra or {}
        self.checkpoint_every_s = float(checkpoint_every_s or 0) or None
        self.key = uuid.uuid4().hex[:20]  # 20 + "-" + a track id fit sightings.spool_key's 32 characters
        self.frames = 0
        self.written = 0
        self.waiting = 0
        self.checkpoints = 0
        self.closed = False
        self._next_checkpoint = self.clock() + (self.checkpoint_every_s or 0)
        self._checkpointed: set[int] = set()  # track ids of the people some checkpoint of ours holds

    @property
    def source_id(self) -> int | None:
        return self.source.source_id

    def process(self, frame: np.ndarray, timestamp) -> FrameResult:
        """Detect the faces of an RGB frame, then track, alert and record them (see track)."""
        started = time.perf_counter()
        detections = self.detector.detect(frame, self.profile)
        result = self.track(detections, timestamp)
        result.ms = round((time.perf_counter() - started) * 1000, 1)
        return result

    def track(self, detections: list[Detection], timestamp) -> FrameResult:
        """A frame whose faces are already detected: match them to people, raise the alerts they call
        for, record the people whose tracks ended."""
        update = self.tracker.update(detections, timestamp)
        self.frames += 1
        raised = self._alert(update.faces)
        self._record(update.ended)
        if self.checkpoint_every_s and self.clock() >= self._next_checkpoint:
            self.checkpoint()
        return FrameResult(update.faces, self.tracker.counts(), update.ended, raised)

    def person_key(self, person: PersonSighting) -> str:
        return f"{self.key}-{person.track_id}"

    def checkpoint(self) -> list[PersonSighting]:
        """Save the people in view now (replacing the last checkpoint); returns them. Nothing is written while
        nobody is in view and no checkpoint holds anybody."""
        people = self.tracker.open_people()
        self._next_checkpoint = self.clock() + (self.checkpoint_every_s or 0)
        if people or self._checkpointed:
            if self._checkpoint_recorder is None:
                raise ValueError("checkpoints need a recorder that keeps them (store.recording)")
            stale_s = max(STALE_CHECKPOINTS * (self.checkpoint_every_s or 0), MIN_STALE_S)
            in_view = {self.person_key(p): p for p in people}
            self._checkpoint_recorder.checkpoint(self.key, self.source, in_view, stale_s)
            self._checkpointed = {p.track_id for p in people}
            self.checkpoints += 1
        return people

    def counts(self) -> dict[str, int]:
        return self.tracker.counts()

    def close(self) -> list[PersonSighting]:
        """The stream ended (a client left, a camera dropped, the video's last frame): every person still in
        view ends and is recorded. The session can go on afterwards (a camera that reconnects)."""
        people = self.tracker.close_all()
        self._record(people)
        if self.checkpoint_every_s:
            assert self._checkpoint_recorder is not None  # __init__ saw to it
            self._checkpoint_recorder.end_checkpoints(self.key)
            self._checkpointed.clear()
        return people

    def _alert(self, faces: list[TrackedFace]) -> list[dict]:
        if self.alerts is None:
            return []
        now, raised = self.clock(), []
        for face in faces:
            if self.alerts.should_alert(
                face.track_id,
                face.person_verdict,
                face.frames_seen,
                face.detection.box,
                now,
                new_person=face.after_split,
            ):
                alert = {**face.to_dict(), **self.alert_extra, "message": ALERT_MESSAGES[face.person_verdict]}
                self.publisher.publish("alert", alert)
                raised.append(alert)
        return raised

    def _record(self, people: list[PersonSighting]) -> None:
        if not people or self.recorder is None:
            return
        if self.checkpoint_every_s:  # a checkpoint may have been written for them: under its key, once
            keys = [self.person_key(p) if p.track_id in self._checkpointed else None for p in people]
            self._checkpointed.difference_update(p.track_id for p in people)
            recorded = self.recorder.record(self.source, people, keys)
        else:
            recorded = self.recorder.record(self.source, people)
        self.written += recorded.written
        self.waiting += recorded.waiting
        if self.source.source_id is None and recorded.source_id is not None:
            self.source = replace(self.source, source_id=recorded.source_id)
