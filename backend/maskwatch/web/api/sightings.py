"""GET /api/sightings (paged, newest first) and GET /api/sightings.csv (every match, oldest first)."""

from __future__ import annotations

import csv
import io
import math
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask import Response, stream_with_context

from ...store import queries
from ...store.models import iso_utc
from ...store.queries import SightingFilter
from .parser import Blueprint
from .schemas import ErrorSchema, SightingCsvQuerySchema, SightingPageQuerySchema, SightingPageSchema
from .sources import source_or_404

bp = Blueprint("sightings", __name__, url_prefix="/api", description="People seen, one row each")

CSV_COLUMNS = (
    "id",
    "source_id",
    "source_name",
    "seen_at",
    "ended_at",
    "seen_at_local",
    "ended_at_local",
    "time_zone",
    "verdict",
    "confidence",
    "frames_seen",
)
#: A spreadsheet runs a cell that begins with one of these as a formula (OWASP, "CSV Injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value):
    """A text cell a spreadsheet shows as text: one that begins with = + - @ tab or CR gets a leading ' (OWASP's
    rule; the csv module quotes the rest). Example: csv_cell('=HYPERLINK("http://x")') == "'=HYPERLINK(\"http://x\")"
    """
    return "'" + value if isinstance(value, str) and value.startswith(FORMULA_STARTS) else value


def iso_local(value: datetime, tz: ZoneInfo) -> str:
    """A stored UTC time in `tz`, with its offset: "2026-03-02T00:30:00.000+01:00"."""
    local = value.replace(tzinfo=UTC).astimezone(tz)
    return local.replace(microsecond=local.microsecond // 1000 * 1000).isoformat(timespec="milliseconds")


def sighting_filter(args: dict) -> SightingFilter:
    """The filter of a query (404 for a source_id that names no source)."""
    if args["source_id"] is not None:
        source_or_404(args["source_id"])

    def utc(value):
        return None if value is None else value.astimezone(UTC).replace(tzinfo=None)

    return SightingFilter(args["source_id"], utc(args["start"]), utc(args["end"]), args["verdict"])


@bp.route("/sightings")
@bp.arguments(SightingPageQuerySchema, location="query")
@bp.response(200, SightingPageSchema)
@bp.alt_response(404, schema=ErrorSchema, description="no source source_id")
def list_sightings(args):
    """One page of sightings, newest first."""
    items, total = queries.sightings_page(sighting_filter(args), args["page"], args["per_page"])
    return {
        "items": items,
        "page": args["page"],
        "per_page": args["per_page"],
        "total": total,
        "pages": math.ceil(total / args["per_page"]),
    }


@bp.route("/sightings.csv")
@bp.arguments(SightingCsvQuerySchema, location="query")
@bp.response(
    200,
    content_type="text/csv",
    description="CSV with a header row; seen_at and ended_at in UTC, seen_at_local and ended_at_local in tz with its offset",
)
@bp.alt_response(404, schema=ErrorSchema, description="no source source_id")
def export_sightings(args):
    """Every matching sighting as CSV, streamed."""
    where, tz = sighting_filter(args), ZoneInfo(args["tz"])

    def rows():
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(CSV_COLUMNS)
        for sighting, source_name in queries.iter_sightings_with_source(where):
            writer.writerow(
                [
                    csv_cell(v)
                    for v in (
                        sighting.id,
                        sighting.source_id,
                        source_name,
                        iso_utc(sighting.seen_at),
                        iso_utc(sighting.ended_at),
                        iso_local(sighting.seen_at, tz),
                        iso_local(sighting.ended_at, tz),
                        args["tz"],
                        sighting.verdict,
                        round(sighting.confidence, 4),
                        sighting.frames_seen,
                    )
                ]
            )
            if buf.tell() > 64_000:
                yield buf.getvalue()
                buf.seek(0)
                buf.truncate()
        yield buf.getvalue()

    return Response(
        stream_with_context(rows()),
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=sightings.csv"},
    )
