"""The sighting spool on its own and against SQLite and MariaDB: durable across a killed process, bounded,
exactly once when a flush dies between its insert and its delete, sources resolved when written, and
uploads answered while the database is unreachable. (MariaDB stopped under a live client: test_outage.py.)"""

from __future__ import annotations

import io
import logging
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from maskwatch.store import Sighting, Source, queries
from maskwatch.store.database import db
from maskwatch.store.recording import SightingRecorder
from maskwatch.store.spool import SPOOL_FILE, SightingSpool, SourceRef, SpooledSighting
from maskwatch.web.services import services_of

from ..conftest import encode

UNREACHABLE = "mysql+pymysql://nobody:x@127.0.0.1:1/none"  # nothing listens on port 1: refused at once


@dataclass
class Person:
    seen_at: datetime
    ended_at: datetime
    verdict: str = "no_mask"
    confidence: float = 0.8
    frames_seen: int = 7


def people(n: int, start: int = 0) -> list[Person]:
    first = datetime(2026, 5, 1, 9, 0, 0, 250000)
    return [
        Person(first + timedelta(minutes=start + i), first + timedelta(minutes=start + i, seconds=4)) for i in range(n)
    ]


def spooled(source: SourceRef, n: int, start: int = 0) -> list[SpooledSighting]:
    return [SpooledSighting.of(source, p) for p in people(n, start)]


def sighting_rows() -> list[tuple]:
    return list(
        db.session.execute(
            sa.select(Sighting.source_id, Sighting.seen_at, Sighting.spool_key).order_by(Sighting.seen_at)
        )
    )


# --- the file alone ------------------------------------------------------------------------------


def test_an_acknowledged_row_survives_a_killed_process(tmp_path):
    path = tmp_path / SPOOL_FILE
    child = textwrap.dedent(f"""
        import os, sys
        from datetime import datetime
        from types import SimpleNamespace
        from maskwatch.store.spool import SightingSpool, SourceRef, SpooledSighting
        spool = SightingSpool({str(path)!r})
        person = SimpleNamespace(seen_at=datetime(2026, 5, 1, 9), ended_at=datetime(2026, 5, 1, 9, 0, 4),
                                 verdict="mask", confidence=0.9, frames_seen=3)
        spool.put([SpooledSighting.of(SourceRef(kind="webcam", name="door"), person)])
        os._exit(9)  # no close, no checkpoint: what SIGKILL leaves
    """)
    assert subprocess.run([sys.executable, "-c", child]).returncode == 9
    (row,) = SightingSpool(path).oldest()
    assert (row.source, row.verdict, row.frames_seen, row.seen_at) == (
        SourceRef(None, "webcam", "door"),
        "mask",
        3,
        datetime(2026, 5, 1, 9),
    )


def test_the_spool_is_bounded_and_drops_the_oldest_with_a_warning(tmp_path, caplog):
    spool = SightingSpool(tmp_path / SPOOL_FILE, max_rows=3)
    rows = spooled(SourceRef(1), 5)
    with caplog.at_level(logging.WARNING, logger="maskwatch.store.spool"):
        spool.put(rows[:2])
        spool.put(rows[2:])
    assert [r.spool_key for r in spool.oldest()] == [r.spool_key for r in rows[2:]]
    assert (len(spool), spool.dropped) == (3, 2)
    assert "dropped the 2 oldest" in caplog.text
    reopened = SightingSpool(tmp_path / SPOOL_FILE, max_rows=3)  # the counter is kept in the file
    assert (len(reopened), reopened.dropped) == (3, 2)


def test_rows_keep_their_times_and_come_out_oldest_first(tmp_path):
    spool = SightingSpool(tmp_path / SPOOL_FILE)
    rows = spooled(SourceRef(4, "webcam", "desk"), 3)
    spool.put(rows)
    assert spool.oldest(2) == rows[:2]
    spool.remove(rows[:2])
    assert spool.oldest() == rows[2:]


# --- flushing into the database (SQLite and MariaDB) ----------------------------------------------


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield app


class DiesBeforeTheDelete(SightingSpool):
    """The spool of a process that is killed after the database insert committed, before the rows left the spool."""

    def remove(self, rows):
        raise SystemExit("killed")


def test_a_flush_killed_between_insert_and_delete_counts_everyone_once(ctx, tmp_path):
    source = queries.create_source("webcam", "door")
    path = tmp_path / "spools" / SPOOL_FILE
    first = SightingRecorder(ctx.instance_path, ctx.config, ctx.app_context, DiesBeforeTheDelete(path))
    first.spool.put(spooled(SourceRef(source.id), 3))
    with pytest.raises(SystemExit):
        first.flush()
    assert len(sighting_rows()) == 3 and len(SightingSpool(path)) == 3  # in the database and still spooled
    restarted = SightingRecorder(ctx.instance_path, ctx.config, ctx.app_context, SightingSpool(path))
    restarted.spool.put(spooled(SourceRef(source.id), 2, start=10))  # people the new process spooled meanwhile
    assert restarted.flush() == 2
    rows = sighting_rows()
    assert len(rows) == 5 and len({key for _, _, key in rows}) == 5
    assert len(restarted.spool) == 0 and restarted.flush() == 0
    assert {seen_at.microsecond for _, seen_at, _ in rows} == {250000}  # times survive the detour


def test_a_flush_resolves_sources_by_id_then_by_kind_and_name(ctx, tmp_path):
    gone = queries.create_source("webcam", "old")
    kept = queries.create_source("camera", "gate")  # after `gone`: SQLite must not give gone's id to a new source
    queries.delete_source(gone)
    recorder = SightingRecorder(ctx.instance_path, ctx.config, ctx.app_context, SightingSpool(tmp_path / SPOOL_FILE))
    recorder.spool.put(
        spooled(SourceRef(kept.id), 1)
        + spooled(SourceRef(kind="webcam", name="late"), 2)
        + spooled(SourceRef(gone.id, "webcam", "old"), 1)
        + spooled(SourceRef(gone.id), 1)
    )
    assert recorder.flush() == 4  # the last one's source was deleted with its sightings: it goes too
    names = dict(db.session.execute(sa.select(Source.id, Source.name)).all())
    counts = {}
    for source_id, _, _ in sighting_rows():
        counts[names[source_id]] = counts.get(names[source_id], 0) + 1
    assert counts == {"gate": 1, "late": 2, "old": 1}
    assert len(recorder.spool) == 0


@pytest.mark.parametrize("database_url", ["mariadb"], indirect=True)  # SQLite keeps any string in a VARCHAR(16)
def test_a_row_the_database_refuses_is_dropped_and_counted_and_holds_nobody_back(ctx, tmp_path):
    source = queries.create_source("webcam", "door")
    recorder = SightingRecorder(ctx.instance_path, ctx.config, ctx.app_context, SightingSpool(tmp_path / SPOOL_FILE))
    moment = datetime(2026, 5, 1, 9, 30)
    refused = SpooledSighting.of(SourceRef(source.id), Person(moment, moment, verdict="x" * 40))
    recorder.spool.put(spooled(SourceRef(source.id), 2) + [refused] + spooled(SourceRef(source.id), 1, start=5))
    assert recorder.flush() == 3
    assert (len(sighting_rows()), len(recorder.spool), recorder.spool.dropped) == (3, 0, 1)


def test_while_rows_wait_new_ones_queue_behind_them(ctx):
    source = queries.create_source("webcam", "door")
    recorder = services_of().recorder
    recorder.flusher.stop()  # this test flushes by hand
    recorder.spool.put(spooled(SourceRef(source.id), 1))
    recorded = services_of().recorder.record(SourceRef(source.id), people(2, start=5))
    assert (recorded.written, recorded.waiting) == (0, 2) and sighting_rows() == []
    assert recorder.flush() == 3
    assert (
        services_of().recorder.record(SourceRef(source.id), people(1, start=9)).written == 1
    )  # empty spool: straight in
    assert len(sighting_rows()) == 4


# --- a database that does not answer --------------------------------------------------------------


def upload(client, jpeg: bytes):
    return client.post("/api/images", data={"file": (io.BytesIO(jpeg), "face.jpg")}, content_type="multipart/form-data")


def test_an_upload_while_the_database_is_unreachable_answers_and_its_sightings_wait(make_app, astronaut, grace_hopper):
    from maskwatch.web.server import prepare_database

    # never reached, the database cannot say whether access control is on: it is, and uploads are made public
    down = make_app(upgrade=False, SQLALCHEMY_DATABASE_URI=UNREACHABLE, UPLOADS_PUBLIC=True)
    client = down.test_client()
    response = upload(client, encode(astronaut))
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert len(body["faces"]) == 1 and (body["sightings"], body["sightings_waiting"], body["source_id"]) == (0, 1, None)
    assert upload(client, encode(grace_hopper)).get_json()["sightings_waiting"] == 1
    health = client.get("/api/health")
    assert health.status_code == 503 and health.get_json()["sightings_waiting"] == 2
    services_of(down).recorder.close()  # the process ends with its rows in the spool file

    back = make_app(upgrade=False)  # the next start, on the same instance folder, with its database back
    prepare_database(back)
    with back.app_context():
        (uploads,) = [s for s in queries.list_sources() if s.name == "uploads"]
        assert [(r[0], r[2] is not None) for r in sighting_rows()] == [(uploads.id, True)] * 2
    assert back.test_client().get("/api/health").get_json()["sightings_waiting"] == 0
