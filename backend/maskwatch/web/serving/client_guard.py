"""WSGI middleware in front of the whole app (Socket.IO included): at most `max_per_client` requests in progress
per client address, answered 429 beyond that without reading their bodies; a request body that stops arriving
for the socket's read timeout (serving.sockets) is answered 408; a websocket gets a longer idle time, since
Engine.IO pings it only every ping_interval seconds.

Example: app.wsgi_app = ClientGuard(app.wsgi_app, max_per_client=16, websocket_idle_s=90, proxy_count=0)
"""

from __future__ import annotations

import json
import ssl
import threading
from collections import Counter

from werkzeug.exceptions import RequestTimeout

from .sockets import SOCKET_TIMEOUTS, set_socket_timeouts


def client_address(environ: dict, proxy_count: int) -> str:
    """The client's address: REMOTE_ADDR, or with proxy_count trusted proxies in front the address they saw
    (X-Forwarded-For counted from the right, as werkzeug's ProxyFix does)."""
    if proxy_count:
        forwarded = [a.strip() for a in environ.get("HTTP_X_FORWARDED_FOR", "").split(",") if a.strip()]
        if len(forwarded) >= proxy_count:
            return forwarded[-proxy_count]
    return environ.get("REMOTE_ADDR", "")


def is_websocket(environ: dict) -> bool:
    return environ.get("HTTP_UPGRADE", "").lower() == "websocket"


class TimedInput:
    """wsgi.input whose reads that run into the socket's timeout raise 408 Request Timeout (werkzeug would take
    the OSError for a disconnect and answer 400)."""

    def __init__(self, stream):
        self._stream = stream

    def _call(self, method, *args):
        try:
            return method(*args)
        except SOCKET_TIMEOUTS as exc:
            raise RequestTimeout("the request body stopped arriving; the connection is closed") from exc

    def read(self, *args):
        return self._call(self._stream.read, *args)

    def readline(self, *args):
        return self._call(self._stream.readline, *args)

    def readlines(self, *args):
        return self._call(self._stream.readlines, *args)

    def __iter__(self):
        return self

    def __next__(self):
        line = self.readline()
        if not line:
            raise StopIteration
        return line


class ClientGuard:
    """See the module docstring. Args: app (WSGI), max_per_client (0: no limit), websocket_idle_s (kernel
    timeouts of a websocket's socket), proxy_count (trusted X-Forwarded-For hops)."""

    def __init__(self, app, max_per_client: int, websocket_idle_s: float, proxy_count: int = 0):
        self.app = app
        self.max_per_client = max_per_client
        self.websocket_idle_s = websocket_idle_s
        self.proxy_count = proxy_count
        self._in_flight: Counter = Counter()
        self._lock = threading.Lock()

    def _enter(self, address: str) -> bool:
        with self._lock:
            if self.max_per_client and self._in_flight[address] >= self.max_per_client:
                return False
            self._in_flight[address] += 1
            return True

    def _leave(self, address: str) -> None:
        with self._lock:
            self._in_flight[address] -= 1
            if self._in_flight[address] <= 0:
                del self._in_flight[address]

    def __call__(self, environ, start_response):
        address = client_address(environ, self.proxy_count)
        if not self._enter(address):
            return self._refuse(environ, start_response)
        try:
            sock = environ.get("gunicorn.socket")
            if sock is not None and is_websocket(environ):
                set_socket_timeouts(sock, self.websocket_idle_s)
                if isinstance(sock, ssl.SSLSocket):  # its timeout is Python's (serving.worker.ServedConnection)
                    sock.settimeout(self.websocket_idle_s)
            if environ.get("wsgi.input") is not None:
                environ["wsgi.input"] = TimedInput(environ["wsgi.input"])
            # A websocket's whole life is inside this call (simple-websocket under gunicorn), so it counts too.
            return self.app(environ, start_response)
        finally:
            self._leave(address)

    def _refuse(self, environ, start_response):
        body = environ.get("wsgi.input")
        if body is not None and hasattr(body, "failed"):
            body.failed = True  # gunicorn then closes the connection instead of reading the body to its end
        payload = json.dumps(
            {
                "error": "too_many_requests",
                "message": f"more than {self.max_per_client} requests at once from this address; "
                "try again when one has ended",
            }
        ).encode()
        start_response(
            "429 Too Many Requests",
            [
                ("Content-Type", "application/json"),
                ("Retry-After", "1"),
                ("Content-Length", str(len(payload))),
                ("Cache-Control", "no-store"),
            ],
        )
        return [payload]
