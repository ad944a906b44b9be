"""Big pictures with bounded memory. PICTURE_MAX_SIDE: a picture is scaled down before detection and the
answer's boxes are in its own pixels. IMAGE_PIXELS_AT_ONCE: the pixels of pictures in work are capped over
all requests, so concurrent big uploads wait for each other (and are refused as busy past IMAGE_WAIT_S)
instead of adding up in memory."""

from __future__ import annotations

import base64
import io
import threading

import cv2
import numpy as np
import pytest

from maskwatch.media import MediaError, PixelBudget
from maskwatch.web.api.images import PIXEL_BUDGET_KEY
from maskwatch_testing.faces import ASTRONAUT_FACE

from ..conftest import encode


@pytest.fixture
def database_url(tmp_path) -> str:
    """SQLite only: the budget is about the upload route, not the database."""
    return f"sqlite:///{tmp_path / 'maskwatch.db'}"


def post_picture(client, data: bytes):
    return client.post(
        "/api/images", data={"file": (io.BytesIO(data), "photo.jpg")}, content_type="multipart/form-data"
    )


def test_a_hold_waits_for_the_pixels_another_one_has():
    budget = PixelBudget(100, wait_s=10)
    second_started = threading.Event()
    second_in = threading.Event()

    def second():
        second_started.set()
        with budget.hold(60):
            second_in.set()

    with budget.hold(60):
        thread = threading.Thread(target=second)
        thread.start()
        second_started.wait(5)
        assert not second_in.wait(0.3)  # 60 + 60 is over 100: it waits
        assert budget.in_use == 60
    assert second_in.wait(5)
    thread.join(5)
    assert budget.in_use == 0


def test_pictures_that_fit_together_run_together_and_a_huge_one_runs_alone():
    budget = PixelBudget(100, wait_s=0.1)
    with budget.hold(40), budget.hold(60):
        assert budget.in_use == 100
        with pytest.raises(MediaError) as refused:
            with budget.hold(1):
                pass
        assert refused.value.code == "busy"
    with budget.hold(10_000):  # larger than the budget: it takes all of it, alone
        assert budget.in_use == 100
    assert budget.in_use == 0


def test_the_pixels_are_given_back_when_the_work_fails():
    budget = PixelBudget(100, wait_s=0.1)
    with pytest.raises(RuntimeError):
        with budget.hold(100):
            raise RuntimeError("detector failed")
    assert budget.in_use == 0


def test_an_upload_is_busy_while_other_pictures_take_the_budget(make_app, astronaut):
    app = make_app(IMAGE_PIXELS_AT_ONCE=astronaut.shape[0] * astronaut.shape[1], IMAGE_WAIT_S=0.2)
    client = app.test_client()
    budget = app.extensions[PIXEL_BUDGET_KEY]
    photo = encode(astronaut)
    with budget.hold(1):  # another request is working on a picture
        refused = post_picture(client, photo)
    assert refused.status_code == 503
    assert refused.get_json()["error"] == "busy"
    assert refused.headers["Retry-After"] == "2"
    answered = post_picture(client, photo)  # the budget is free again
    assert answered.status_code == 200
    assert len(answered.get_json()["faces"]) == 1
    assert budget.in_use == 0


def test_an_upload_waits_for_the_budget_and_then_is_answered(make_app, astronaut):
    app = make_app(IMAGE_PIXELS_AT_ONCE=astronaut.shape[0] * astronaut.shape[1], IMAGE_WAIT_S=30)
    budget = app.extensions[PIXEL_BUDGET_KEY]
    answers = []
    with budget.hold(1):
        thread = threading.Thread(target=lambda: answers.append(post_picture(app.test_client(), encode(astronaut))))
        thread.start()
        thread.join(0.5)
        assert not answers  # it cannot be answered while the budget is taken
    thread.join(60)
    assert answers[0].status_code == 200 and len(answers[0].get_json()["faces"]) == 1


def test_a_broken_picture_is_refused_before_it_takes_any_pixels(make_app):
    app = make_app(IMAGE_WAIT_S=0.1)
    budget = app.extensions[PIXEL_BUDGET_KEY]
    with budget.hold(budget.max_pixels):  # the budget is all taken: only the checks can answer
        answer = post_picture(app.test_client(), b"\xff\xd8\xff" + b"\x00" * 64)
    assert answer.status_code == 400 and answer.get_json()["error"] == "corrupt"


def iou(a, b) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - ix * iy
    return ix * iy / union


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_a_picture_over_PICTURE_MAX_SIDE_is_detected_scaled_and_answered_in_its_own_pixels(make_app, astronaut, fmt):
    big = cv2.resize(astronaut, (1536, 1536), interpolation=cv2.INTER_CUBIC)  # 3x: the face is about 270x345
    app = make_app(PICTURE_MAX_SIDE=512)
    answer = app.test_client().post(
        "/api/images?annotate=true",
        data={"file": (io.BytesIO(encode(big, fmt)), "big")},
        content_type="multipart/form-data",
    )
    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    assert (body["width"], body["height"]) == (1536, 1536)
    (face,) = body["faces"]
    assert iou(face["box"], [3 * v for v in ASTRONAUT_FACE]) > 0.6  # in the big picture's pixels
    assert face["verdict"] == "no_mask"
    annotated = cv2.imdecode(
        np.frombuffer(base64.b64decode(body["annotated"].split(",", 1)[1]), np.uint8), cv2.IMREAD_COLOR
    )
    assert annotated.shape[:2] == (512, 512)  # drawn on the scaled-down picture that was searched
