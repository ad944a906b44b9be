"""The camera worker: one code path, run by a thread in the web process or by a Celery worker.

It claims the camera in the database (one reader per camera, even with many workers), reads the stream,
detects at the camera's rate, tracks, writes one sighting per person when a track ends, and pushes
each processed frame ('camera' event) and alerts ('alert') to the Socket.IO room of that camera on
/live. When the stream drops it reconnects with exponential backoff, reporting 'retrying' and the
reason; after CAMERA_MAX_RETRIES failed attempts in a row it reports 'failed' and lets go. It stops
when an operator stops the camera (camera_enabled off), the source is deleted, or `should_stop()`.
"""

from __future__ import annotations

import logging
import math
import os
import socket
import time
import uuid
from dataclasses import dataclass
from typing import Callable

import cv2
from flask import current_app
from sqlalchemy.exc import SQLAlchemyError

from ..alerts import ALERT_MESSAGES, AlertPolicy
from ..detector_service import get_detector
from ..extensions import socketio
from ..media.camera import CameraError, CameraStream
from ..media.urls import mask_text
from ..store import queries, utcnow
from ..store.recording import get_recorder, record_sightings
from ..store.spool import SourceRef
from ..tracking import FaceTracker

log = logging.getLogger(__name__)
LIVE_NAMESPACE = "/live"
HEARTBEAT_S = 1.0


def camera_room(source_id: int) -> str:
    """The Socket.IO room (on /live) of the browsers watching this camera."""
    return f"camera:{source_id}"


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass
class CameraSettings:
    """From app.config: CAMERA_DETECT_FPS (default rate), CAMERA_MAX_RETRIES, CAMERA_BACKOFF_S (first delay),
    CAMERA_BACKOFF_MAX_S, CAMERA_STALE_S (heartbeat age after which another worker may take over),
    CAMERA_SEND_FRAMES (JPEG of each processed frame in the 'camera' event), ALERT_COOLDOWN_S."""

    detect_fps: float
    max_retries: int
    backoff_s: float
    backoff_max_s: float
    stale_s: float
    send_frames: bool
    alert_cooldown_s: float

    @classmethod
    def from_config(cls, config) -> "CameraSettings":
        return cls(float(config["CAMERA_DETECT_FPS"]), int(config["CAMERA_MAX_RETRIES"]), float(config["CAMERA_BACKOFF_S"]),
                   float(config["CAMERA_BACKOFF_MAX_S"]), float(config["CAMERA_STALE_S"]),
                   bool(config["CAMERA_SEND_FRAMES"]), float(config["ALERT_COOLDOWN_S"]))

    def backoff(self, failures: int) -> float:
        """Seconds before attempt `failures` + 1: backoff_s * 2^(failures-1), capped at backoff_max_s."""
        return min(self.backoff_max_s, self.backoff_s * 2 ** max(0, failures - 1))


class StopCamera(Exception):
    """The camera was stopped, deleted or taken over."""


class CameraWorker:
    """Runs one camera until it stops or fails; call inside an app context.

    Args: source_id, should_stop (default never: the database says when to stop), owner (default
    host:pid:random), settings (default from current_app.config).
    Example: CameraWorker(3).run()  -> "stopped" | "failed" | "busy" (another worker holds it)
    """

    def __init__(self, source_id: int, should_stop: Callable[[], bool] = lambda: False, owner: str | None = None,
                 settings: CameraSettings | None = None):
        self.source_id = source_id
        self.should_stop = should_stop
        self.owner = owner or worker_name()
        self.settings = settings or CameraSettings.from_config(current_app.config)
        self.last_beat = 0.0
        self.frames_processed = 0

    def run(self) -> str:
        if not queries.claim_camera(self.source_id, self.owner, self.settings.stale_s):
            return "busy"
        get_recorder().keep_flushing()  # in a Celery worker, rows an earlier worker left are written from here too
        source = queries.get_source(self.source_id)
        url, rate = source.url, source.detect_fps or self.settings.detect_fps
        self.tracker = FaceTracker(max_missed=max(3, math.ceil(rate)))  # a person is lost after ~1 s without a face
        self.alerts = AlertPolicy(cooldown_s=self.settings.alert_cooldown_s)
        failures, final, reason = 0, "stopped", None
        try:
            while True:
                self._beat(force=True)
                try:
                    with CameraStream(url) as stream:
                        failures = 0
                        self._report("connected")
                        self._read(stream, 1.0 / rate)
                except CameraError as exc:
                    failures += 1
                    reason = mask_text(str(exc), url)
                    self._record(self.tracker.close_all())  # a dropped stream ends every track
                    if failures > self.settings.max_retries:
                        final, reason = "failed", f"{reason} (gave up after {failures} attempts)"
                        return final
                    delay = self.settings.backoff(failures)
                    self._report("retrying", f"{reason}; attempt {failures + 1} in {delay:.1f} s")
                    self._sleep(delay)
        except StopCamera:
            return final
        finally:
            self._record(self.tracker.close_all())
            try:
                queries.release_camera(self.source_id, self.owner, final, reason if final == "failed" else None)
            except SQLAlchemyError:
                log.exception("camera %s: could not record its final state", self.source_id)
            self._emit("camera_state", {"camera_id": self.source_id, "state": final,
                                        "error": reason if final == "failed" else None})

    def _read(self, stream: CameraStream, interval: float) -> None:
        detector, last = get_detector(), -math.inf
        for _, rgb in stream.frames():
            self._beat()
            now = time.monotonic()
            if now - last < interval:
                continue
            last = now
            started = time.perf_counter()
            detections = detector.detect(rgb)
            update = self.tracker.update(detections, utcnow())
            self.frames_processed += 1
            payload = {"camera_id": self.source_id, "faces": [f.to_dict() for f in update.faces],
                       "counts": self.tracker.counts(), "width": int(rgb.shape[1]), "height": int(rgb.shape[0]),
                       "ms": round((time.perf_counter() - started) * 1000, 1)}
            if self.settings.send_frames:
                payload["image"] = cv2.imencode(".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 70])[1].tobytes()
            self._emit("camera", payload)
            for face in update.faces:
                if self.alerts.should_alert(face.track_id, face.person_verdict, face.frames_seen, face.detection.box, now,
                                              new_person=face.after_split):
                    self._emit("alert", {**face.to_dict(), "camera_id": self.source_id, "message": ALERT_MESSAGES[face.verdict]})
            self._record(update.ended)

    def _beat(self, force: bool = False) -> None:
        """Heartbeat at most every HEARTBEAT_S; StopCamera when the camera is no longer ours to run."""
        if self.should_stop():
            raise StopCamera()
        if force or time.monotonic() - self.last_beat >= HEARTBEAT_S:
            self.last_beat = time.monotonic()
            try:
                held = queries.camera_heartbeat(self.source_id, self.owner)
            except SQLAlchemyError as exc:  # the database is down: go on reading, try again next beat
                log.warning("camera %s: heartbeat failed: %s", self.source_id, exc)
                return
            if not held:
                raise StopCamera()

    def _sleep(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self._beat()
            time.sleep(min(0.2, max(0.0, deadline - time.monotonic())))

    def _report(self, state: str, error: str | None = None) -> None:
        try:
            if not queries.camera_heartbeat(self.source_id, self.owner, state, error):
                raise StopCamera()
        except SQLAlchemyError as exc:
            log.warning("camera %s: could not record state %s: %s", self.source_id, state, exc)
        self._emit("camera_state", {"camera_id": self.source_id, "state": state, "error": error})

    def _emit(self, event: str, payload: dict) -> None:
        socketio.emit(event, payload, namespace=LIVE_NAMESPACE, to=camera_room(self.source_id))

    def _record(self, people) -> None:
        """Write ended people; while the database is down they wait in the durable spool (store.recording)."""
        record_sightings(SourceRef(self.source_id), people)


def run_camera(source_id: int, should_stop: Callable[[], bool] = lambda: False) -> str:
    """Run a camera inside an app context until it stops; returns stopped, failed or busy."""
    return CameraWorker(source_id, should_stop).run()
