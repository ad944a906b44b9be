"""Tables: sources, sightings (one row per person, not per frame), jobs and uploads. Times are naive UTC."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.dialects import mysql
from sqlalchemy.orm import Mapped, mapped_column

from .database import db

SOURCE_KINDS = ("image", "video", "webcam", "camera")
VERDICTS = ("mask", "no_mask", "incorrect", "unknown")
JOB_STATUSES = ("queued", "running", "done", "failed", "cancelled")
#: A job in one of these will not change any more.
JOB_FINISHED = ("done", "failed", "cancelled")
#: What a camera worker reports: stopped (nobody reads it), starting, connected, retrying (the stream
#: dropped or would not open; backing off), failed (gave up; camera_error says why).
CAMERA_STATES = ("stopped", "starting", "connected", "retrying", "failed")
#: What an API token may do: read (GET only), upload (read + picture/video uploads and live frames), manage
#: (everything but the account: a token never changes the password nor makes, lists or revokes tokens).
TOKEN_SCOPES = ("read", "upload", "manage")
#: The longest source name: a longer one is refused (400), never cut.
SOURCE_NAME_MAX = 120
#: MySQL/MariaDB DATETIME keeps whole seconds unless told otherwise.
UtcDateTime = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def utcnow() -> datetime:
    """Now in UTC without tzinfo: the form every DATETIME column holds."""
    return datetime.now(UTC).replace(tzinfo=None)


def iso_utc(value: datetime | None) -> str | None:
    return (
        None
        if value is None
        else value.replace(microsecond=value.microsecond // 1000 * 1000).isoformat(timespec="milliseconds") + "Z"
    )


class Source(db.Model):  # type: ignore[name-defined]  # Flask-SQLAlchemy's db.Model is built at runtime
    """Where sightings come from: an upload stream, a video, a webcam client or an IP camera."""

    __tablename__ = "sources"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(16))
    name: Mapped[str] = mapped_column(sa.String(SOURCE_NAME_MAX))
    # A camera URL may hold credentials: it never leaves the server.
    url: Mapped[str | None] = mapped_column(sa.String(1000), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    # Cameras only. detect_fps: detections per second. camera_enabled: an operator started it (a worker
    # keeps it running, and stops when this turns off). The worker that holds it writes camera_owner and
    # a camera_heartbeat every second; a stale heartbeat lets another worker take the camera over.
    detect_fps: Mapped[float | None] = mapped_column(sa.Float, nullable=True)
    camera_enabled: Mapped[bool] = mapped_column(sa.Boolean, default=False, server_default=sa.false())
    camera_state: Mapped[str | None] = mapped_column(sa.String(16), nullable=True)
    camera_error: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    camera_state_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    camera_owner: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)
    camera_heartbeat: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class Sighting(db.Model):  # type: ignore[name-defined]  # Flask-SQLAlchemy's db.Model is built at runtime
    """One person seen by a source: from seen_at to ended_at, one verdict voted over frames_seen frames.

    Sightings of a video job carry (job_id, track_id), unique: a retried job rewrites its own rows
    instead of counting its people twice.
    """

    __tablename__ = "sightings"
    __table_args__ = (
        sa.Index("ix_sightings_source_seen", "source_id", "seen_at"),
        sa.UniqueConstraint("job_id", "track_id", name="uq_sightings_job_track"),
        sa.UniqueConstraint("spool_key", name="uq_sightings_spool_key"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(sa.ForeignKey("sources.id", ondelete="CASCADE"))
    seen_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    ended_at: Mapped[datetime] = mapped_column(UtcDateTime)
    verdict: Mapped[str] = mapped_column(sa.String(16))
    confidence: Mapped[float] = mapped_column(sa.Float)
    frames_seen: Mapped[int] = mapped_column(sa.Integer, default=1)
    job_id: Mapped[str | None] = mapped_column(sa.String(32), nullable=True)
    track_id: Mapped[int | None] = mapped_column(sa.Integer, nullable=True)
    # Set on rows that waited in the local spool while the database was down: a flush that is retried
    # after a crash finds its rows already written and does not count the people twice.
    spool_key: Mapped[str | None] = mapped_column(sa.String(32), nullable=True)


def new_job_id() -> str:
    return uuid.uuid4().hex


class Job(db.Model):  # type: ignore[name-defined]  # Flask-SQLAlchemy's db.Model is built at runtime
    """Background work (a video for now): status, progress 0-1, why it failed, where its files are."""

    __tablename__ = "jobs"
    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True, default=new_job_id)
    kind: Mapped[str] = mapped_column(sa.String(16))
    status: Mapped[str] = mapped_column(sa.String(16), default="queued")
    progress: Mapped[float] = mapped_column(sa.Float, default=0.0)
    error: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    source_id: Mapped[int | None] = mapped_column(sa.ForeignKey("sources.id", ondelete="SET NULL"), nullable=True)
    input_path: Mapped[str | None] = mapped_column(sa.String(500), nullable=True)
    output_path: Mapped[str | None] = mapped_column(sa.String(500), nullable=True)
    result_path: Mapped[str | None] = mapped_column(sa.String(500), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    # Runs started: a job interrupted by a server restart is run again, up to a limit.
    attempts: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class Upload(db.Model):  # type: ignore[name-defined]  # Flask-SQLAlchemy's db.Model is built at runtime
    """A picture or video whose people were counted, by the sha256 of its bytes: the same file uploaded again
    is answered from here and counts nobody (unless the user asks to count it again). A picture keeps its
    answer (`result`, JSON without the annotated copy); a video its job."""

    __tablename__ = "uploads"
    __table_args__ = (sa.Index("ix_uploads_sha256_kind", "sha256", "kind"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(sa.String(64))
    kind: Mapped[str] = mapped_column(sa.String(8))  # image, video
    file_name: Mapped[str] = mapped_column(sa.String(255))
    source_id: Mapped[int | None] = mapped_column(sa.ForeignKey("sources.id", ondelete="SET NULL"), nullable=True)
    job_id: Mapped[str | None] = mapped_column(sa.String(32), nullable=True)
    sightings: Mapped[int] = mapped_column(sa.Integer, default=0)
    result: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class User(db.Model):  # type: ignore[name-defined]  # Flask-SQLAlchemy's db.Model is built at runtime
    """Someone who may sign in: the admin from ADMIN_USER / ADMIN_PASSWORD, made on first start."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    is_admin: Mapped[bool] = mapped_column(sa.Boolean, default=False, server_default=sa.false())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class ApiToken(db.Model):  # type: ignore[name-defined]  # Flask-SQLAlchemy's db.Model is built at runtime
    """A bearer token for scripts. Only its SHA-256 is kept; `prefix` lets a person tell tokens apart."""

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    prefix: Mapped[str] = mapped_column(sa.String(16))
    scope: Mapped[str] = mapped_column(sa.String(16), default="manage", server_default="manage")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class LoginSession(db.Model):  # type: ignore[name-defined]  # Flask-SQLAlchemy's db.Model is built at runtime
    """A browser's sign-in, named by a random id kept in its (signed) cookie: signing out deletes the row, so a
    copy of the cookie is worthless afterwards; changing the password deletes the user's other sessions."""

    __tablename__ = "login_sessions"
    id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
