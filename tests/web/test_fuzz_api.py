"""Fuzzing the upload routes and /live with hypothesis, and the whole API with schemathesis against
its OpenAPI document; SQLite only, one app per module (it must keep answering after every input).

Short and deterministic in CI (maskwatch_testing.fuzzing); HYPOTHESIS_PROFILE=long (benchmarks/fuzz.py) runs more.
"""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import imageio_ffmpeg
import pytest
import schemathesis
from hypothesis import given
from hypothesis import strategies as st

from maskwatch.web.extensions import socketio
from maskwatch.web.live import LIVE_NAMESPACE
from maskwatch_testing.fuzzing import (
    IMAGE_MAGIC,
    MEDIA_ERROR_CODES,
    any_image_bytes,
    fuzz,
    image_seeds,
    magic_then_noise,
    mutated_bytes,
    socket_values,
)

from .sqlite_app import sqlite_app

IMAGE_STATUSES = {200, 400, 413, 415}
VIDEO_STATUSES = {200, 202, 400, 413, 415}  # 200: the same bytes were uploaded before: their job
#: Checks schemathesis skips: its "positive data acceptance" wants 2xx for any schema-valid request,
#: but uploads are judged by their content (random bytes are rightly 415), and the test app has no account
#: (login answers auth_disabled).
SKIPPED_CHECKS = [schemathesis.checks.positive_data_acceptance]
#: Operations schemathesis leaves alone: starting a camera makes a worker dial the fuzzed URL.
SKIPPED_PATHS = ("/api/cameras/{source_id}/start",)

file_names = st.one_of(
    st.sampled_from(
        ["photo.jpg", "clip.mp4", "../../etc/passwd", "a\x00b.png", "", ".", "x" * 300, "con.jpg", "é\u202e.gif"]
    ),
    st.text(max_size=40),
)


@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory, mask_detector):
    with sqlite_app(
        tmp_path_factory.mktemp("fuzz"), mask_detector, MAX_UPLOAD_MB=1, MAX_VIDEO_MB=1, MAX_VIDEO_SECONDS=10.0
    ) as app:
        yield app


def post_file(client, route: str, data: bytes, name: str, query: str = ""):
    return client.post(route + query, data={"file": (io.BytesIO(data), name)}, content_type="multipart/form-data")


def assert_json_error(response):
    body = response.get_json()
    assert set(body) <= {"error", "message", "details"} and body["error"] and body["message"], body


@fuzz(examples=60)
@given(data=any_image_bytes(), name=file_names, annotate=st.booleans())
def test_image_uploads_get_a_result_or_a_clear_4xx(fuzz_app, data, name, annotate):
    response = post_file(fuzz_app.test_client(), "/api/images", data, name, f"?annotate={str(annotate).lower()}")
    assert response.status_code in IMAGE_STATUSES, response.get_json()
    if response.status_code == 200:
        assert {"faces", "width", "height"} <= set(response.get_json())
    else:
        assert_json_error(response)
        assert response.get_json()["error"] in MEDIA_ERROR_CODES | {"invalid_request"}  # no file name: no file


@pytest.fixture(scope="module")
def video_seed(tmp_path_factory) -> bytes:
    path = tmp_path_factory.mktemp("seed") / "seed.mp4"
    subprocess.run(
        [
            imageio_ffmpeg.get_ffmpeg_exe(),
            "-hide_banner",
            "-loglevel",
            "error",
            "-f",
            "lavfi",
            "-i",
            "testsrc=s=32x24:r=5:d=1",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            str(path),
        ],
        check=True,
    )
    return path.read_bytes()


@fuzz(examples=25)
@given(data=st.data(), name=file_names)
def test_video_uploads_get_a_job_or_a_clear_4xx_and_refusals_leave_no_file(fuzz_app, video_seed, data, name):
    body = data.draw(st.one_of(mutated_bytes([video_seed]), magic_then_noise(IMAGE_MAGIC), st.binary(max_size=1024)))
    folder = Path(fuzz_app.instance_path) / "uploads"
    before = set(folder.glob("*")) if folder.exists() else set()
    response = post_file(fuzz_app.test_client(), "/api/videos", body, name)
    assert response.status_code in VIDEO_STATUSES, response.get_json()
    kept = set(folder.glob("*")) - before
    if response.status_code == 202:
        assert len(kept) == 1 and response.get_json()["status"] in ("queued", "running", "done", "failed")
    elif response.status_code == 200:  # a copy of an earlier upload keeps no file of its own
        assert response.get_json()["already_counted"] and kept == set()
    else:
        assert_json_error(response)
        assert kept == set()


@fuzz(examples=40)
@given(
    body=st.binary(max_size=2048),
    boundary=st.sampled_from(["x", "----abc", "", "a" * 80]),
    route=st.sampled_from(["/api/images", "/api/videos"]),
)
def test_raw_request_bodies_get_a_4xx(fuzz_app, body, boundary, route):
    """Not even multipart: a missing file field, a broken boundary, garbage."""
    response = fuzz_app.test_client().post(route, data=body, content_type=f"multipart/form-data; boundary={boundary}")
    assert 400 <= response.status_code < 500 and response.status_code != 404
    assert_json_error(response)


@fuzz(examples=60)
@given(message=st.one_of(socket_values(), mutated_bytes(image_seeds())))
def test_live_frames_of_any_shape_get_an_answer(fuzz_app, message):
    live = socketio.test_client(fuzz_app, namespace=LIVE_NAMESPACE, flask_test_client=fuzz_app.test_client())
    try:
        answer = live.emit("frame", message, namespace=LIVE_NAMESPACE, callback=True)
        assert isinstance(answer, dict)
        assert "faces" in answer or (answer["error"] in MEDIA_ERROR_CODES and answer["message"]), answer
    finally:
        live.disconnect(LIVE_NAMESPACE)


# --- schemathesis: every operation against the OpenAPI document ----------------------------------


def test_every_operation_conforms_to_the_openapi_document(fuzz_app):
    """No 5xx, documented status codes and content types, bodies matching the response schemas.

    One app for all operations (created sources, tokens and jobs stay for the next ones); examples per
    operation from the fuzz profile. Failures of all operations are gathered, then reported together.
    """
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", fuzz_app)
    failures, operations = [], 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.path in SKIPPED_PATHS:
            continue
        operations += 1

        @fuzz(examples=12)
        @given(case=operation.as_strategy())
        def run(case):
            case.call_and_validate(excluded_checks=SKIPPED_CHECKS)

        try:
            run()
        except (Exception, BaseExceptionGroup) as exc:  # schemathesis reports a FailureGroup
            failures.append(f"{operation.label}: {exc}")
    assert operations > 20
    assert not failures, "\n\n".join(failures)
