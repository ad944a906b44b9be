"""The upload route at its default settings (the app builds its own detectors from config, as `make run`
does) answers a picture of small faces with every one of them; the server builds the detector DETECTOR names."""

from __future__ import annotations

import io

import numpy as np
import pytest

from maskwatch.config import DEFAULT_DETECTOR, DETECTORS
from maskwatch.detection.profiles import PICTURE, STREAM
from maskwatch.training.metrics import iou_matrix
from maskwatch.web.services import services_of

from ..conftest import encode
from ..crowd import crowd_picture


@pytest.fixture
def default_app(make_app):
    return make_app(builds_detector=DEFAULT_DETECTOR)


@pytest.mark.parametrize("name", DETECTORS)
def test_the_server_builds_the_detector_named_by_DETECTOR_for_both_profiles(make_app, name):
    app = make_app(builds_detector=name)
    service = services_of(app).detector
    assert {service.detector_name(profile) for profile in (PICTURE, STREAM)} == {name}
    assert app.test_client().get("/api/health").get_json()["detector"] == name


def test_an_uploaded_picture_of_12_to_20_px_faces_is_answered_with_all_of_them(
    default_app, astronaut, grace_hopper, face_detector
):
    picture, faces = crowd_picture(astronaut, grace_hopper, face_detector, large=())
    response = default_app.test_client().post(
        "/api/images",
        data={"file": (io.BytesIO(encode(picture, "PNG")), "crowd.png")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    body = response.get_json()
    assert body["min_face_px"] <= 12
    expected = np.array([box for box, _, _ in faces], np.float32)
    answered = np.array([f["box"] for f in body["faces"]], np.float32).reshape(-1, 4)
    overlap = iou_matrix(expected, answered)
    missed = [side for (_, side, _), row in zip(faces, overlap) if not row.size or row.max() < 0.4]
    assert not missed, f"faces of these widths were not answered: {missed}"
    assert body["sightings"] == len(body["faces"])
