"""IP cameras: which are enabled, and the claim and heartbeat that let one worker read each."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import InvalidRequestError

from ..database import db
from ..errors import store_call
from ..models import Source, utcnow


@store_call
def list_cameras() -> list[Source]:
    return list(db.session.scalars(sa.select(Source).where(Source.kind == "camera").order_by(Source.id)))


@store_call
def enabled_camera_ids() -> list[int]:
    return list(
        db.session.scalars(sa.select(Source.id).where(Source.kind == "camera", Source.camera_enabled.is_(True)))
    )


@store_call
def set_camera_enabled(source_id: int, enabled: bool) -> None:
    values: dict[str, object] = {"camera_enabled": enabled}
    if enabled:
        values.update(camera_state="starting", camera_error=None, camera_state_at=utcnow())
    db.session.execute(sa.update(Source).where(Source.id == source_id).values(**values))
    db.session.commit()


@store_call
def camera_held(source_id: int, stale_after_s: float) -> bool:
    """A worker holds the camera and wrote its heartbeat within stale_after_s."""
    source = db.session.get(Source, source_id)
    if source is None:  # as refresh(None) did: store_call turns it into a StoreError
        raise InvalidRequestError(f"source {source_id} is gone")
    db.session.refresh(source)
    fresh = utcnow() - timedelta(seconds=stale_after_s)
    return bool(source.camera_owner and source.camera_heartbeat and source.camera_heartbeat >= fresh)


@store_call
def claim_camera(source_id: int, owner: str, stale_after_s: float) -> bool:
    """Take the camera for `owner` unless another worker holds it with a fresh heartbeat (one atomic UPDATE,
    so two workers given the same camera cannot both run it)."""
    now = utcnow()
    free = sa.or_(
        Source.camera_owner.is_(None),
        Source.camera_owner == owner,
        Source.camera_heartbeat.is_(None),
        Source.camera_heartbeat < now - timedelta(seconds=stale_after_s),
    )
    # a DML statement's result is a CursorResult (Session.execute is typed as returning the base Result)
    result = cast(
        "CursorResult[Any]",
        db.session.execute(
            sa.update(Source)
            .where(Source.id == source_id, Source.camera_enabled.is_(True), free)
            .values(camera_owner=owner, camera_heartbeat=now)
        ),
    )
    db.session.commit()
    return result.rowcount == 1


@store_call
def camera_heartbeat(source_id: int, owner: str, state: str | None = None, error: str | None = None) -> bool:
    """Refresh the owner's heartbeat (and state when given); False when the camera was stopped, deleted or
    taken over: the worker must then let go."""
    values: dict[str, object] = {"camera_heartbeat": utcnow()}
    if state is not None:
        values.update(camera_state=state, camera_error=error, camera_state_at=utcnow())
    result = cast(
        "CursorResult[Any]",
        db.session.execute(
            sa.update(Source)
            .where(Source.id == source_id, Source.camera_owner == owner, Source.camera_enabled.is_(True))
            .values(**values)
        ),
    )
    db.session.commit()
    return result.rowcount == 1


@store_call
def release_camera(source_id: int, owner: str, state: str, error: str | None = None) -> None:
    """The owner lets go, leaving its last state (stopped, or failed with the reason)."""
    values: dict[str, object] = {
        "camera_owner": None,
        "camera_heartbeat": None,
        "camera_state": state,
        "camera_error": error,
        "camera_state_at": utcnow(),
    }
    if state == "failed":  # a camera that gave up stays down until an operator starts it again
        values["camera_enabled"] = False
    db.session.execute(sa.update(Source).where(Source.id == source_id, Source.camera_owner == owner).values(**values))
    db.session.commit()
