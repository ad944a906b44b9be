"""People per day / hour by verdict in the caller's time zone, and verdict shares.

Rows are bucketed in Python with zoneinfo rather than in SQL: SQLite and MariaDB share no time-zone
function (MariaDB's CONVERT_TZ needs tz tables loaded), and half-hour zones rule out UTC-hour buckets.
Only (seen_at, verdict) of the range is read.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from .errors import store_call
from .models import VERDICTS
from .queries import SightingFilter, seen_times_by_verdict, verdict_counts


def local_range_to_utc(start: date, end: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """Naive-UTC [start 00:00, day after end 00:00) of local dates start..end (inclusive)."""

    def to_utc(d: date) -> datetime:
        return datetime.combine(d, time(), tz).astimezone(UTC).replace(tzinfo=None)

    return to_utc(start), to_utc(end + timedelta(days=1))


def _empty_counts() -> dict[str, int]:
    return dict.fromkeys(VERDICTS, 0)


@store_call
def daily_counts(source_id: int | None, start: date, end: date, tz: ZoneInfo) -> list[dict]:
    """One entry per local day from start to end: {"date", "total", "mask", "no_mask", "incorrect", "unknown"}."""
    first, last = local_range_to_utc(start, end, tz)
    days = {start + timedelta(days=i): _empty_counts() for i in range((end - start).days + 1)}
    for seen_at, verdict in seen_times_by_verdict(SightingFilter(source_id, first, last)):
        day = seen_at.replace(tzinfo=UTC).astimezone(tz).date()
        if day in days:
            days[day][verdict] += 1
    return [{"date": d.isoformat(), "total": sum(c.values()), **c} for d, c in days.items()]


@store_call
def hourly_counts(source_id: int | None, start: date, end: date, tz: ZoneInfo) -> list[dict]:
    """One entry per local hour of start..end: {"hour": ISO start with offset, "total", counts...}."""
    first, last = local_range_to_utc(start, end, tz)
    hours: dict[datetime, dict[str, int]] = {}
    cursor = first.replace(tzinfo=UTC)
    while cursor < last.replace(tzinfo=UTC):  # UTC steps from local midnight: 23/25-hour days work
        hours[cursor] = _empty_counts()
        cursor += timedelta(hours=1)
    for seen_at, verdict in seen_times_by_verdict(SightingFilter(source_id, first, last)):
        local = seen_at.replace(tzinfo=UTC).astimezone(tz)
        bucket = local.replace(minute=0, second=0, microsecond=0).astimezone(UTC)
        if bucket in hours:
            hours[bucket][verdict] += 1
    return [{"hour": h.astimezone(tz).isoformat(), "total": sum(c.values()), **c} for h, c in hours.items()]


@store_call
def summary(source_id: int | None, start: date | None, end: date | None, tz: ZoneInfo) -> dict:
    """Totals per verdict and their shares (0-1) over the range; open ends when a date is None."""
    first = last = None
    if start is not None or end is not None:
        first, last = local_range_to_utc(start or date(1970, 1, 2), end or date(9998, 12, 30), tz)
        first, last = (first if start else None), (last if end else None)
    counts = verdict_counts(SightingFilter(source_id, first, last))
    total = sum(counts.values())
    return {
        "total": total,
        "counts": counts,
        "shares": {v: (round(n / total, 4) if total else 0.0) for v, n in counts.items()},
    }
