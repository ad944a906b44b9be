"""The Celery app: video jobs and camera workers as tasks on a Redis broker (used when REDIS_URL is set).

Run a worker with
    celery -A maskwatch.jobs.celery_app:celery_app worker --loglevel=INFO -c 2
(settings from the same environment variables as `maskwatch serve`: REDIS_URL, DATABASE_URL, ...).

Reliability: video tasks are acknowledged late and rejected (requeued) when their worker process is
lost, so a killed worker's job runs again on another one; the job rewrites its sightings in one
transaction, so it is counted once. A whole worker (or machine) that dies leaves its message unacked in
Redis; it is handed out again after CELERY_VISIBILITY_TIMEOUT seconds (longer than any video takes).
Camera tasks run until their camera is stopped; they are acknowledged when they start, and every
worker's watchdog thread re-sends the camera of a dead worker (stale heartbeat). The database claim
(store.queries.claim_camera) makes sure one worker reads each camera.
"""

from __future__ import annotations

import logging
import threading

from celery import Celery, signals

from ..store.errors import StoreUnavailable

log = logging.getLogger(__name__)
VIDEO_TASK = "maskwatch.video"
CAMERA_TASK = "maskwatch.camera"

celery_app = Celery("maskwatch")
_services = None
_services_lock = threading.Lock()


def configure(app: Celery, config) -> None:
    """Broker and reliability settings from a Flask config (or any mapping with the same keys)."""
    app.conf.update(
        broker_url=config["REDIS_URL"],
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,  # a long video must not hold a second one hostage on a busy worker
        task_track_started=True,
        broker_connection_retry_on_startup=True,
        broker_transport_options=transport_options(int(config["CELERY_VISIBILITY_TIMEOUT"])),
        task_ignore_result=True,
        worker_hijack_root_logger=False,
    )


def transport_options(visibility_timeout: int) -> dict:
    """Redis: unacknowledged messages older than visibility_timeout go back to the queue; every worker
    sweeps for them about ten times per timeout (at most once a minute, at least once a second)."""
    return {
        "visibility_timeout": visibility_timeout,
        "unacked_restore_interval": max(1, min(60, visibility_timeout // 10)),
        "unacked_restore_throttle": 1,
    }


@celery_app.on_configure.connect
def _configure_from_environment(sender: Celery, **kwargs) -> None:
    """When the worker first reads its configuration (not when this module is imported): the broker and
    reliability settings from the environment, as `maskwatch serve` reads them. A web server's
    CeleryRunner configures the app from its own settings instead."""
    from ..config import Config

    config = Config()
    if config.REDIS_URL:
        configure(sender, vars(config))


def worker_services():
    """This process's Services (runtime.worker_services: database, spool, detector built on first use), made on
    first use, after the fork."""
    global _services
    with _services_lock:
        if _services is None:
            from ..runtime import worker_services as build

            _services = build()
        return _services


@celery_app.task(name=VIDEO_TASK, autoretry_for=(StoreUnavailable,), retry_backoff=True, max_retries=5)
def video_task(job_id: str) -> None:
    from ..runtime import worker_publishers
    from .video import run_video_job

    services = worker_services()
    with services.store_scope():
        run_video_job(services, job_id, worker_publishers().jobs())


@celery_app.task(name=CAMERA_TASK, acks_late=False)
def camera_task(source_id: int) -> str:
    from ..runtime import worker_publishers
    from .camera import run_camera

    services = worker_services()
    with services.store_scope():
        return run_camera(services, source_id, worker_publishers().camera(source_id), _shutting_down.is_set)


_shutting_down = threading.Event()


@signals.worker_shutting_down.connect
def _on_shutdown(**kwargs):
    _shutting_down.set()


def watch_cameras(interval_s: float) -> None:
    """Re-send every enabled camera that no worker holds (its worker died, or it was never picked up)."""
    from ..store import queries

    while not _shutting_down.wait(interval_s):
        try:
            services = worker_services()
            with services.store_scope():
                stale = services.settings["CAMERA_STALE_S"]
                for source_id in queries.enabled_camera_ids():
                    if not queries.camera_held(source_id, stale):
                        celery_app.send_task(CAMERA_TASK, args=[source_id])
        except Exception:  # the database or broker may be down for a while: try again next round
            log.exception("camera watchdog")


@signals.worker_process_init.connect
def _fresh_app_after_fork(**kwargs):
    """A forked pool process builds its own services: database connections and the Redis publisher of the
    parent must not be shared across processes."""
    global _services
    from ..config import Config
    from ..memory import keep_memory_flat

    settings = Config()
    keep_memory_flat(settings.MALLOC_ARENAS, settings.MALLOC_MMAP_THRESHOLD_KB, settings.MALLOC_FREE_MB)
    if _services is not None:
        from ..store.database import db

        with _services.store_scope():
            db.engine.dispose(close=False)
        _services = None


@signals.worker_ready.connect
def _start_watchdog(**kwargs):
    interval = float(worker_services().settings["CAMERA_WATCHDOG_S"])
    threading.Thread(target=watch_cameras, args=(interval,), name="maskwatch-camera-watchdog", daemon=True).start()
