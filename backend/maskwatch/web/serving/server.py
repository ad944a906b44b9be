"""The gunicorn application behind `maskwatch serve`: one gthread worker (serving.worker) whose Flask app is
built in the worker process, after the fork, so its threads (spool flusher, job pool, cameras, retention)
and the detector's thread pools live where the requests are served.

Example: GunicornServer(build_app, server_options(config, "0.0.0.0", 5000), config["WEB_READ_TIMEOUT_S"]).run()
"""

from __future__ import annotations

import math
from collections.abc import Callable

from gunicorn.app.base import BaseApplication

#: Seconds the master lets a worker go without a heartbeat before it restarts it. The gthread loop beats every
#: second once serving; building the app (migrations, the detector) beats not at all, and takes a while on a
#: busy machine.
WORKER_BOOT_TIMEOUT_S = 300


def server_options(config, host: str, port: int, certfile: str | None = None, keyfile: str | None = None) -> dict:
    """gunicorn settings from the app's settings (WEB_* in maskwatch.config)."""
    bind = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    options = {
        "bind": [bind],
        "workers": 1,  # Socket.IO's clients and rooms live in one process (without a message queue)
        "worker_class": "maskwatch.web.serving.worker.ServingWorker",
        "threads": config["WEB_THREADS"],
        "keepalive": math.ceil(config["WEB_KEEPALIVE_S"]),
        "graceful_timeout": math.ceil(config["WEB_GRACEFUL_TIMEOUT_S"]),
        "timeout": WORKER_BOOT_TIMEOUT_S,
        "control_socket_disable": True,  # one per user by default: two servers would share it
        "errorlog": "-",
        "loglevel": "info",
    }
    if certfile:
        options.update(certfile=certfile, keyfile=keyfile)
    return options


class GunicornServer(BaseApplication):
    """build_app() -> the WSGI app, called in the worker; options: gunicorn settings; read_timeout_s: the kernel
    read/write timeout of every client socket (serving.worker reads it here); stopping(): called in the worker
    when it is told to stop, to end the connections that would otherwise last (websockets) so that it can."""

    def __init__(
        self, build_app: Callable, options: dict, read_timeout_s: float, stopping: Callable[[], None] = lambda: None
    ):
        self.build_app = build_app
        self.options = options
        self.read_timeout_s = read_timeout_s
        self.stopping = stopping
        super().__init__()

    def load_config(self):
        for name, value in self.options.items():
            self.cfg.set(name, value)

    def load(self):
        return self.build_app()
