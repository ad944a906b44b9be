"""Synthetic masks: target points, placements, template warping, the file pipeline."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from matplotlib import cbook
from PIL import Image

skimage_data = pytest.importorskip("skimage.data")

from maskwatch.detection.types import Face  # noqa: E402
from maskwatch.paths import data_root  # noqa: E402
from maskwatch.training.synth import (  # noqa: E402
    PLACEMENTS,
    MaskTemplate,
    choose_view,
    draw_plain_mask,
    load_templates,
    load_textures,
    mask_target_points,
    put_mask,
    synthesize_files,
)

# Which landmarks each placement must cover: (nose tip, mouth corners).
COVERS = {
    "correct": (True, True),
    "nose_uncovered": (False, True),
    "chin": (False, False),
}


def _grace_hopper() -> np.ndarray:
    with cbook.get_sample_data("grace_hopper.jpg") as f:
        return np.array(Image.open(f).convert("RGB"))


@pytest.fixture(scope="module")
def faces():
    """name -> (image, landmarks) of the largest face found by the real MTCNN."""
    from maskwatch.detection.faces import MtcnnFaceDetector

    detector = MtcnnFaceDetector()
    out = {}
    for name, image in (("astronaut", skimage_data.astronaut()), ("grace_hopper", _grace_hopper())):
        found = [f for f in detector.detect(image) if f.landmarks is not None]
        assert found, f"MTCNN found no face in {name}"
        face = max(found, key=lambda f: f.size)
        out[name] = (image, np.asarray(face.landmarks, np.float32), face)
    return out


@pytest.fixture
def square_template() -> MaskTemplate:
    """A small opaque green trapezoid template with anchors on its outline."""
    rgba = np.zeros((60, 100, 4), np.uint8)
    outline = np.array([[0, 10], [50, 0], [99, 10], [94, 50], [50, 59], [5, 50]], np.int32)
    cv2.fillPoly(rgba, [outline], (0, 255, 0, 255))
    anchors = np.array([[0, 10], [50, 0], [99, 10], [5, 50], [50, 59], [94, 50]], np.float32)
    return MaskTemplate("test", "front", rgba, anchors)


def _inside(points: np.ndarray, p) -> bool:
    poly = points[[0, 1, 2, 5, 4, 3]].astype(np.float32).reshape(-1, 1, 2)
    return cv2.pointPolygonTest(poly, (float(p[0]), float(p[1])), False) > 0


def _patch_change(a: np.ndarray, b: np.ndarray, centre, radius: int) -> float:
    x, y = (int(round(v)) for v in centre)
    sl = (slice(y - radius, y + radius + 1), slice(x - radius, x + radius + 1))
    return float(np.abs(a[sl].astype(int) - b[sl].astype(int)).mean())


@pytest.mark.parametrize("name", ["astronaut", "grace_hopper"])
@pytest.mark.parametrize("placement", PLACEMENTS)
def test_target_points_ordered_and_inside(faces, name, placement):
    image, lm, _ = faces[name]
    pts = mask_target_points(lm, placement)
    assert pts.shape == (6, 2) and pts.dtype == np.float32
    a, b, c, d, e, f = pts
    assert a[0] < b[0] < c[0] and d[0] < e[0] < f[0]
    assert max(a[1], b[1], c[1]) < min(d[1], e[1], f[1])
    h, w = image.shape[:2]
    assert (pts >= 0).all() and (pts[:, 0] < w).all() and (pts[:, 1] < h).all()


@pytest.mark.parametrize("name", ["astronaut", "grace_hopper"])
@pytest.mark.parametrize("placement", PLACEMENTS)
def test_placement_covers(faces, name, placement):
    _, lm, _ = faces[name]
    pts = mask_target_points(lm, placement)
    nose_covered, mouth_covered = COVERS[placement]
    assert _inside(pts, lm[2]) == nose_covered
    assert _inside(pts, lm[3]) == mouth_covered
    assert _inside(pts, lm[4]) == mouth_covered
    assert not _inside(pts, lm[0]) and not _inside(pts, lm[1])


def test_placements_move_down(faces):
    _, lm, _ = faces["astronaut"]
    tops = [mask_target_points(lm, p)[1, 1] for p in PLACEMENTS]
    assert tops == sorted(tops)


def test_target_points_follow_roll_scale_shift(faces):
    _, lm, _ = faces["astronaut"]
    angle = np.deg2rad(25)
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    moved = (lm @ rot.T) * 0.5 + np.array([40.0, -7.0])
    for placement in PLACEMENTS:
        expected = (mask_target_points(lm, placement) @ rot.T) * 0.5 + np.array([40.0, -7.0])
        np.testing.assert_allclose(mask_target_points(moved, placement), expected, atol=1e-3)


def test_unknown_placement(faces):
    with pytest.raises(ValueError):
        mask_target_points(faces["astronaut"][1], "forehead")


FRONTAL = np.array([[40, 50], [80, 50], [60, 75], [45, 95], [75, 95]], np.float32)


@pytest.mark.parametrize(
    "nose_x, view",
    [(60, "front"), (63, "front"), (50, "left"), (70, "right")],
)
def test_choose_view(nose_x, view):
    lm = FRONTAL.copy()
    lm[2, 0] = nose_x
    assert choose_view(lm) == view


def test_turned_face_is_wider_on_the_near_side():
    lm = FRONTAL.copy()
    lm[2, 0] = 50  # nose toward the image-left eye: the image-right cheek faces the camera
    a, b, c = mask_target_points(lm, "correct")[:3]
    assert (c[0] - b[0]) > 2 * (b[0] - a[0])


def test_astronaut_is_frontal(faces):
    assert choose_view(faces["astronaut"][1]) == "front"


@pytest.mark.parametrize("placement", PLACEMENTS)
def test_put_mask_covers_mouth_not_eyes(faces, square_template, placement):
    image, lm, _ = faces["astronaut"]
    before = image.copy()
    out = put_mask(image, lm, square_template, placement)
    np.testing.assert_array_equal(image, before)
    assert out.shape == image.shape and out.dtype == np.uint8
    for eye in lm[:2]:
        assert _patch_change(image, out, eye, 4) == 0
    mouth = lm[3:].mean(axis=0)
    nose_covered, mouth_covered = COVERS[placement]
    # small radius: on this 512 px picture the nose tip is ~12 px above the mouth line
    assert (_patch_change(image, out, mouth, 1) > 20) == mouth_covered
    assert (_patch_change(image, out, lm[2], 0) > 20) == nose_covered
    # the test template is pure green: covered pixels turn green
    if mouth_covered:
        x, y = np.round(mouth).astype(int)
        r, g, bl = out[y, x].astype(int)
        assert g > r + 40 and g > bl + 40


def test_put_mask_texture_colour_and_rng(faces, square_template):
    image, lm, _ = faces["astronaut"]
    plain = put_mask(image, lm, square_template)
    stripes = np.zeros((8, 8, 3), np.uint8)
    stripes[::2] = (255, 0, 0)
    textured = put_mask(image, lm, square_template, texture=stripes)
    recoloured = put_mask(image, lm, square_template, colour=(0, 0, 255))
    x, y = np.round(lm[3:].mean(axis=0)).astype(int)
    assert not np.array_equal(plain, textured)
    assert recoloured[y, x, 2] > recoloured[y, x, 1]
    jittered = [put_mask(image, lm, square_template, rng=np.random.default_rng(s)) for s in (0, 0, 1)]
    np.testing.assert_array_equal(jittered[0], jittered[1])
    assert not np.array_equal(jittered[0], jittered[2])


def test_put_mask_face_at_border(faces, square_template):
    image, lm, _ = faces["astronaut"]
    shifted = lm + np.array([-200.0, 0.0], np.float32)  # face half out of the picture
    out = put_mask(image, shifted, square_template)
    assert out.shape == image.shape


@pytest.mark.parametrize("placement", PLACEMENTS)
def test_draw_plain_mask(faces, placement):
    image, lm, _ = faces["grace_hopper"]
    before = image.copy()
    colour = (255, 0, 255)
    out = draw_plain_mask(image, lm, placement, colour=colour)
    np.testing.assert_array_equal(image, before)
    nose_covered, mouth_covered = COVERS[placement]
    for point, covered in ((lm[2], nose_covered), (lm[3], mouth_covered), (lm[4], mouth_covered)):
        x, y = np.round(point).astype(int)
        assert (tuple(out[y, x]) == colour) == covered
    for eye in lm[:2]:
        assert _patch_change(image, out, eye, 4) == 0


class _FakeDetector:
    """Returns the astronaut's face for pictures of the astronaut's size, nothing otherwise."""

    def __init__(self, face: Face, shape):
        self.face, self.shape = face, shape

    def detect(self, rgb):
        return [self.face] if rgb.shape == self.shape else []


def test_synthesize_files(tmp_path, faces, square_template):
    image, _, face = faces["astronaut"]
    src = tmp_path / "src"
    src.mkdir()
    with_face = src / "astro.png"
    cv2.imwrite(str(with_face), cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
    no_face = src / "blank.png"
    cv2.imwrite(str(no_face), np.zeros((50, 60, 3), np.uint8))
    detector = _FakeDetector(face, image.shape)
    left = MaskTemplate("test_left", "left", square_template.rgba, square_template.anchors)
    textures = [np.full((8, 8, 3), 128, np.uint8)]

    rows = synthesize_files(
        [with_face, no_face, src / "missing.jpg"],
        tmp_path / "out",
        detector,
        [square_template, left],
        textures,
        per_image=4,
        seed=3,
    )
    assert len(rows) == 4
    for k, row in enumerate(rows):
        assert row["source"] == str(with_face)
        assert row["placement"] in PLACEMENTS
        assert row["template"] == "test"  # the frontal face gets the front template
        assert Path(row["output"]) == tmp_path / "out" / row["placement"] / f"astro_{k}.jpg"
        written = cv2.imread(row["output"])
        assert written is not None and written.shape == image.shape
        assert row["box"] == pytest.approx(list(face.box), abs=0.1)
    json.dumps(rows)  # manifest rows are plain JSON

    again = synthesize_files(
        [with_face], tmp_path / "again", detector, [square_template, left], textures, per_image=4, seed=3
    )
    assert [r["placement"] for r in again] == [r["placement"] for r in rows]

    only_chin = synthesize_files(
        [with_face], tmp_path / "chin", detector, [square_template], [], placements=("chin",), per_image=2
    )
    assert {r["placement"] for r in only_chin} == {"chin"}


def test_synthesize_skips_landmarks_outside_picture(tmp_path, faces, square_template):
    image, lm, face = faces["astronaut"]
    path = tmp_path / "astro.png"
    cv2.imwrite(str(path), cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
    bad = Face(face.box, face.score, lm + np.array([0.0, 400.0], np.float32))
    assert synthesize_files([path], tmp_path / "out", _FakeDetector(bad, image.shape), [square_template], []) == []


def test_synthesize_draws_only_placements_in_view(tmp_path, faces, square_template):
    image, lm, face = faces["astronaut"]
    chin_y = mask_target_points(lm, "chin")[4, 1]
    cut = image[: int(round(mask_target_points(lm, "correct")[4, 1])) + 3]  # picture ends under the mask
    assert cut.shape[0] < chin_y
    path = tmp_path / "cut.png"
    cv2.imwrite(str(path), cv2.cvtColor(cut, cv2.COLOR_RGB2BGR))
    rows = synthesize_files(
        [path], tmp_path / "out", _FakeDetector(face, cut.shape), [square_template], [], per_image=12
    )
    assert len(rows) == 12 and "chin" not in {r["placement"] for r in rows}


MASKTHEFACE = data_root() / "masktheface"


@pytest.mark.skipif(not (MASKTHEFACE / "masks.cfg").exists(), reason="masktheface data not on this machine")
def test_real_templates(faces):
    templates = load_templates(MASKTHEFACE)
    assert len(templates) >= 20
    assert {t.view for t in templates} == {"front", "left", "right"}
    for t in templates:
        assert t.rgba.ndim == 3 and t.rgba.shape[2] == 4 and t.anchors.shape == (6, 2)
        a, b, c = t.anchors[:3]
        # choose_view relies on this: "_left" templates have the nose bridge toward image-left
        if t.view == "left":
            assert b[0] - a[0] < c[0] - b[0], t.name
        elif t.view == "right":
            assert b[0] - a[0] > c[0] - b[0], t.name
    textures = load_textures(MASKTHEFACE)
    assert textures and all(x.ndim == 3 and x.shape[2] == 3 for x in textures)

    image, lm, _ = faces["astronaut"]
    front = next(t for t in templates if t.name == "surgical")
    out = put_mask(image, lm, front, "correct", rng=np.random.default_rng(0), texture=textures[0])
    assert _patch_change(image, out, lm[3:].mean(axis=0), 2) > 10
    # the template's top edge rises between nose bridge and cheek corners, up to just under the eyes
    assert _patch_change(image, out, lm[0], 2) == 0
