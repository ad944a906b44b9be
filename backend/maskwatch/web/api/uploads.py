"""What picture and video uploads share: their shown name, and counting the same file once (store.queries.uploads).

While the database is unreachable an upload cannot be checked: it is counted (its people wait in the spool),
and not remembered.
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

from ...store import queries
from ...store.errors import StoreError
from ...store.models import Upload, iso_utc

log = logging.getLogger(__name__)


def display_name(filename: str | None, default: str = "video") -> str:
    """A name from the uploaded file name (shown, never used as a path)."""
    name = re.sub(r"[^\w.\- ]+", "_", Path(filename or "").name)[:120]
    return name or default


def earlier_upload(sha256: str, kind: str) -> Upload | None:
    """The upload of the same bytes whose people still count, None when there is none or it cannot be told."""
    try:
        return queries.counted_upload(sha256, kind)
    except StoreError as exc:
        log.warning("uploads: cannot check for an earlier copy, counting this one: %s", exc)
        return None


def already_counted(upload: Upload) -> dict:
    """What an answer says of the earlier upload it repeats."""
    return {
        "uploaded_at": iso_utc(upload.created_at),
        "file_name": upload.file_name,
        "source_id": upload.source_id,
        "sightings": upload.sightings,
    }


def remember_upload(sha256: str, kind: str, file_name: str, source_id: int | None, **values) -> None:
    """Best effort: an upload that cannot be remembered is only counted again if it comes back."""
    if source_id is None:  # the database did not answer: its sightings wait in the spool
        return
    if "result" in values and values["result"] is not None:
        values["result"] = json.dumps(values["result"])
    try:
        queries.record_upload(sha256, kind, file_name, source_id, **values)
    except StoreError as exc:
        log.warning("uploads: %s not remembered: %s", file_name, exc)
