"""Socket.IO namespace /live: the browser sends JPEG frames, the server answers each with the faces
and running counts (as the event's acknowledgement, so the client sends the next frame only then),
emits 'alert' events, and writes a sighting per person when a track ends or the client leaves.

Client protocol:
    connect(auth={"name": "Front door"} or {"source_id": 3})   # default: the webcam source "webcam"
    emit("frame", jpeg_bytes | {"image": jpeg_bytes}, ack) -> ack({"faces": [...], "counts": {...}, "ms": t})
                                                              or ack({"error": code, "message": text})
    on("alert", {"track_id", "verdict", "score", "box", "message"})

Watching an IP camera (its worker, in this process or a Celery worker, pushes to the camera's room):
    emit("watch", {"camera_id": 3}, ack) -> ack({"camera_id": 3, "camera": {"state", "error", ...}})
                                            or ack({"error": "not_found", "message": text})
    emit("unwatch", {"camera_id": 3})
    on("camera", {"camera_id", "faces": [...], "counts": {...}, "width", "height", "ms", "image": jpeg})
    on("camera_state", {"camera_id", "state", "error"}); on("alert", {..., "camera_id"})
"""

from __future__ import annotations

import base64
import logging
import threading
import time
from dataclasses import dataclass, field

from flask import current_app, request
from flask_socketio import Namespace, emit, join_room, leave_room
from sqlalchemy.exc import SQLAlchemyError

from .alerts import AlertPolicy
from .detector_service import get_detector
from .extensions import socketio
from .jobs.camera import camera_room
from .media import MediaError, decode_image
from .store import queries, utcnow
from .tracking import FaceTracker

log = logging.getLogger(__name__)
LIVE_NAMESPACE = "/live"
#: Faces lost for this many processed frames end their track (about 1 s at 10 fps).
LIVE_MAX_MISSED = 10
#: People kept per client while the database is unreachable; the oldest go first beyond this.
MAX_PENDING_SIGHTINGS = 1000
ALERT_MESSAGES = {"no_mask": "Please wear a mask.", "incorrect": "Please wear your mask over your nose and mouth."}


@dataclass
class LiveClient:
    source_id: int
    tracker: FaceTracker
    alerts: AlertPolicy
    frames: int = 0
    pending: list = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def frame_bytes(data) -> bytes:
    """JPEG bytes from a frame message: raw bytes, {"image": bytes}, or a base64 data URL string."""
    if isinstance(data, dict):
        data = data.get("image")
    if isinstance(data, str):
        try:
            data = base64.b64decode(data.split(",", 1)[-1], validate=True)
        except ValueError as exc:
            raise MediaError("corrupt", "the frame is not valid base64") from exc
    if not isinstance(data, (bytes, bytearray)):
        raise MediaError("empty", "send the frame as JPEG bytes")
    return bytes(data)


def client_source(auth) -> int:
    auth = auth if isinstance(auth, dict) else {}
    if auth.get("source_id") is not None:
        source = queries.get_source(int(auth["source_id"]))
        if source is not None:
            return source.id
    return queries.source_named("webcam", str(auth.get("name") or "webcam")[:120]).id


def _camera_id(data) -> int:
    try:
        return int(data.get("camera_id") if isinstance(data, dict) else data)
    except (TypeError, ValueError):
        return 0


class LiveNamespace(Namespace):
    """One LiveClient per Socket.IO session id."""

    def __init__(self, namespace: str = LIVE_NAMESPACE):
        super().__init__(namespace)
        self.clients: dict[str, LiveClient] = {}

    def on_connect(self, auth=None):
        self.clients[request.sid] = LiveClient(
            client_source(auth), FaceTracker(max_missed=LIVE_MAX_MISSED),
            AlertPolicy(cooldown_s=current_app.config["ALERT_COOLDOWN_S"]))
        emit("ready", {"source_id": self.clients[request.sid].source_id})

    def on_frame(self, data):
        client = self.clients.get(request.sid)
        if client is None:
            return {"error": "not_connected", "message": "connect to /live first"}
        try:
            max_bytes = current_app.config["MAX_UPLOAD_MB"] * 2**20
            rgb = decode_image(frame_bytes(data), max_bytes=max_bytes)
        except MediaError as exc:
            return {"error": exc.code, "message": exc.message}
        started = time.perf_counter()
        detections = get_detector().detect(rgb)
        with client.lock:
            update = client.tracker.update(detections, utcnow())
            client.frames += 1
            now = time.monotonic()
            for face in update.faces:
                if client.alerts.should_alert(face.track_id, face.verdict, face.frames_seen, face.detection.box, now):
                    emit("alert", {**face.to_dict(), "message": ALERT_MESSAGES[face.verdict]})
            self._record(client, update.ended)
            counts = client.tracker.counts()
        return {"faces": [f.to_dict() for f in update.faces], "counts": counts,
                "ms": round((time.perf_counter() - started) * 1000, 1)}

    def on_watch(self, data):
        """Join the room of a camera (a source of kind camera); several cameras may be watched at once."""
        source = queries.get_source(_camera_id(data))
        if source is None or source.kind != "camera":
            return {"error": "not_found", "message": "no such camera"}
        join_room(camera_room(source.id))
        return {"camera_id": source.id, "camera": source.camera_status()}

    def on_unwatch(self, data):
        leave_room(camera_room(_camera_id(data)))
        return {"camera_id": _camera_id(data)}

    def on_disconnect(self, *reason):
        client = self.clients.pop(request.sid, None)
        if client is not None:
            with client.lock:
                self._record(client, client.tracker.close_all())

    @staticmethod
    def _record(client: LiveClient, people) -> None:
        """Write ended people; while the database is down keep them (bounded) and retry next time."""
        client.pending.extend(people)
        del client.pending[:-MAX_PENDING_SIGHTINGS]
        if not client.pending:
            return
        try:
            queries.add_sightings(client.source_id, client.pending)
            client.pending.clear()
        except SQLAlchemyError as exc:
            log.warning("live: %d sightings wait for the database: %s", len(client.pending), exc)


live_namespace = LiveNamespace()


def init_app(app) -> None:
    """Register /live on the socketio extension once; later apps get it from socketio.init_app."""
    if live_namespace not in socketio.namespace_handlers:
        socketio.on_namespace(live_namespace)
