"""Background work in an in-process thread pool (Celery + Redis is not wired yet)."""

from __future__ import annotations

import atexit
from concurrent.futures import Future, ThreadPoolExecutor

from flask import Flask, current_app

EXTENSION_KEY = "maskwatch.jobs"


class JobRunner:
    """Runs job functions on `workers` threads, each inside an app context.

    Args: app, workers (default 1: one video at a time keeps the live camera responsive on 2 cores).
    """

    def __init__(self, app: Flask, workers: int = 1):
        self.app = app
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="maskwatch-job")
        self.futures: dict[str, Future] = {}

    def submit(self, job_id: str, fn, *args) -> Future:
        def run():
            with self.app.app_context():
                fn(job_id, *args)

        future = self.pool.submit(run)
        self.futures[job_id] = future
        future.add_done_callback(lambda f: self.futures.pop(job_id, None))
        return future

    def shutdown(self, wait: bool = True) -> None:
        self.pool.shutdown(wait=wait, cancel_futures=not wait)


def init_app(app: Flask) -> None:
    runner = JobRunner(app, app.config["JOB_WORKERS"])
    app.extensions[EXTENSION_KEY] = runner
    atexit.register(runner.shutdown, False)


def get_runner() -> JobRunner:
    return current_app.extensions[EXTENSION_KEY]
