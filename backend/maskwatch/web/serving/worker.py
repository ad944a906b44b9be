"""gunicorn's gthread worker (a thread per request or websocket, the documented fit for Flask-SocketIO's
threading mode with simple-websocket) with serving.sockets' options on every connection it accepts, and tied to
its master: when the master dies the worker is killed too, as one server process would be."""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import os
import signal
import sys
import threading

from gunicorn import http
from gunicorn.sock import ssl_wrap_socket
from gunicorn.workers.gthread import TConn, ThreadWorker

from .lingering import LingeringCloser
from .sockets import tune_client_socket

PR_SET_PDEATHSIG = 1  # from linux/prctl.h


def die_with_parent(parent_pid: int) -> None:
    """Ask Linux to SIGKILL this process when its parent ends (elsewhere: nothing); exit if it already has."""
    if sys.platform.startswith("linux"):
        name = ctypes.util.find_library("c")
        if name:
            ctypes.CDLL(name, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent_pid:
        os._exit(1)


class ServedConnection(TConn):
    """A gthread connection whose graceful close lingers in the worker's LingeringCloser, off the main loop, and
    whose TLS socket has a Python timeout of timeout_s: the kernel timeouts of serving.sockets do not end a
    blocking TLS read or write (CPython retries it when the kernel gives up), a socket timeout does."""

    def __init__(self, closer: LingeringCloser, timeout_s: float, *args):
        super().__init__(*args)
        self.closer = closer
        self.timeout_s = timeout_s

    def init(self):
        if self.cfg.is_ssl and not self.initialized:
            # gunicorn's own first init wraps the socket and shakes hands without a timeout. HTTP/2 is not
            # offered (http_protocols stays h1), so the parser is HTTP/1.
            self.initialized = True
            self.sock.settimeout(self.timeout_s)
            self.sock = ssl_wrap_socket(self.sock, self.cfg)  # the TLS socket takes the timeout over
            if not self.cfg.do_handshake_on_connect:
                self.sock.do_handshake()
            self.parser = http.get_parser(self.cfg, self.sock, self.client)
        else:
            super().init()
        if self.cfg.is_ssl:
            self.sock.settimeout(self.timeout_s)  # gthread made it blocking again for this request

    def close(self, graceful=False):
        if graceful:
            self.closer.close(self.sock)
        else:
            super().close()


class ServingWorker(ThreadWorker):
    """ThreadWorker whose accepted sockets get TCP_NODELAY and the read timeout of the application
    (`read_timeout_s` of serving.server.GunicornServer), and whose graceful closes linger off its main loop."""

    def init_process(self):
        # A master killed with SIGKILL (a crash, or test_restart.py) must not leave this process running jobs.
        die_with_parent(self.ppid)
        self.closer = LingeringCloser()
        super().init_process()

    def handle_exit(self, sig, frame):
        if self.alive:  # a signal handler: the app's goodbyes (they write to the database) run in a thread
            threading.Thread(target=self.app.stopping, name="stopping", daemon=True).start()
        super().handle_exit(sig, frame)

    def accept(self, listener):
        try:
            client_sock, client_addr = listener.accept()
        except OSError as exc:
            if exc.errno not in (errno.EAGAIN, errno.ECONNABORTED, errno.EWOULDBLOCK):
                raise
            return
        self.nr_conns += 1
        tune_client_socket(client_sock, self.app.read_timeout_s)
        client_sock.setblocking(True)
        self.enqueue_req(
            ServedConnection(
                self.closer, self.app.read_timeout_s, self.cfg, client_sock, client_addr, listener.getsockname()
            )
        )
