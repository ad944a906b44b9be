"""Closing a client connection the RFC 9112 (9.6) way without making anybody wait: half-close (the client sees
the end of the answer at once), then read and drop what it still sends, for at most `linger_s`, before the full
close, so the kernel does not answer unread bytes with a reset that would cut the last answer short.

gunicorn's gthread worker does that linger on its main loop, one connection after the other: 32 clients that
keep their end open after a 408 would stop it accepting anybody for a minute. One thread here lingers on all
of them at once.

Example: closer = LingeringCloser(); closer.close(sock)
"""

from __future__ import annotations

import os
import queue
import selectors
import socket
import threading
import time


class LingeringCloser:
    """Args: linger_s (longest wait for the client to close, default 2), max_drain (bytes read at most, 64 KiB)."""

    def __init__(self, linger_s: float = 2.0, max_drain: int = 65536):
        self.linger_s = linger_s
        self.max_drain = max_drain
        self._incoming: queue.SimpleQueue = queue.SimpleQueue()
        self._wake_read, self._wake_write = os.pipe()
        os.set_blocking(self._wake_read, False)
        os.set_blocking(self._wake_write, False)
        self._selector = selectors.DefaultSelector()
        self._selector.register(self._wake_read, selectors.EVENT_READ)
        self._lingering: dict[socket.socket, list] = {}  # socket -> [deadline, bytes drained]
        threading.Thread(target=self._run, name="lingering-close", daemon=True).start()

    def close(self, sock: socket.socket) -> None:
        try:
            sock.shutdown(socket.SHUT_WR)
            sock.setblocking(False)
        except OSError:
            sock.close()
            return
        self._incoming.put(sock)
        try:
            os.write(self._wake_write, b"\0")
        except BlockingIOError:  # the thread has wake-ups enough waiting
            pass

    def _run(self) -> None:
        while True:
            now = time.monotonic()
            timeout = min((d for d, _ in self._lingering.values()), default=now + 60) - now
            for key, _ in self._selector.select(max(0.0, timeout)):
                if key.fileobj == self._wake_read:
                    self._take_incoming()
                else:
                    self._drain(key.fileobj)
            now = time.monotonic()
            for sock in [s for s, (deadline, _) in self._lingering.items() if deadline <= now]:
                self._finish(sock)

    def _take_incoming(self) -> None:
        try:
            os.read(self._wake_read, 4096)
        except BlockingIOError:
            pass
        while True:
            try:
                sock = self._incoming.get_nowait()
            except queue.Empty:
                return
            try:
                self._selector.register(sock, selectors.EVENT_READ)
            except (OSError, ValueError):
                sock.close()
                continue
            self._lingering[sock] = [time.monotonic() + self.linger_s, 0]

    def _drain(self, sock: socket.socket) -> None:
        try:
            data = sock.recv(4096)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        state = self._lingering[sock]
        state[1] += len(data)
        if not data or state[1] >= self.max_drain:
            self._finish(sock)

    def _finish(self, sock: socket.socket) -> None:
        self._lingering.pop(sock, None)
        try:
            self._selector.unregister(sock)
        except (KeyError, ValueError):
            pass
        sock.close()
