"""The shipped face detector (models/face_detector.onnx, trained here) on real fixture faces: small and
large, bare and masked, in one picture."""

from __future__ import annotations

import numpy as np
import pytest

from maskwatch.config import Config
from maskwatch.detection.faces import PyramidFaceDetector
from maskwatch.detection.factory import build_face_detector, operating_threshold
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


def _matches(found, faces):
    """For each face, the detection that overlaps it most and that IoU (-1, 0.0 when none does)."""
    expected = np.array([box for box, _, _ in faces], np.float32)
    overlap = iou_matrix(expected, np.array([f.box for f in found], np.float32).reshape(-1, 4))
    if not overlap.size:
        return [(-1, 0.0)] * len(faces)
    return [(int(row.argmax()), float(row.max())) for row in overlap]


def _min_iou(side: int) -> float:
    # a 12 px face is 1-2 px off by rounding alone, and its box was drawn at another scale
    return 0.3 if side <= 20 else 0.4


def test_every_face_small_and_large_masked_and_bare_is_found(crowd):
    canvas, faces = crowd
    matches = _matches(picture_detector().detect(canvas), faces)
    missed = [(side, kind, round(iou, 2)) for (_, side, kind), (_, iou) in zip(faces, matches) if iou < _min_iou(side)]
    assert not missed, f"faces not found (side px, kind, best IoU): {missed}"


def test_each_face_box_lands_on_its_face_with_its_landmarks_inside(crowd):
    canvas, faces = crowd
    found = picture_detector().detect(canvas)
    for (box, side, kind), (index, _) in zip(faces, _matches(found, faces)):
        face = found[index]
        cx, cy = (face.box[0] + face.box[2]) / 2, (face.box[1] + face.box[3]) / 2
        assert box[0] <= cx <= box[2] and box[1] <= cy <= box[3], f"{side} px {kind}: {face.box} is off {box}"
        x1, y1, x2, y2 = face.box
        pad = 0.1 * (x2 - x1)
        assert face.landmarks is not None and face.landmarks.shape == (5, 2)
        assert ((face.landmarks[:, 0] >= x1 - pad) & (face.landmarks[:, 0] <= x2 + pad)).all()
        assert ((face.landmarks[:, 1] >= y1 - pad) & (face.landmarks[:, 1] <= y2 + pad)).all()
        assert face.landmarks[:2, 1].mean() < face.landmarks[3:, 1].mean(), f"landmarks upside down in {face.box}"


def test_at_most_one_box_is_on_no_face(crowd):
    # The one mistake this picture draws from it: the badge on Grace Hopper's navy cap (about 0.5).
    canvas, faces = crowd
    found = picture_detector().detect(canvas)
    matched = {index for index, iou in _matches(found, faces) if iou > 0}
    strays = [f.box for i, f in enumerate(found) if i not in matched]
    assert len(strays) <= 1, f"boxes on no face: {strays}"


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
    overlap = iou_matrix(
        np.array([f.box for f in by_onnx], np.float32), np.array([f.box for f in by_torch], np.float32)
    )
    assert (overlap.max(1) > 0.98).all()
    np.testing.assert_allclose(sorted(f.score for f in by_onnx), sorted(f.score for f in by_torch), atol=1e-3)


def test_no_face_in_a_picture_without_people():
    assert picture_detector().detect(background(480, 640, seed=3)) == []
