"""The same file counts once (SQLite and MariaDB): a picture or video uploaded again is answered from its first
upload and adds no sightings, unless count_again=true; a deleted source, a deleted job or retention lets it
count again."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

from maskwatch.retention import purge
from maskwatch.store.database import db
from maskwatch.store.models import Upload, utcnow
from maskwatch.web.services import services_of

from ..conftest import encode
from .jobs import wait_for_job
from .test_api import upload
from .test_jobs_api import clip


def people_of(client, source_id: int) -> int:
    return client.get(f"/api/sightings?source_id={source_id}").get_json()["total"]


def test_the_same_picture_twice_counts_its_people_once(client, grace_hopper):
    photo = encode(grace_hopper, "JPEG")
    first = upload(client, photo, "hopper.jpg").get_json()
    assert first["sightings"] == 1 and "already_counted" not in first
    again = upload(client, photo, "hopper (1).jpg", "?annotate=true").get_json()
    assert again["sightings"] == 0 and again["faces"] == first["faces"]
    assert again["already_counted"]["file_name"] == "hopper.jpg" and again["already_counted"]["sightings"] == 1
    assert again["annotated"].startswith("data:image/jpeg;base64,")
    assert people_of(client, first["source_id"]) == 1

    counted = upload(client, photo, "hopper.jpg", "?count_again=true").get_json()
    assert counted["sightings"] == 1 and "already_counted" not in counted
    assert people_of(client, first["source_id"]) == 2
    other = upload(client, encode(grace_hopper, "PNG"), "hopper.png").get_json()  # other bytes: another upload
    assert other["sightings"] == 1


def test_a_picture_counts_again_once_its_source_is_gone(client, grace_hopper):
    photo = encode(grace_hopper, "JPEG")
    first = upload(client, photo).get_json()
    assert client.delete(f"/api/sources/{first['source_id']}").status_code == 204
    again = upload(client, photo).get_json()
    assert again["sightings"] == 1 and "already_counted" not in again


def test_retention_forgets_uploads_with_their_sightings(app, client, grace_hopper):
    photo = encode(grace_hopper, "JPEG")
    upload(client, photo)
    with app.app_context():
        old = utcnow() - timedelta(days=40)
        db.session.execute(sa.update(Upload).values(created_at=old))
        db.session.commit()
    purge(services_of(app), days=30)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Upload)) == 0
    assert upload(client, photo).get_json()["sightings"] == 1


def post_video(client, data: bytes, name: str, query: str = ""):
    return client.post(
        f"/api/videos{query}", data={"file": (io.BytesIO(data), name)}, content_type="multipart/form-data"
    )


def test_the_same_video_twice_is_one_job(app, client, astronaut, tmp_path):
    data = clip(astronaut, tmp_path / "door.mp4", 20)
    first = post_video(client, data, "door.mp4")
    assert first.status_code == 202
    job = wait_for_job(client, first.get_json()["id"])
    again = post_video(client, data, "door copy.mp4")
    assert again.status_code == 200
    body = again.get_json()
    assert body["id"] == job["id"] and body["already_counted"]["file_name"] == "door.mp4"
    assert [j["id"] for j in client.get("/api/jobs").get_json()] == [job["id"]]
    assert len(list((Path(app.instance_path) / "uploads").glob("*.video"))) == 1  # the copy was not kept
    assert people_of(client, job["source_id"]) == 1

    counted = post_video(client, data, "door.mp4", "?count_again=true")
    assert counted.status_code == 202 and counted.get_json()["id"] != job["id"]
    wait_for_job(client, counted.get_json()["id"])
    assert client.delete(f"/api/jobs/{job['id']}").status_code == 204
    assert client.delete(f"/api/jobs/{counted.get_json()['id']}").status_code == 204
    assert post_video(client, data, "door.mp4").status_code == 202  # its jobs are gone: it counts again
