"""Socket.IO namespace /live: the browser sends JPEG frames, the server answers each with the faces
and running counts (as the event's acknowledgement, so the client sends the next frame only then),
emits 'alert' events, and writes a sighting per person when a track ends or the client leaves.

Client protocol:
    connect(auth={"name": "Front door"} or {"source_id": 3})   # default: the webcam source "webcam"
        # with access control on: the session cookie, or auth={"token": "mw_...", ...}; else refused
        # with "login_required" (unless LIVE_PUBLIC; watching cameras always needs a login then)
    emit("frame", jpeg_bytes | {"image": jpeg_bytes}, ack) -> ack({"faces": [...], "counts": {...}, "ms": t})
                                                              or ack({"error": code, "message": text})
        # code "busy" (with "retry_ms"): the frame was dropped, not queued: it came before the answer
        # to the previous one, or LIVE_MAX_WAITING_FRAMES frames of all clients were already waiting;
        # too_large / too_many_pixels: over LIVE_MAX_FRAME_MB / LIVE_MAX_PIXELS
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
import functools
import logging
import threading
from dataclasses import dataclass, field, replace

from flask import current_app, request
from flask_socketio import ConnectionRefusedError, Namespace, emit, join_room, leave_room

from ..alerts import AlertPolicy
from ..media import MediaError, decode_image
from ..monitor import StreamSession
from ..store import queries, utcnow
from ..store.errors import StoreError
from ..store.models import SOURCE_NAME_MAX
from ..store.serialization import CameraStatusSchema
from ..store.spool import SourceRef
from ..tracking import FaceTracker
from .api.schemas import MAX_ROW_ID
from .auth.access import auth_enabled, may_connect
from .events import LIVE_NAMESPACE, EventRoutes, camera_room
from .extensions import socketio
from .services import services_of

log = logging.getLogger(__name__)
#: Faces lost for this many processed frames end their track (about 1 s at 10 fps).
LIVE_MAX_MISSED = 10
#: Frames decoded or waiting for the detector, over all clients (app.extensions key of a semaphore).
FRAME_SLOTS_KEY = "maskwatch.live_frame_slots"
#: What a "busy" answer suggests the client waits before sending again.
BUSY_RETRY_MS = 100
#: Sources a /live client may name: a webcam (its frames are counted there) or a camera (to watch it).
LIVE_SOURCE_KINDS = ("webcam", "camera")


@dataclass
class LiveClient:
    session: StreamSession  # its source's id may be unknown until the database answers (store.recording resolves it)
    may_send_frames: bool = True  # False for an API token of scope "read": it may watch cameras only
    lock: threading.Lock = field(default_factory=threading.Lock)
    in_flight: threading.Lock = field(default_factory=threading.Lock)  # held while one of its frames is processed

    @property
    def source(self) -> SourceRef:
        return self.session.source

    @property
    def source_id(self) -> int | None:
        return self.session.source_id


def busy(message: str) -> dict:
    """The answer to a frame that is dropped, not queued: the client sends a newer one a little later."""
    return {"error": "busy", "message": message, "retry_ms": BUSY_RETRY_MS}


def live_buffer_bytes(config) -> int:
    """Socket.IO's largest message: a frame of LIVE_MAX_FRAME_MB, even sent as a base64 data URL."""
    return int(config["LIVE_MAX_FRAME_MB"] * 2**20 * 4 / 3) + 4096


def limit_socketio_messages(eio, max_bytes: int) -> None:
    """Engine.IO refuses messages over max_bytes, but in threading mode it passes no limit to
    simple-websocket, which would buffer a message of any size before that check: give it the limit,
    so an oversized message closes the connection (1009) as its first bytes over the limit arrive."""
    eio.max_http_buffer_size = max_bytes
    websocket = (getattr(eio, "_async", None) or {}).get("websocket")
    if getattr(websocket, "__name__", None) == "SimpleWebSocketWSGI":  # engineio's threading driver
        eio._async = {**eio._async, "websocket": functools.partial(websocket, max_message_size=max_bytes)}


def frame_bytes(data, max_bytes: int | None = None) -> bytes:
    """JPEG bytes from a frame message: raw bytes, {"image": bytes}, or a base64 data URL string.

    MediaError empty (no bytes), corrupt (bad base64) or too_large (over max_bytes, default no limit).
    Example: frame_bytes({"image": "data:image/jpeg;base64,/9j/..."}) == b"\xff\xd8\xff..."
    """
    if isinstance(data, dict):
        data = data.get("image")
    if isinstance(data, str):
        if max_bytes is not None and len(data) > max_bytes * 4 // 3 + 100:  # measured before decoding it
            raise MediaError("too_large", f"the frame is over the {max_bytes / 2**20:.1f} MB limit")
        try:
            data = base64.b64decode(data.split(",", 1)[-1], validate=True)
        except ValueError as exc:
            raise MediaError("corrupt", "the frame is not valid base64") from exc
    if not isinstance(data, (bytes, bytearray)):
        raise MediaError("empty", "send the frame as JPEG bytes")
    if max_bytes is not None and len(data) > max_bytes:
        raise MediaError(
            "too_large", f"the frame is {len(data) / 2**20:.1f} MB, over the {max_bytes / 2**20:.1f} MB limit"
        )
    return bytes(data)


def _source_id(value) -> int | None:
    """A JSON integer 1 .. MAX_ROW_ID (not a bool, a float nor a string), else the connection is refused."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_ROW_ID:
        raise ConnectionRefusedError("invalid_source_id")
    return value


def _source_name(value) -> str:
    if value is None or value == "":
        return "webcam"
    if not isinstance(value, str) or len(value) > SOURCE_NAME_MAX:
        raise ConnectionRefusedError("invalid_name")  # never cut silently: the person would not find it
    return value


def client_source(auth) -> SourceRef:
    """auth's source_id, which must be a webcam (frames are counted under it) or a camera (watched: its
    frames come from its worker), else the connection is refused (invalid_source_id, unknown_source,
    wrong_source_kind); without one, the webcam source named auth's name (default "webcam", at most
    SOURCE_NAME_MAX characters, else invalid_name), created when missing. While the database is
    unreachable the client still connects: its source is kept by id, kind and name, and resolved when its
    sightings are written."""
    auth = auth if isinstance(auth, dict) else {}
    wanted = _source_id(auth.get("source_id"))
    source = SourceRef(wanted, "webcam", _source_name(auth.get("name")))
    try:
        if wanted is None:
            return replace(source, source_id=queries.resolve_source(source))
        found = queries.get_source(wanted)
    except StoreError as exc:
        log.warning("live: the database is unreachable, the client's source is resolved later: %s", exc)
        return source
    if found is None:
        raise ConnectionRefusedError("unknown_source")
    if found.kind not in LIVE_SOURCE_KINDS:
        raise ConnectionRefusedError("wrong_source_kind")
    return SourceRef(found.id, found.kind, found.name)


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
        self.may_watch: set[str] = set()  # signed in (or access control off): may watch IP cameras

    def on_connect(self, auth=None):
        allowed = may_connect(auth, "LIVE_PUBLIC")
        if not allowed:
            raise ConnectionRefusedError("login_required")
        if allowed is True and auth_enabled():
            self.may_watch.discard(request.sid)  # a public webcam client: frames yes, server cameras no
        else:
            self.may_watch.add(request.sid)
        session = StreamSession(
            services_of().detector,
            FaceTracker(max_missed=LIVE_MAX_MISSED),
            client_source(auth),
            recorder=services_of().recorder,
            alerts=AlertPolicy(cooldown_s=current_app.config["ALERT_COOLDOWN_S"]),
            publisher=EventRoutes().live_client(request.sid),
            checkpoint_every_s=current_app.config["CHECKPOINT_S"],
        )
        self.clients[request.sid] = LiveClient(session, may_send_frames=allowed is True or allowed.may_send_frames())
        emit("ready", {"source_id": self.clients[request.sid].source_id})  # None while the database is away

    def on_frame(self, data=None, *_):  # a client's emit("frame", None) or ("frame") carries no argument at all
        """Each event runs on its own thread (async handlers): a frame that comes while the client's previous
        one is in flight, or while LIVE_MAX_WAITING_FRAMES frames are, is answered "busy" at once instead of
        waiting for the detector, so a flood costs microseconds per frame and never piles threads up."""
        client = self.clients.get(request.sid)
        if client is None:
            return {"error": "not_connected", "message": "connect to /live first"}
        if not client.in_flight.acquire(blocking=False):
            return busy("the previous frame is still being processed: send the next one after its answer")
        try:
            slots = current_app.extensions[FRAME_SLOTS_KEY]
            if not slots.acquire(blocking=False):
                return busy("the server is busy with other cameras: this frame was dropped")
            try:
                return self._detect_frame(client, data)
            finally:
                slots.release()
        finally:
            client.in_flight.release()

    def _detect_frame(self, client: LiveClient, data) -> dict:
        config = current_app.config
        if not client.may_send_frames:
            return {
                "error": "insufficient_scope",
                "message": "this API token may only read: make one of scope upload to send frames",
            }
        if client.source.kind == "camera":
            return {
                "error": "wrong_source_kind",
                "message": "this connection watches a camera, whose frames come from its worker: connect with a "
                "webcam source to send frames",
            }
        try:
            max_bytes = int(config["LIVE_MAX_FRAME_MB"] * 2**20)
            rgb = decode_image(frame_bytes(data, max_bytes), max_bytes=max_bytes, max_pixels=config["LIVE_MAX_PIXELS"])
        except MediaError as exc:
            return {"error": exc.code, "message": exc.message}
        with client.lock:
            result = client.session.process(rgb, utcnow())
        return {"faces": result.faces_dict(), "counts": result.counts, "ms": result.ms}

    def on_watch(self, data=None, *_):
        """Join the room of a camera (a source of kind camera); several cameras may be watched at once."""
        if request.sid not in self.may_watch:
            return {"error": "login_required", "message": "sign in to watch the cameras"}
        source = queries.get_source(_camera_id(data))
        if source is None or source.kind != "camera":
            return {"error": "not_found", "message": "no such camera"}
        join_room(camera_room(source.id))
        return {"camera_id": source.id, "camera": CameraStatusSchema().dump(source)}

    def on_unwatch(self, data=None, *_):
        leave_room(camera_room(_camera_id(data)))
        return {"camera_id": _camera_id(data)}

    def on_disconnect(self, *reason):
        self.may_watch.discard(request.sid)
        client = self.clients.pop(request.sid, None)
        if client is not None:
            with client.lock:
                client.session.close()  # its people are written, or wait in the durable spool (store.recording)


live_namespace = LiveNamespace()


def init_app(app) -> None:
    """Register /live on the socketio extension once (later apps get it from socketio.init_app); size the
    Socket.IO messages and the frames waiting for the detector from app.config (LIVE_MAX_*)."""
    limit_socketio_messages(socketio.server.eio, live_buffer_bytes(app.config))
    app.extensions[FRAME_SLOTS_KEY] = threading.BoundedSemaphore(max(1, app.config["LIVE_MAX_WAITING_FRAMES"]))
    if live_namespace not in socketio.namespace_handlers:
        socketio.on_namespace(live_namespace)
