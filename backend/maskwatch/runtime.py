"""One composition root per process role: each builds its settings, detector, store and publishers in
one place and passes them in (as Frigate's FrigateApp does); nothing is assembled at import time.

- web_app(): the web server (`maskwatch serve`): detectors built at start, jobs and cameras in this
  process or, with REDIS_URL, on Celery workers;
- worker_app(): a Celery worker process: the same app (database, spool, Socket.IO through Redis) with the
  detectors built on first use, so the worker's parent never loads them and each forked child does;
- tool_app(): command-line tools that need the database but no model (`purge`, `passwd`);
- worker_services(), tool_services(): the maskwatch.services.Services of those apps, what jobs, cameras and
  retention are given (they never look up a framework's globals);
- cli_detector(): `maskwatch detect`: a MaskDetector alone, no app.
"""

from __future__ import annotations

from collections.abc import Mapping


def _config(config):
    from .config import Config

    return config if config is not None else Config()


def _settings(config) -> Mapping:
    return config if isinstance(config, Mapping) else vars(config)


def web_app(config=None, detector=None):
    """The web server's app; detector: a ready MaskDetector or DetectorService (tests), default built now."""
    from .detector_service import detector_service
    from .web import create_app

    config = _config(config)
    return create_app(config, detector if detector is not None else detector_service(_settings(config)))


def worker_app(config=None):
    """A Celery worker's app: detectors built on the first video or camera frame."""
    from .detector_service import detector_service
    from .web import create_app

    config = _config(config)
    return create_app(config, detector_service(_settings(config), lazy=True))


def tool_app(config=None):
    """A command-line tool's app: the database and spool, a detector that is never built unless used."""
    return worker_app(config)


def worker_services(config=None):
    """A Celery worker's Services (maskwatch.services): those of its worker_app()."""
    from .web.services import services_of

    return services_of(worker_app(config))


def tool_services(config=None):
    """A command-line tool's Services: those of its tool_app()."""
    from .web.services import services_of

    return services_of(tool_app(config))


def worker_publishers():
    """Where a worker's job and camera events go: Socket.IO through Redis (the app's message queue)."""
    from .web.events import EventRoutes

    return EventRoutes()


def cli_detector(name: str, **options):
    """`maskwatch detect`'s MaskDetector: DETECTOR's face detector and the classifier (detection.factory)."""
    from .detection.factory import build_mask_detector

    return build_mask_detector(name, **options)
