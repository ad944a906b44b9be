"""Named queries: every read and write the API, jobs and live page make, one module per kind of row
(sources, sightings, jobs, cameras). Each raises a store.errors.StoreError (StoreUnavailable while the
database cannot answer), its transaction rolled back. Callers use them as `queries.<name>`."""

from __future__ import annotations

from ..database import db
from .cameras import (
    camera_heartbeat,
    camera_held,
    claim_camera,
    enabled_camera_ids,
    list_cameras,
    release_camera,
    set_camera_enabled,
)
from .jobs import (
    JobDeleteRefused,
    cancel_job,
    create_job,
    delete_job,
    finish_video_job,
    get_job,
    job_cancelled,
    list_jobs,
    recover_interrupted_jobs,
    start_job,
    update_job,
)
from .sightings import (
    SightingFilter,
    SightingLike,
    TrackedSightingLike,
    add_sightings,
    iter_sightings_with_source,
    job_sighting_count,
    seen_times_by_verdict,
    sightings_page,
    verdict_counts,
    write_spooled,
)
from .sources import (
    create_source,
    delete_source,
    get_source,
    list_sources,
    resolve_source,
    source_named,
)
from .uploads import counted_upload, record_upload

__all__ = [
    "counted_upload",
    "record_upload",
    "JobDeleteRefused",
    "cancel_job",
    "delete_job",
    "job_cancelled",
    "list_jobs",
    "SightingFilter",
    "SightingLike",
    "add_sightings",
    "camera_heartbeat",
    "camera_held",
    "claim_camera",
    "create_job",
    "create_source",
    "delete_source",
    "enabled_camera_ids",
    "finish_video_job",
    "get_job",
    "get_source",
    "iter_sightings_with_source",
    "job_sighting_count",
    "list_cameras",
    "list_sources",
    "recover_interrupted_jobs",
    "release_camera",
    "release_connection",
    "resolve_source",
    "seen_times_by_verdict",
    "set_camera_enabled",
    "sightings_page",
    "source_named",
    "start_job",
    "TrackedSightingLike",
    "update_job",
    "verdict_counts",
    "write_spooled",
]


def release_connection() -> None:
    """Give this request's pooled connection back (the session stays usable: a later query takes one again), so
    a request that goes on reading a slow body holds none meanwhile."""
    db.session.close()
