"""RETENTION_DAYS on SQLite and MariaDB: old sightings, finished jobs and their files go; recent ones and the
files of unfinished jobs stay. Also: no face pictures are written anywhere."""

from __future__ import annotations

import io
import os
import time
from datetime import timedelta
from pathlib import Path

from maskwatch.retention import RetentionSweeper, purge
from maskwatch.store import Job, Sighting, queries, utcnow
from maskwatch.store.database import db
from maskwatch.web.services import services_of
from maskwatch_testing.frames import people, scene

from ..conftest import encode

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".bmp"}


def _sighting(source_id, days_ago):
    when = utcnow() - timedelta(days=days_ago)
    return Sighting(source_id=source_id, seen_at=when, ended_at=when, verdict="mask", confidence=0.9, frames_seen=3)


def _job_with_files(instance: Path, days_ago: float, status: str) -> Job:
    files = []
    # as in production, the upload is named apart from the job's results (results/<job id>.mp4, .json)
    for folder, name in (
        ("uploads", f"upload-{status}{days_ago}.video"),
        ("results", f"{status}{days_ago}.mp4"),
        ("results", f"{status}{days_ago}.json"),
    ):
        path = instance / folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x")
        old = time.time() - days_ago * 86400
        os.utime(path, (old, old))
        files.append(str(path))
    return Job(
        kind="video",
        status=status,
        input_path=files[0],
        output_path=files[1],
        result_path=files[2],
        created_at=utcnow() - timedelta(days=days_ago),
    )


def _fill(app):
    instance = Path(app.instance_path)
    with app.app_context():
        source = queries.create_source("webcam", "door")
        db.session.add_all([_sighting(source.id, d) for d in (0, 5, 29, 31, 100)])
        jobs = {
            "old_done": _job_with_files(instance, 40, "done"),
            "old_running": _job_with_files(instance, 40, "running"),
            "new_done": _job_with_files(instance, 2, "done"),
        }
        db.session.add_all(jobs.values())
        db.session.commit()
        ids = {name: job.id for name, job in jobs.items()}
    orphan = instance / "uploads" / "orphan.video"  # a file no job points at (a crash mid-upload, say)
    orphan.write_bytes(b"x")
    os.utime(orphan, (time.time() - 50 * 86400,) * 2)
    return ids


def _left(app):
    with app.app_context():
        ages = sorted(
            round((utcnow() - s.seen_at).total_seconds() / 86400) for s in db.session.scalars(db.select(Sighting))
        )
        jobs = {
            j.status + ("_old" if (utcnow() - j.created_at).days > 30 else "_new")
            for j in db.session.scalars(db.select(Job))
        }
    files = {p.name for folder in ("uploads", "results") for p in (Path(app.instance_path) / folder).glob("*")}
    return ages, jobs, files


def test_purge_deletes_what_is_older_than_the_retention(app):
    _fill(app)
    report = purge(services_of(app), days=30)
    assert (report.sightings, report.jobs, report.files) == (2, 1, 4)  # 3 files of the old job + the orphan
    ages, jobs, files = _left(app)
    assert ages == [0, 5, 29]
    assert jobs == {"running_old", "done_new"}
    assert files == {
        "upload-running40.video",
        "running40.mp4",
        "running40.json",
        "upload-done2.video",
        "done2.mp4",
        "done2.json",
    }
    assert purge(services_of(app), days=0).sightings == 0  # retention off: nothing goes
    assert _left(app)[0] == [0, 5, 29]


def test_the_server_sweeps_by_itself(app):
    _fill(app)
    sweeper = RetentionSweeper(services_of(app), days=30, interval_s=0.2).start()
    try:
        deadline = time.monotonic() + 20
        while _left(app)[0] != [0, 5, 29] and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        sweeper.stop()
    assert _left(app)[0] == [0, 5, 29]


def test_maskwatch_purge_uses_the_setting(tmp_path, monkeypatch, capsys):
    from maskwatch import cli

    monkeypatch.setenv("MASKWATCH_INSTANCE", str(tmp_path / "instance"))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("RETENTION_DAYS", "0")
    assert cli.main(["purge"]) == 2
    assert "RETENTION_DAYS" in capsys.readouterr().err
    from maskwatch.config import Config
    from maskwatch.runtime import tool_app
    from maskwatch.store.database import upgrade_database

    app = tool_app(Config())
    upgrade_database(app.app_context)
    _fill(app)
    assert cli.main(["purge", "--days", "30"]) == 0
    assert "deleted 2 sightings, 1 jobs and 4 files" in capsys.readouterr().out


def test_no_face_pictures_are_kept_from_images_and_the_live_page(
    app, client, live_client, astronaut, grace_hopper, face_detector
):
    heads = people(astronaut, grace_hopper, face_detector)
    picture = encode(scene([(heads["astronaut"], 240, 150)]))
    answer = client.post("/api/images?annotate=true", data={"file": (io.BytesIO(picture), "me.jpg")})
    assert answer.status_code == 200 and len(answer.get_json()["faces"]) == 1
    live = live_client({"name": "desk"})
    for _ in range(3):
        live.emit("frame", picture, namespace="/live", callback=True)
    live.disconnect("/live")
    with app.app_context():
        assert len(list(db.session.scalars(db.select(Sighting)))) == 2
    written = [p for p in Path(app.instance_path).rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES]
    assert written == []
    blobs = [p for p in Path(app.instance_path).rglob("*") if p.is_file() and b"\xff\xd8\xff" in p.read_bytes()[:4]]
    assert blobs == []
