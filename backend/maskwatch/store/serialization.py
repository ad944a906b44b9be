"""How rows look outside the store: one marshmallow schema per kind of row, the only serialisation of
sources, sightings, jobs, users and tokens. The API answers with them (maskwatch.web.api.schemas extends
them for the OpenAPI document), and the jobs publish their state with them.

Example: JobSchema().dump(queries.get_job(job_id)) -> {"id": ..., "status": "running", "progress": 0.4, ...}
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, post_dump, validate

from ..media.urls import mask_url
from .models import CAMERA_STATES, JOB_STATUSES, SOURCE_KINDS, TOKEN_SCOPES, VERDICTS, iso_utc, utcnow


class UtcTime(fields.String):
    """A UTC datetime as ISO 8601 with milliseconds and a Z (store.models.iso_utc), or null."""

    def _serialize(self, value, attr, obj, **kwargs):
        return iso_utc(value)


class Rounded(fields.Float):
    """A float rounded to `places` digits (default 4)."""

    def __init__(self, places: int = 4, **kwargs):
        super().__init__(**kwargs)
        self.places = places

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else round(float(value), self.places)


class Flag(fields.Boolean):
    """A column that may be NULL, shown as true or false."""

    def _serialize(self, value, attr, obj, **kwargs):
        return bool(value)


class SameRow(fields.Nested):
    """A nested schema over the same row (a source's camera state is columns of the source)."""

    def get_value(self, obj, attr, accessor=None, default=None):
        return obj


class CameraStatusSchema(Schema):
    state = fields.Function(
        lambda source: source.camera_state or "stopped",
        validate=validate.OneOf(CAMERA_STATES),
        metadata={"type": "string"},
    )
    error = fields.Str(
        attribute="camera_error",
        allow_none=True,
        metadata={"description": "why it is retrying or failed (no credentials)"},
    )
    since = UtcTime(
        attribute="camera_state_at",
        allow_none=True,
        metadata={"description": "when the state was reported, ISO 8601 UTC"},
    )
    enabled = Flag(
        attribute="camera_enabled", metadata={"description": "started by an operator (a worker keeps it running)"}
    )


#: What only a camera source shows.
CAMERA_ONLY = ("url_masked", "detect_fps", "camera")


class SourceSchema(Schema):
    id = fields.Int()
    kind = fields.Str(validate=validate.OneOf(SOURCE_KINDS))
    name = fields.Str()
    has_url = Flag(attribute="url", metadata={"description": "a camera URL is set (it is never returned whole)"})
    created_at = UtcTime(metadata={"description": "ISO 8601, UTC"})
    url_masked = fields.Function(
        lambda source: mask_url(source.url),
        allow_none=True,
        metadata={
            "type": "string",
            "description": "cameras: the URL with its user info, query values and fragment as ***",
        },
    )
    detect_fps = fields.Float(allow_none=True, metadata={"description": "cameras: detections per second"})
    camera = SameRow(CameraStatusSchema, metadata={"description": "cameras: the worker's last reported state"})

    @post_dump(pass_original=True)
    def _cameras_only(self, data: dict, source: Any, **kwargs) -> dict:
        if source.kind != "camera":
            for name in CAMERA_ONLY:
                data.pop(name, None)
        return data


class SightingSchema(Schema):
    id = fields.Int()
    source_id = fields.Int()
    seen_at = UtcTime()
    ended_at = UtcTime()
    verdict = fields.Str(validate=validate.OneOf(VERDICTS))
    confidence = Rounded()
    frames_seen = fields.Int()


#: Progress below this says too little about the time left.
ETA_MIN_PROGRESS = 0.02


def seconds_left(job) -> float | None:
    """From a running job's pace so far: elapsed * (1 - progress) / progress."""
    if job.status != "running" or job.started_at is None or (job.progress or 0) < ETA_MIN_PROGRESS:
        return None
    elapsed = (utcnow() - job.started_at).total_seconds()
    return round(max(0.0, elapsed * (1 - job.progress) / job.progress), 1)


def _done_file_url(job, column: str, name: str) -> str | None:
    return f"/api/jobs/{job.id}/{name}" if job.status == "done" and getattr(job, column) else None


class JobSchema(Schema):
    id = fields.Str()
    kind = fields.Str()
    status = fields.Str(validate=validate.OneOf(JOB_STATUSES))
    progress = Rounded(metadata={"description": "0-1"})
    error = fields.Str(allow_none=True)
    source_id = fields.Int(allow_none=True)
    attempts = fields.Function(
        lambda job: job.attempts or 0,
        metadata={
            "type": "integer",
            "description": "runs started; a server restart runs an interrupted job again up to JOB_MAX_ATTEMPTS",
        },
    )
    created_at = UtcTime()
    started_at = UtcTime(allow_none=True)
    finished_at = UtcTime(allow_none=True)
    video_url = fields.Function(
        lambda job: _done_file_url(job, "output_path", "video"),
        allow_none=True,
        metadata={"type": "string", "description": "annotated H.264 MP4, when done"},
    )
    eta_s = fields.Function(
        seconds_left,
        allow_none=True,
        metadata={"type": "number", "description": "while running: seconds left, from its pace so far"},
    )
    results_url = fields.Function(
        lambda job: _done_file_url(job, "result_path", "results"),
        allow_none=True,
        metadata={"type": "string", "description": "per-track results JSON, when done"},
    )


class UserSchema(Schema):
    id = fields.Int()
    username = fields.Str()
    is_admin = Flag()
    created_at = UtcTime()
    last_login_at = UtcTime(allow_none=True)


class TokenSchema(Schema):
    id = fields.Int()
    name = fields.Str()
    prefix = fields.Str(metadata={"description": "the token's first characters, to tell tokens apart"})
    scope = fields.Str(validate=validate.OneOf(TOKEN_SCOPES))
    created_at = UtcTime()
    last_used_at = UtcTime(allow_none=True)
