"""Rows are serialised one way (store.serialization): the API's answers and the jobs' events are those dumps."""

from __future__ import annotations

from maskwatch.publishing import CollectingPublisher
from maskwatch.store import queries
from maskwatch.store.serialization import JobSchema, SourceSchema


def test_a_source_answers_its_schema_dump_and_only_cameras_show_camera_fields(app, client):
    with app.app_context():
        picture = queries.create_source("image", "photos")
        camera = queries.create_source("camera", "gate", "rtsp://user:secret@10.0.0.5/stream?pass=x", 5)
        dumps = {row.id: SourceSchema().dump(row) for row in (picture, camera)}
    for source_id, dumped in dumps.items():
        assert client.get(f"/api/sources/{source_id}").get_json() == dumped
    assert "camera" not in dumps[picture.id] and "url_masked" not in dumps[picture.id]
    shown = dumps[camera.id]
    assert shown["camera"] == {"state": "stopped", "error": None, "since": None, "enabled": False}
    assert "secret" not in shown["url_masked"] and shown["has_url"] is True and shown["created_at"].endswith("Z")
    listed = client.get("/api/cameras").get_json()
    assert [{k: v for k, v in c.items() if k != "watch"} for c in listed] == [shown]
    assert listed[0]["watch"]["data"] == {"camera_id": camera.id}


def test_a_jobs_event_is_what_its_route_answers(app, client):
    from maskwatch.jobs.video import publish

    with app.app_context():
        source = queries.create_source("video", "clips")
        job = queries.create_job("video", source.id, "/nowhere.mp4")
        events = CollectingPublisher()
        publish(job.id, events)
        dumped = JobSchema().dump(queries.get_job(job.id))
    assert events.named("job") == [dumped]
    assert client.get(f"/api/jobs/{job.id}").get_json() == dumped
    assert dumped["status"] == "queued" and dumped["video_url"] is None and dumped["attempts"] == 0
