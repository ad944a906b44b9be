"""The shipped face detector (models/face_detector.onnx, trained here) on real fixture faces: small and
large, bare and masked, in one picture."""

from __future__ import annotations

import numpy as np
import pytest

from maskwatch.config import Config
from maskwatch.detection.factory import build_face_detector, operating_threshold
from maskwatch.detection.faces import PyramidFaceDetector
from maskwatch.detection.profiles import PICTURE, profiles_from_config
from maskwatch.paths import default_face_detector_path
from maskwatch.training.metrics import iou_matrix

from .crowd import background, crowd_picture


@pytest.fixture(scope="module")
def shipped() -> PyramidFaceDetector:
    path = default_face_detector_path()
    if not path.exists():
        pytest.fail(f"{path} is missing: the shipped face detector weights are part of the repository")
    return build_face_detector("pyramid")


@pytest.fixture(scope="module")
def crowd(astronaut, grace_hopper, face_detector):
    return crowd_picture(astronaut, grace_hopper, face_detector)


def picture_detector(**overrides) -> PyramidFaceDetector:
    options = profiles_from_config(vars(Config()))[PICTURE].detector_options()
    return build_face_detector("pyramid", **{**options, **overrides})


def test_every_face_small_and_large_masked_and_bare_is_found(crowd):
    canvas, faces = crowd
    found = picture_detector().detect(canvas)
    expected = np.array([box for box, _, _ in faces], np.float32)
    overlap = iou_matrix(expected, np.array([f.box for f in found], np.float32).reshape(-1, 4))
    best = overlap.max(1) if overlap.size else np.zeros(len(faces))
    missed = [(side, kind, round(float(b), 2)) for (_, side, kind), b in zip(faces, best) if b < 0.4]
    assert not missed, f"faces not found (side px, kind, best IoU): {missed}"


def test_every_box_lands_on_a_face_and_its_landmarks_inside_it(crowd):
    canvas, faces = crowd
    found = picture_detector().detect(canvas)
    expected = np.array([box for box, _, _ in faces], np.float32)
    overlap = iou_matrix(np.array([f.box for f in found], np.float32).reshape(-1, 4), expected)
    assert (overlap.max(1) >= 0.3).all(), f"boxes on no face: {[f.box for f, o in zip(found, overlap) if o.max() < 0.3]}"
    for face in found:
        x1, y1, x2, y2 = face.box
        pad = 0.1 * (x2 - x1)
        assert face.landmarks is not None and face.landmarks.shape == (5, 2)
        assert ((face.landmarks[:, 0] >= x1 - pad) & (face.landmarks[:, 0] <= x2 + pad)).all()
        assert ((face.landmarks[:, 1] >= y1 - pad) & (face.landmarks[:, 1] <= y2 + pad)).all()
        eyes_above_mouth = face.landmarks[:2, 1].mean() < face.landmarks[3:, 1].mean()
        assert eyes_above_mouth, f"landmarks upside down in {face.box}"


def test_the_operating_threshold_was_chosen_and_shown_faces_respect_it(shipped, crowd):
    threshold = operating_threshold(default_face_detector_path())
    assert 0.05 < threshold < 0.95
    assert shipped.min_score == threshold
    assert all(f.score >= threshold for f in shipped.detect(crowd[0]))


def test_the_onnx_and_torch_weights_agree(crowd):
    torch_weights = default_face_detector_path().with_suffix(".pt")
    assert torch_weights.exists(), "export-detector writes the state dict beside the ONNX file"
    by_onnx = PyramidFaceDetector(default_face_detector_path(), min_score=0.3).detect(crowd[0])
    by_torch = PyramidFaceDetector(torch_weights, min_score=0.3).detect(crowd[0])
    assert len(by_onnx) == len(by_torch) > 0
    overlap = iou_matrix(np.array([f.box for f in by_onnx], np.float32), np.array([f.box for f in by_torch], np.float32))
    assert (overlap.max(1) > 0.98).all()
    np.testing.assert_allclose(sorted(f.score for f in by_onnx), sorted(f.score for f in by_torch), atol=1e-3)


def test_no_face_in_a_picture_without_people():
    assert picture_detector().detect(background(480, 640, seed=3)) == []
