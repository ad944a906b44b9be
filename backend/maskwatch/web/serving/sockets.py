"""Options of an accepted client socket.

TCP_NODELAY: a server push answered by the client otherwise waits ~40 ms in Nagle's algorithm (44 ms per live
round trip measured on this project's machine, 1.5 ms with it), a third of the live camera's latency budget.

SO_RCVTIMEO / SO_SNDTIMEO: kernel timeouts on each receive and send. They are set on the file descriptor, so
they hold whatever Python or gunicorn do with the socket object afterwards (setblocking(True) resets a Python
timeout, not these), and for TLS too (the SSL socket reads the same descriptor): a client that stops sending
its request line, headers or body, or stops reading its answer, gets an error after `seconds` instead of
holding a thread for ever. Python raises BlockingIOError (or ssl.SSLWantReadError) for such a timeout.
"""

from __future__ import annotations

import socket
import ssl
import struct

#: What a read or write that ran into SO_RCVTIMEO/SO_SNDTIMEO raises.
SOCKET_TIMEOUTS = (BlockingIOError, TimeoutError, ssl.SSLWantReadError, ssl.SSLWantWriteError)


def _timeval(seconds: float) -> bytes:
    whole = int(seconds)
    return struct.pack("ll", whole, int((seconds - whole) * 1_000_000))


def set_socket_timeouts(sock: socket.socket, seconds: float) -> None:
    """Kernel receive and send timeouts of `seconds` (0: none) on sock."""
    value = _timeval(max(0.0, seconds))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, value)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, value)


def tune_client_socket(sock: socket.socket, timeout_s: float) -> None:
    """TCP_NODELAY (on TCP sockets) and the receive/send timeouts on a freshly accepted client socket."""
    if sock.family in (socket.AF_INET, socket.AF_INET6):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    set_socket_timeouts(sock, timeout_s)
