"""GET /api/stats/daily, /hourly, /summary: people by verdict in the caller's time zone."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from ...store import stats
from .errors import ApiError
from .parser import Blueprint
from .schemas import DailyStatsSchema, ErrorSchema, HourlyStatsSchema, StatsQuerySchema, SummarySchema
from .sources import source_or_404

bp = Blueprint("stats", __name__, url_prefix="/api/stats", description="Counts for the dashboard")

MAX_DAYS = {"daily": 366, "hourly": 31}
DEFAULT_DAYS = {"daily": 7, "hourly": 1}


def known_source(args: dict) -> None:
    if args["source_id"] is not None:
        source_or_404(args["source_id"])


def date_range(args: dict, kind: str):
    """(start, end, tz) with defaults: end today (local), start DEFAULT_DAYS before; capped at MAX_DAYS."""
    known_source(args)
    tz = ZoneInfo(args["tz"])
    end = args["end"] or datetime.now(tz).date()
    start = args["start"] or end - timedelta(days=DEFAULT_DAYS[kind] - 1)
    if (end - start).days + 1 > MAX_DAYS[kind]:
        raise ApiError(400, "range_too_long", f"{kind} statistics cover at most {MAX_DAYS[kind]} days")
    return start, end, tz


@bp.route("/daily")
@bp.arguments(StatsQuerySchema, location="query")
@bp.alt_response(404, schema=ErrorSchema, description="no source source_id")
@bp.response(200, DailyStatsSchema)
def daily(args):
    """People per local day and verdict (default: the last 7 days)."""
    start, end, tz = date_range(args, "daily")
    return {"tz": args["tz"], "days": stats.daily_counts(args["source_id"], start, end, tz)}


@bp.route("/hourly")
@bp.arguments(StatsQuerySchema, location="query")
@bp.alt_response(404, schema=ErrorSchema, description="no source source_id")
@bp.response(200, HourlyStatsSchema)
def hourly(args):
    """People per local hour and verdict (default: today)."""
    start, end, tz = date_range(args, "hourly")
    return {"tz": args["tz"], "hours": stats.hourly_counts(args["source_id"], start, end, tz)}


@bp.route("/summary")
@bp.arguments(StatsQuerySchema, location="query")
@bp.alt_response(404, schema=ErrorSchema, description="no source source_id")
@bp.response(200, SummarySchema)
def summary(args):
    """Totals and shares per verdict (the pie chart); all time unless start/end are given."""
    known_source(args)
    return {"tz": args["tz"], **stats.summary(args["source_id"], args["start"], args["end"], ZoneInfo(args["tz"]))}
