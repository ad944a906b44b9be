"""Background work: video jobs and camera workers.

Without REDIS_URL they run in this process (`ThreadRunner`: a thread pool for videos, a thread per
camera); with REDIS_URL they are Celery tasks on worker processes (`CeleryRunner`, see celery_app).
The work itself is the same functions either way: jobs.video.run_video_job and jobs.camera.run_camera.
"""

from __future__ import annotations

import atexit
import threading
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..services import Services


class ThreadRunner:
    """Runs video jobs on `workers` threads and each camera on its own thread, each inside the store's scope.

    Args: services (the process's maskwatch.services.Services), publishers (the process's EventRoutes: .jobs()
    and .camera(source_id) give the Publisher of each), workers (default 1: one video at a time keeps the live
    camera responsive on 2 cores).
    """

    def __init__(self, services: Services, publishers, workers: int = 1):
        self.services = services
        self.publishers = publishers
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="maskwatch-job")
        self.futures: dict[str, Future] = {}
        self.cameras: dict[int, threading.Thread] = {}
        self.stopping = threading.Event()

    def submit(self, job_id: str, fn, *args) -> Future:
        def run():
            with self.services.store_scope():
                fn(self.services, job_id, *args)

        future = self.pool.submit(run)
        self.futures[job_id] = future
        future.add_done_callback(lambda f: self.futures.pop(job_id, None))
        return future

    def submit_video(self, job_id: str) -> None:
        from .video import run_video_job

        self.submit(job_id, run_video_job, self.publishers.jobs())

    def start_camera(self, source_id: int) -> None:
        """Start the camera's thread unless one runs (the camera's claim in the database guards the rest)."""
        from .camera import run_camera

        thread = self.cameras.get(source_id)
        if thread is not None and thread.is_alive():
            return

        def run():
            with self.services.store_scope():
                run_camera(self.services, source_id, self.publishers.camera(source_id), self.stopping.is_set)

        thread = threading.Thread(target=run, name=f"maskwatch-camera-{source_id}", daemon=True)
        self.cameras[source_id] = thread
        thread.start()

    def shutdown(self, wait: bool = True) -> None:
        self.stopping.set()
        for thread in list(self.cameras.values()):
            if wait:
                thread.join(timeout=30)
        self.pool.shutdown(wait=wait, cancel_futures=not wait)


class CeleryRunner:
    """Sends the same work to Celery workers through the Redis broker."""

    def __init__(self, settings: Mapping):
        from .celery_app import celery_app, configure

        configure(celery_app, settings)
        self.celery = celery_app

    def submit_video(self, job_id: str) -> None:
        from .celery_app import VIDEO_TASK

        self.celery.send_task(VIDEO_TASK, args=[job_id])

    def start_camera(self, source_id: int) -> None:
        from .celery_app import CAMERA_TASK

        self.celery.send_task(CAMERA_TASK, args=[source_id])

    def shutdown(self, wait: bool = True) -> None:
        """Nothing runs here: the workers own the work."""


def build_runner(services: Services, publishers) -> ThreadRunner | CeleryRunner:
    """The process's runner: Celery's with REDIS_URL, else threads of this process publishing through
    `publishers`; a thread runner stops (without waiting) when the process exits."""
    settings = services.settings
    if settings.get("REDIS_URL"):
        return CeleryRunner(settings)
    runner = ThreadRunner(services, publishers, settings["JOB_WORKERS"])
    atexit.register(runner.shutdown, False)
    return runner
