"""Marshmallow schemas: they validate requests and generate the OpenAPI document."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask_smorest.fields import Upload
from marshmallow import Schema, ValidationError, fields, validate, validates, validates_schema

from ...store import SOURCE_KINDS, VERDICTS
from ...store.models import SOURCE_NAME_MAX, TOKEN_SCOPES

# The rows' own schemas (their one serialisation), answered by the routes as they are:
from ...store.serialization import (  # noqa: F401
    CameraStatusSchema,
    JobSchema,
    SightingSchema,
    SourceSchema,
    TokenSchema,
    UserSchema,
)
from ..events import LIVE_NAMESPACE, camera_room

LABELS = ("mask", "no_mask", "incorrect")
#: Ids are INTEGER columns: a larger number cannot name a row and would overflow the database driver.
MAX_ROW_ID = 2**31 - 1
#: Dates a query may name: far from year 1 and 9999, where a day's arithmetic or a time zone overflows.
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(9998, 12, 31)
IN_DAYS = validate.Range(min=FIRST_DAY, max=LAST_DAY)
IN_TIMES = validate.Range(min=datetime(1900, 1, 1, tzinfo=UTC), max=datetime(9998, 12, 31, tzinfo=UTC))
CAMERA_SCHEMES = ("rtsp", "rtsps", "http", "https", "file")


def _check_tz(value: str) -> None:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationError(f"unknown time zone {value!r} (use an IANA name such as Europe/Paris)") from exc


def row_id(**kwargs) -> fields.Int:
    """An id in a query: 1 .. MAX_ROW_ID, else 400."""
    return fields.Int(validate=validate.Range(min=1, max=MAX_ROW_ID), **kwargs)


class ErrorSchema(Schema):
    error = fields.Str(required=True, metadata={"description": "machine-readable code"})
    message = fields.Str(required=True)
    details = fields.Dict()


# --- sources -------------------------------------------------------------------------------------


class CameraSchema(SourceSchema):
    watch = fields.Method("_watch", metadata={"type": "object", "description": "how a browser watches it on Socket.IO"})

    def _watch(self, source) -> dict:
        return {
            "namespace": LIVE_NAMESPACE,
            "event": "watch",
            "data": {"camera_id": source.id},
            "room": camera_room(source.id),
        }


class SourceInSchema(Schema):
    kind = fields.Str(required=True, validate=validate.OneOf(SOURCE_KINDS))
    name = fields.Str(required=True, validate=validate.Length(min=1, max=SOURCE_NAME_MAX))
    url = fields.Str(
        load_default=None,
        validate=validate.Length(max=1000),
        metadata={
            "description": "cameras only: rtsp://, http:// or https:// stream URL "
            "(file:// when the server allows CAMERA_FILE_URLS)"
        },
    )
    detect_fps = fields.Float(
        load_default=None,
        validate=validate.Range(min=0.1, max=30),
        metadata={"description": "cameras only: detections per second (default CAMERA_DETECT_FPS)"},
    )

    @validates_schema
    def url_only_for_cameras(self, data, **kwargs):
        url = data.get("url")
        if data.get("kind") == "camera":
            if not url or url.split("://", 1)[0].lower() not in CAMERA_SCHEMES:
                raise ValidationError("a camera needs an rtsp://, http:// or https:// URL", "url")
        elif url:
            raise ValidationError("only cameras have a URL", "url")
        elif data.get("detect_fps") is not None:
            raise ValidationError("only cameras have a detection rate", "detect_fps")


# --- detections ----------------------------------------------------------------------------------


class FaceSchema(Schema):
    box = fields.List(fields.Float(), metadata={"description": "[x1, y1, x2, y2] in pixels"})
    label = fields.Str(validate=validate.OneOf(LABELS))
    score = fields.Float()
    face_score = fields.Float()
    verdict = fields.Str(validate=validate.OneOf(VERDICTS), metadata={"description": "label, or unknown when unsure"})


class CountAgainSchema(Schema):
    count_again = fields.Bool(
        load_default=False,
        metadata={"description": "count the people of a file uploaded before again (default: answer the first upload)"},
    )


class AlreadyCountedSchema(Schema):
    uploaded_at = fields.Str(metadata={"description": "when the same bytes were counted"})
    file_name = fields.Str()
    source_id = fields.Int(allow_none=True)
    sightings = fields.Int(metadata={"description": "the people that upload counted"})


class ImageQuerySchema(CountAgainSchema):
    source_id = row_id(load_default=None, metadata={"description": "default: the 'uploads' image source"})
    annotate = fields.Bool(load_default=False, metadata={"description": "also return the annotated JPEG"})


class UploadSchema(Schema):
    file = Upload(required=True)


class ImageResultSchema(Schema):
    source_id = fields.Int()
    width = fields.Int(metadata={"description": "the picture's own size; boxes are in its pixels"})
    height = fields.Int()
    faces = fields.List(fields.Nested(FaceSchema))
    sightings = fields.Int(metadata={"description": "rows written: one per face"})
    sightings_waiting = fields.Int(
        metadata={"description": "faces whose sighting waits in the spool (the database is unreachable)"}
    )
    ms = fields.Float()
    min_face_px = fields.Float(
        metadata={
            "description": "the smallest face looked for, in the picture's pixels (the "
            "picture profile): smaller faces are not found nor counted"
        }
    )
    already_counted = fields.Nested(
        AlreadyCountedSchema,
        metadata={"description": "only when the same picture was counted before: this answer is that one's"},
    )
    annotated = fields.Str(
        metadata={
            "description": "data:image/jpeg;base64,... when annotate=true; a picture over "
            "PICTURE_MAX_SIDE is drawn at the scaled-down size"
        }
    )


class VideoQuerySchema(CountAgainSchema):
    source_id = row_id(load_default=None, metadata={"description": "default: a new video source named after the file"})


class VideoUploadSchema(JobSchema):
    already_counted = fields.Nested(
        AlreadyCountedSchema, metadata={"description": "only when the same video was uploaded and counted before"}
    )


# --- jobs ----------------------------------------------------------------------------------------


class JobListItemSchema(JobSchema):
    source_name = fields.Str(allow_none=True, metadata={"description": "the source its people count under"})
    queue_position = fields.Int(allow_none=True, metadata={"description": "while queued: 1 is next"})


class JobListQuerySchema(Schema):
    limit = fields.Int(load_default=100, validate=validate.Range(min=1, max=500))


# --- sightings -----------------------------------------------------------------------------------


class SightingQuerySchema(Schema):
    source_id = row_id(load_default=None)
    verdict = fields.Str(load_default=None, validate=validate.OneOf(VERDICTS))
    start = fields.AwareDateTime(
        load_default=None,
        default_timezone=UTC,
        validate=IN_TIMES,
        metadata={"description": "ISO 8601; without an offset it is UTC"},
    )
    end = fields.AwareDateTime(
        load_default=None, default_timezone=UTC, validate=IN_TIMES, metadata={"description": "exclusive"}
    )


class SightingCsvQuerySchema(SightingQuerySchema):
    tz = fields.Str(
        load_default="UTC",
        metadata={"description": "IANA time zone of the seen_at_local and ended_at_local columns (default UTC)"},
    )

    @validates("tz")
    def known_tz(self, value, **kwargs):
        _check_tz(value)


class SightingPageQuerySchema(SightingQuerySchema):
    page = fields.Int(load_default=1, validate=validate.Range(min=1, max=MAX_ROW_ID))
    per_page = fields.Int(load_default=50, validate=validate.Range(min=1, max=500))


class SightingPageSchema(Schema):
    items = fields.List(fields.Nested(SightingSchema))
    page = fields.Int()
    per_page = fields.Int()
    total = fields.Int()
    pages = fields.Int()


# --- stats ---------------------------------------------------------------------------------------


class StatsQuerySchema(Schema):
    source_id = row_id(load_default=None, metadata={"description": "default: every source"})
    start = fields.Date(
        load_default=None, validate=IN_DAYS, metadata={"description": "first local day (default: see each route)"}
    )
    end = fields.Date(
        load_default=None, validate=IN_DAYS, metadata={"description": "last local day, inclusive (default: today)"}
    )
    tz = fields.Str(load_default="UTC", metadata={"description": "the caller's IANA time zone"})

    @validates("tz")
    def known_tz(self, value, **kwargs):
        _check_tz(value)

    @validates_schema
    def ordered(self, data, **kwargs):
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            raise ValidationError("start is after end", "start")


def _counts_fields() -> dict:
    return {v: fields.Int() for v in VERDICTS} | {"total": fields.Int()}


DailyEntrySchema = Schema.from_dict({"date": fields.Str(), **_counts_fields()}, name="DailyEntry")
HourlyEntrySchema = Schema.from_dict(
    {"hour": fields.Str(metadata={"description": "local hour start, ISO 8601 with offset"}), **_counts_fields()},
    name="HourlyEntry",
)


class DailyStatsSchema(Schema):
    tz = fields.Str()
    days = fields.List(fields.Nested(DailyEntrySchema))


class HourlyStatsSchema(Schema):
    tz = fields.Str()
    hours = fields.List(fields.Nested(HourlyEntrySchema))


class SummarySchema(Schema):
    tz = fields.Str()
    total = fields.Int()
    counts = fields.Dict(keys=fields.Str(), values=fields.Int())
    shares = fields.Dict(keys=fields.Str(), values=fields.Float())


class HealthSchema(Schema):
    status = fields.Str(metadata={"description": "ok (a sighting would be written to the database now), or degraded"})
    reasons = fields.List(
        fields.Str(),
        metadata={"description": "why degraded: database_unreachable, database_locked, pool_exhausted, spool_backlog"},
    )
    database = fields.Bool(metadata={"description": "the database answered a real query within HEALTH_TIMEOUT_S"})
    model_loaded = fields.Bool(
        metadata={"description": "the detector is in memory (false until first use on a lazy worker)"}
    )
    detector = fields.Str(metadata={"description": "the face detector (DETECTOR)"})
    profiles = fields.Dict(
        metadata={
            "description": "detection profiles: picture and stream, each with min_face_size, upscale_below, max_side"
        }
    )
    version = fields.Str()
    sightings_waiting = fields.Int(
        metadata={"description": "people in the local spool, written when the database answers"}
    )
    sightings_dropped = fields.Int(metadata={"description": "people the full spool let go (SPOOL_MAX_ROWS)"})


# --- access control ------------------------------------------------------------------------------


class PublicFlagsSchema(Schema):
    live = fields.Bool(metadata={"description": "the live webcam page works without a login (LIVE_PUBLIC)"})
    uploads = fields.Bool(metadata={"description": "uploads and their jobs work without a login (UPLOADS_PUBLIC)"})


class MeSchema(Schema):
    auth_enabled = fields.Bool(metadata={"description": "a login is needed (a user exists)"})
    authenticated = fields.Bool()
    user = fields.Nested(UserSchema, allow_none=True)
    csrf_token = fields.Str(allow_none=True, metadata={"description": "send it as X-CSRF-Token on unsafe calls"})
    public = fields.Nested(PublicFlagsSchema)


class LoginSchema(Schema):
    username = fields.Str(required=True, validate=validate.Length(min=1, max=64))
    password = fields.Str(required=True, validate=validate.Length(min=1, max=1024))


class LoginResultSchema(Schema):
    user = fields.Nested(UserSchema)
    csrf_token = fields.Str()


class PasswordChangeSchema(Schema):
    current_password = fields.Str(required=True, validate=validate.Length(max=1024))
    new_password = fields.Str(required=True, validate=validate.Length(min=8, max=1024))


class TokenInSchema(Schema):
    name = fields.Str(required=True, validate=validate.Length(min=1, max=120))
    scope = fields.Str(
        load_default="manage",
        validate=validate.OneOf(TOKEN_SCOPES),
        metadata={
            "description": "read: GET only; upload: also picture/video uploads and live frames; "
            "manage (default): everything but the account (no token may change "
            "the password or make, list or revoke tokens)"
        },
    )


class NewTokenSchema(TokenSchema):
    token = fields.Str(metadata={"description": "the whole token, shown only in this answer"})
