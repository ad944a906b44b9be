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
from collections.abc import Callable
from dataclasses import dataclass

import cv2

from ..alerts import AlertPolicy
from ..media.camera import CameraError, CameraStream
from ..media.urls import mask_text
from ..monitor import StreamSession
from ..publishing import Publisher
from ..services import Services
from ..store import queries, utcnow
from ..store.errors import StoreError
from ..store.spool import SourceRef
from ..tracking import FaceTracker

log = logging.getLogger(__name__)
HEARTBEAT_S = 1.0


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass
class CameraSettings:
    """From app.config: CAMERA_DETECT_FPS (default rate), CAMERA_MAX_RETRIES, CAMERA_BACKOFF_S (first delay),
    CAMERA_BACKOFF_MAX_S, CAMERA_STALE_S (heartbeat age after which another worker may take over),
    CAMERA_SEND_FRAMES (JPEG of each processed frame in the 'camera' event), ALERT_COOLDOWN_S, CHECKPOINT_S
    (how often the people in view are saved to the spool, 0: never)."""

    detect_fps: float
    max_retries: int
    backoff_s: float
    backoff_max_s: float
    stale_s: float
    send_frames: bool
    alert_cooldown_s: float
    checkpoint_s: float = 0.0

    @classmethod
    def from_config(cls, config) -> CameraSettings:
        return cls(
            float(config["CAMERA_DETECT_FPS"]),
            int(config["CAMERA_MAX_RETRIES"]),
            float(config["CAMERA_BACKOFF_S"]),
            float(config["CAMERA_BACKOFF_MAX_S"]),
            float(config["CAMERA_STALE_S"]),
            bool(config["CAMERA_SEND_FRAMES"]),
            float(config["ALERT_COOLDOWN_S"]),
            float(config["CHECKPOINT_S"]),
        )

    def backoff(self, failures: int) -> float:
        """Seconds before attempt `failures` + 1: backoff_s * 2^(failures-1), capped at backoff_max_s."""
        return min(self.backoff_max_s, self.backoff_s * 2 ** max(0, failures - 1))


class StopCamera(Exception):
    """The camera was stopped, deleted or taken over."""


class CameraWorker:
    """Runs one camera until it stops or fails; call inside services.store_scope().

    Args: services (the process's detector, recorder and settings), source_id, publisher (where the camera's
    frames, states and alerts go: the browsers watching it), should_stop (default never: the database says when
    to stop), owner (default host:pid:random), settings (default from services.settings).
    Example: CameraWorker(services, 3, publisher).run()  -> "stopped" | "failed" | "busy" (another worker holds it)
    """

    def __init__(
        self,
        services: Services,
        source_id: int,
        publisher: Publisher,
        should_stop: Callable[[], bool] = lambda: False,
        owner: str | None = None,
        settings: CameraSettings | None = None,
    ):
        self.services = services
        self.source_id = source_id
        self.publisher = publisher
        self.should_stop = should_stop
        self.owner = owner or worker_name()
        self.settings = settings or CameraSettings.from_config(services.settings)
        self.last_beat = 0.0
        self.frames_processed = 0

    def run(self) -> str:
        if not queries.claim_camera(self.source_id, self.owner, self.settings.stale_s):
            return "busy"
        recorder = self.services.recorder
        recorder.keep_flushing()  # in a Celery worker, rows an earlier worker left are written from here too
        source = queries.get_source(self.source_id)
        url, rate = source.url, source.detect_fps or self.settings.detect_fps
        self.session = StreamSession(
            self.services.detector,
            FaceTracker(max_missed=max(3, math.ceil(rate))),  # lost after ~1 s
            SourceRef(self.source_id),
            recorder=recorder,
            alerts=AlertPolicy(cooldown_s=self.settings.alert_cooldown_s),
            publisher=self.publisher,
            alert_extra={"camera_id": self.source_id},
            checkpoint_every_s=self.settings.checkpoint_s,
        )
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
                    self.session.close()  # a dropped stream ends every track
                    if failures > self.settings.max_retries:
                        final, reason = "failed", f"{reason} (gave up after {failures} attempts)"
                        return final
                    delay = self.settings.backoff(failures)
                    self._report("retrying", f"{reason}; attempt {failures + 1} in {delay:.1f} s")
                    self._sleep(delay)
        except StopCamera:
            return final
        finally:
            self.session.close()
            try:
                queries.release_camera(self.source_id, self.owner, final, reason if final == "failed" else None)
            except StoreError:
                log.exception("camera %s: could not record its final state", self.source_id)
            self._emit(
                "camera_state",
                {"camera_id": self.source_id, "state": final, "error": reason if final == "failed" else None},
            )

    def _read(self, stream: CameraStream, interval: float) -> None:
        last = -math.inf
        for _, rgb in stream.frames():
            self._beat()
            now = time.monotonic()
            if now - last < interval:
                continue
            last = now
            result = self.session.process(rgb, utcnow())  # publishes its alerts, records who left
            self.frames_processed += 1
            payload = {
                "camera_id": self.source_id,
                "faces": result.faces_dict(),
                "counts": result.counts,
                "width": int(rgb.shape[1]),
                "height": int(rgb.shape[0]),
                "ms": result.ms,
            }
            if self.settings.send_frames:
                payload["image"] = cv2.imencode(
                    ".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 70]
                )[1].tobytes()
            self._emit("camera", payload)

    def _beat(self, force: bool = False) -> None:
        """Heartbeat at most every HEARTBEAT_S; StopCamera when the camera is no longer ours to run."""
        if self.should_stop():
            raise StopCamera()
        if force or time.monotonic() - self.last_beat >= HEARTBEAT_S:
            self.last_beat = time.monotonic()
            try:
                held = queries.camera_heartbeat(self.source_id, self.owner)
            except StoreError as exc:  # the database is down: go on reading, try again next beat
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
        except StoreError as exc:
            log.warning("camera %s: could not record state %s: %s", self.source_id, state, exc)
        self._emit("camera_state", {"camera_id": self.source_id, "state": state, "error": error})

    def _emit(self, event: str, payload: dict) -> None:
        self.publisher.publish(event, payload)


def run_camera(
    services: Services, source_id: int, publisher: Publisher, should_stop: Callable[[], bool] = lambda: False
) -> str:
    """Run a camera (inside services.store_scope()) until it stops; returns stopped, failed or busy."""
    return CameraWorker(services, source_id, publisher, should_stop).run()
