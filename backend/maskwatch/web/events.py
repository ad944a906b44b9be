"""Socket.IO names and publishers: the one place that knows which namespace and room an event goes to.

- /live: live webcam clients (each answered on its own session) and the watchers of IP cameras (room
  camera:<id>);
- /jobs: video job progress (event "job").

The pipeline and the jobs get a `publishing.Publisher` from here and never import Socket.IO.
"""

from __future__ import annotations

from .extensions import socketio

LIVE_NAMESPACE = "/live"
JOBS_NAMESPACE = "/jobs"


def camera_room(source_id: int) -> str:
    """The room (on /live) of the browsers watching this camera."""
    return f"camera:{source_id}"


class SocketIOPublisher:
    """Emits each event on `namespace`, to one room or session id (`to`) or to every client of it.
    From a Celery worker the events reach the browsers through Redis (create_app's message_queue)."""

    def __init__(self, namespace: str, to: str | None = None):
        self.namespace = namespace
        self.to = to

    def publish(self, event: str, payload: dict) -> None:
        socketio.emit(event, payload, namespace=self.namespace, to=self.to)


class EventRoutes:
    """The publishers of this process, handed to job runners and camera workers by the composition root."""

    def live_client(self, sid: str) -> SocketIOPublisher:
        return SocketIOPublisher(LIVE_NAMESPACE, sid)

    def camera(self, source_id: int) -> SocketIOPublisher:
        return SocketIOPublisher(LIVE_NAMESPACE, camera_room(source_id))

    def jobs(self) -> SocketIOPublisher:
        return SocketIOPublisher(JOBS_NAMESPACE)


def accept_jobs_client(auth=None):
    """Job progress for the signed-in, or for anyone when uploads are public or access control is off."""
    from flask_socketio import ConnectionRefusedError

    from .auth.access import may_connect

    if not may_connect(auth, "UPLOADS_PUBLIC"):
        raise ConnectionRefusedError("login_required")
    return True


def init_app(app) -> None:
    """The /jobs namespace's connect check, on this app's Socket.IO server (a decorator at import time
    would reach only the first app's)."""
    socketio.on_event("connect", accept_jobs_client, namespace=JOBS_NAMESPACE)
