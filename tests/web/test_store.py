"""Store and migrations on SQLite and MariaDB: named queries, time-zone statistics, schema up and down."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from maskwatch.store import queries, stats
from maskwatch.store.database import db
from maskwatch.store.queries import SightingFilter

TABLES = {"sources", "sightings", "jobs", "users", "api_tokens", "login_sessions", "uploads"}


@dataclass
class Person:
    seen_at: datetime
    ended_at: datetime
    verdict: str
    confidence: float = 0.9
    frames_seen: int = 10


def person(when: str, verdict: str = "mask") -> Person:
    moment = datetime.fromisoformat(when)
    return Person(moment, moment, verdict)


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield


def tables() -> set[str]:
    return set(sa.inspect(db.engine).get_table_names()) - {"alembic_version"}


def test_migrations_upgrade_and_downgrade(make_app):
    app = make_app(upgrade=False)
    with app.app_context():
        assert tables() == set()
        upgrade()
        assert tables() == TABLES
        downgrade(revision="base")
        assert tables() == set()
        upgrade()
        assert tables() == TABLES
        source = queries.create_source("webcam", "desk")
        assert queries.add_sightings(source.id, [person("2026-01-01T10:00:00")]) == 1


def test_the_flask_db_commands_downgrade_and_upgrade(app, runner):
    assert runner.invoke(args=["db", "downgrade", "base"]).exit_code == 0
    with app.app_context():
        assert tables() == set()
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    with app.app_context():
        assert tables() == TABLES


def test_fractional_seconds_survive_the_round_trip(ctx):
    source = queries.create_source("webcam", "desk")
    queries.add_sightings(source.id, [person("2026-01-01T10:00:00.250000")])
    items, _ = queries.sightings_page(SightingFilter(), 1, 10)
    assert items[0].seen_at == datetime(2026, 1, 1, 10, 0, 0, 250000)


def test_sightings_page_newest_first_with_filters(ctx):
    a, b = queries.create_source("webcam", "a"), queries.create_source("video", "b")
    queries.add_sightings(a.id, [person(f"2026-01-01T10:0{i}:00", "mask" if i % 2 else "no_mask") for i in range(7)])
    queries.add_sightings(b.id, [person("2026-01-01T11:00:00")])
    items, total = queries.sightings_page(SightingFilter(source_id=a.id), page=2, per_page=3)
    assert total == 7
    assert [s.seen_at.minute for s in items] == [3, 2, 1]
    _, masked = queries.sightings_page(SightingFilter(verdict="mask"), 1, 10)
    assert masked == 4
    window = SightingFilter(start=datetime(2026, 1, 1, 10, 2), end=datetime(2026, 1, 1, 10, 5))
    assert queries.sightings_page(window, 1, 10)[1] == 3


def test_deleting_a_source_deletes_its_sightings(ctx):
    a, b = queries.create_source("webcam", "a"), queries.create_source("webcam", "b")
    queries.add_sightings(a.id, [person("2026-01-01T10:00:00")] * 2)
    queries.add_sightings(b.id, [person("2026-01-01T10:00:00")])
    queries.delete_source(a)
    assert [s.name for s in queries.list_sources()] == ["b"]
    assert queries.sightings_page(SightingFilter(), 1, 10)[1] == 1


def test_source_named_reuses_the_first_match(ctx):
    first = queries.source_named("image", "uploads")
    assert queries.source_named("image", "uploads").id == first.id
    assert queries.source_named("webcam", "uploads").id != first.id


def test_daily_counts_follow_the_callers_time_zone(ctx):
    source = queries.create_source("webcam", "door")
    queries.add_sightings(
        source.id,
        [
            person("2026-03-01T22:30:00", "mask"),  # Paris: 23:30 on the 1st
            person("2026-03-01T23:30:00", "no_mask"),  # Paris: 00:30 on the 2nd
            person("2026-03-02T12:00:00", "incorrect"),
        ],
    )
    utc = stats.daily_counts(None, date(2026, 3, 1), date(2026, 3, 2), ZoneInfo("UTC"))
    paris = stats.daily_counts(source.id, date(2026, 3, 1), date(2026, 3, 2), ZoneInfo("Europe/Paris"))
    assert [(d["date"], d["total"]) for d in utc] == [("2026-03-01", 2), ("2026-03-02", 1)]
    assert [(d["date"], d["mask"], d["no_mask"], d["incorrect"]) for d in paris] == [
        ("2026-03-01", 1, 0, 0),
        ("2026-03-02", 0, 1, 1),
    ]


def test_hourly_counts_in_a_half_hour_zone_and_on_a_dst_day(ctx):
    source = queries.create_source("webcam", "door")
    queries.add_sightings(source.id, [person("2026-03-29T04:40:00"), person("2026-03-29T05:10:00")])
    kolkata = stats.hourly_counts(None, date(2026, 3, 29), date(2026, 3, 29), ZoneInfo("Asia/Kolkata"))
    assert len(kolkata) == 24
    busy = {h["hour"]: h["total"] for h in kolkata if h["total"]}
    assert busy == {"2026-03-29T10:00:00+05:30": 2}  # 10:10 and 10:40 local
    paris = stats.hourly_counts(None, date(2026, 3, 29), date(2026, 3, 29), ZoneInfo("Europe/Paris"))
    assert len(paris) == 23  # clocks go forward that night
    assert {h["hour"]: h["total"] for h in paris if h["total"]} == {
        "2026-03-29T06:00:00+02:00": 1,
        "2026-03-29T07:00:00+02:00": 1,
    }


def test_summary_shares(ctx):
    source = queries.create_source("webcam", "door")
    queries.add_sightings(source.id, [person("2026-01-01T10:00:00", v) for v in ("mask", "mask", "mask", "no_mask")])
    result = stats.summary(None, None, None, ZoneInfo("UTC"))
    assert result["total"] == 4
    assert result["counts"] == {"mask": 3, "no_mask": 1, "incorrect": 0, "unknown": 0}
    assert result["shares"]["mask"] == 0.75
    assert stats.summary(None, date(2026, 1, 2), None, ZoneInfo("UTC"))["total"] == 0


def test_a_restart_requeues_the_jobs_left_behind_or_fails_them_with_the_reason(ctx, tmp_path):
    """What prepare_database does with them (a real server killed mid-job: test_restart.py)."""
    upload = tmp_path / "kept.video"
    upload.write_bytes(b"video")
    source = queries.create_source("video", "clip")

    def job(status: str, runs: int, path) -> str:
        job_id = queries.create_job("video", source.id, str(path)).id
        for _ in range(runs):
            queries.start_job(job_id, datetime(2026, 1, 1))
        queries.update_job(job_id, status=status, progress=0.5)
        return job_id

    never_started, started_once, started_twice = (
        job("queued", 0, upload),
        job("running", 1, upload),
        job("running", 2, upload),
    )
    upload_gone, finished = job("running", 1, tmp_path / "deleted.video"), job("done", 1, upload)
    assert queries.recover_interrupted_jobs(max_attempts=2) == [never_started, started_once]
    db.session.expire_all()
    state = {
        i: (
            queries.get_job(i).status,
            queries.get_job(i).progress,
            queries.get_job(i).attempts,
            queries.get_job(i).error,
        )
        for i in (never_started, started_once, started_twice, upload_gone, finished)
    }
    assert state == {
        never_started: ("queued", 0.0, 0, None),
        started_once: ("queued", 0.0, 1, None),
        started_twice: ("failed", 0.5, 2, "interrupted by a server restart twice"),
        upload_gone: ("failed", 0.5, 1, "its upload is gone"),
        finished: ("done", 0.5, 1, None),
    }
    assert all(queries.get_job(i).finished_at for i in (started_twice, upload_gone))
    assert queries.recover_interrupted_jobs(max_attempts=1) == [never_started]
    assert queries.get_job(started_once).error == "interrupted by a server restart once"
