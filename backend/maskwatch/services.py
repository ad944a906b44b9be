"""What the work of a process (jobs, cameras, retention, the spool's flusher) is given by its composition root
(maskwatch.runtime, through the web app factory), instead of reaching for a framework's globals.

`store_scope` opens the store's unit of work for the calling thread: the queries of maskwatch.store run inside
it (with Flask-SQLAlchemy it is an app context; nothing here needs to know that).

Example:
    with services.store_scope():
        run_video_job(services, job_id, publisher)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .detector_service import DetectorService
    from .store.recording import SightingRecorder


@dataclass(frozen=True)
class Services:
    """settings: the process's settings by name (DETECT_EVERY_N_FRAMES, ...); instance_path: the folder of the
    database file, spool, uploads and results; detector: the DetectorService of both profiles; recorder: the
    sighting spool's SightingRecorder; store_scope: a context manager factory for store work on this thread."""

    settings: Mapping[str, Any]
    instance_path: Path
    detector: DetectorService
    recorder: SightingRecorder
    store_scope: Callable[[], AbstractContextManager]
