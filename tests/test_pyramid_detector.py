"""Our one-stage face detector's parts: point assignment, box coding, loss, ONNX export, the factory."""

import numpy as np
import pytest
import torch

from maskwatch.detection.faces import MtcnnFaceDetector, PyramidFaceDetector
from maskwatch.detection.factory import build_face_detector
from maskwatch.detection.pyramid_net import STRIDES, PyramidFaceNet, pad_frame, point_grid, select_faces
from maskwatch.training.detector.augment import flip, random_crop
from maskwatch.training.detector.export import export_onnx
from maskwatch.training.detector.targets import all_points, assign, detector_loss


def test_every_stride_has_one_output_row_per_point():
    outputs = PyramidFaceNet().eval()(torch.zeros(1, 3, 96, 160))
    assert [o.shape[1] for o in outputs] == [(96 // s) * (160 // s) for s in STRIDES]
    assert all(o.shape[2] == 15 for o in outputs)


def test_frames_are_padded_to_a_multiple_of_32():
    assert pad_frame(np.ones((100, 70, 3), np.uint8)).shape == (128, 96, 3)
    assert pad_frame(np.ones((64, 64, 3), np.uint8)).shape == (64, 64, 3)


def _strides_of(points, assigned, face):
    return sorted({int(points[i, 2]) for i in np.flatnonzero(assigned == face)})


def test_small_faces_get_stride_4_points_and_big_ones_coarse_points():
    points = all_points(320)
    boxes = np.float32([[100, 100, 108, 108], [10, 150, 110, 250]])
    assigned, ignore = assign(points, boxes, np.zeros((0, 4), np.float32))
    assert _strides_of(points, assigned, 0) == [4]
    assert _strides_of(points, assigned, 1) == [32]
    assert not ignore.any()


def test_points_on_too_small_faces_are_ignored_not_negative():
    points = all_points(320)
    assigned, ignore = assign(points, np.zeros((0, 4), np.float32), np.float32([[50, 50, 53, 53]]))
    assert (assigned < 0).all()
    assert ignore.sum() >= 1
    near = np.flatnonzero(ignore)
    assert (np.abs(points[near, 0] - 51.5) < 8).all()


def _encoded(points, boxes, assigned):
    """Raw outputs that encode each positive point's face exactly (score logit high)."""
    raw = np.zeros((len(points), 15), np.float32)
    raw[:, 0] = -8
    for i in np.flatnonzero(assigned >= 0):
        x1, y1, x2, y2 = boxes[assigned[i]]
        px, py, s = points[i]
        raw[i] = [
            8,
            ((x1 + x2) / 2 - px) / s,
            ((y1 + y2) / 2 - py) / s,
            np.log((x2 - x1) / s),
            np.log((y2 - y1) / s),
            *([0] * 10),
        ]
    return raw


def test_decoding_recovers_encoded_faces_after_nms():
    points = all_points(320)
    boxes = np.float32([[100, 100, 112, 114], [10, 150, 110, 250], [200, 20, 240, 60]])
    assigned, _ = assign(points, boxes, np.zeros((0, 4), np.float32))
    raw = _encoded(points, boxes, assigned)
    grids = point_grid(320, 320)
    splits = np.cumsum([len(g) for g in grids])[:-1]
    scores, found, _ = select_faces(np.split(raw, splits), grids, 0.5, 0.4, 1000)
    assert len(found) == 3
    order = np.argsort(found[:, 0])
    np.testing.assert_allclose(found[order], boxes[np.argsort(boxes[:, 0])], atol=1e-3)


def test_the_box_loss_is_zero_when_the_outputs_encode_the_faces():
    points = all_points(320)
    boxes = np.float32([[100, 100, 112, 114], [10, 150, 110, 250]])
    assigned, ignore = assign(points, boxes, np.zeros((0, 4), np.float32))
    pos = assigned >= 0
    target_boxes = np.zeros((len(points), 4), np.float32)
    target_boxes[pos] = boxes[assigned[pos]]
    landmarks = np.full((len(points), 10), np.nan, np.float32)
    exact = torch.from_numpy(_encoded(points, boxes, assigned))[None]
    args = (
        torch.from_numpy(points),
        torch.from_numpy(target_boxes)[None],
        torch.from_numpy(landmarks)[None],
        torch.from_numpy(pos)[None],
        torch.from_numpy(ignore)[None],
    )
    good = detector_loss(exact, *args)
    bad = exact.clone()
    bad[..., 3:5] += 0.7
    assert float(good["box"]) < 1e-3
    assert float(detector_loss(bad, *args)["box"]) > 0.1


def test_crops_and_flips_move_boxes_and_landmarks_with_the_pixels():
    image = np.zeros((200, 300, 3), np.uint8)
    image[50:90, 100:140] = 255
    box = np.float32([[100, 50, 140, 90]])
    landmarks = np.float32([[[110, 60], [130, 60], [120, 70], [112, 80], [128, 80]]])
    rng = np.random.default_rng(3)
    view, boxes, lms, _ = random_crop(image, box, landmarks, 160, rng, scale_range=(1.5, 1.5))  # holds the whole image
    assert len(boxes) == 1
    x1, y1, x2, y2 = boxes[0].round().astype(int)
    assert view[y1 + 2 : y2 - 2, x1 + 2 : x2 - 2].min() > 200
    flipped, fboxes, flms = flip(view, boxes, lms)
    assert (
        flipped[int(fboxes[0, 1]) + 2 : int(fboxes[0, 3]) - 2, int(fboxes[0, 0]) + 2 : int(fboxes[0, 2]) - 2].min()
        > 200
    )
    assert flms[0, 0, 0] < flms[0, 1, 0]  # the left eye stays on the left


@pytest.fixture(scope="module")
def random_weights(tmp_path_factory):
    torch.manual_seed(0)
    net = PyramidFaceNet().eval()
    with torch.no_grad():
        for head in net.heads:
            head[-1].bias[0] = 0.0  # candidates everywhere, so the comparison has faces to compare
    folder = tmp_path_factory.mktemp("detector")
    torch.save(net.state_dict(), folder / "net.pt")
    export_onnx(folder / "net.pt", folder / "net.onnx")
    return folder


def test_onnx_and_torch_paths_agree(random_weights, astronaut):
    by_torch = PyramidFaceDetector(random_weights / "net.pt", min_score=0.3)
    by_onnx = PyramidFaceDetector(random_weights / "net.onnx", min_score=0.3)
    frame = pad_frame(astronaut)[None]
    for a, b in zip(by_torch.raw_outputs(frame), by_onnx.raw_outputs(frame)):
        np.testing.assert_allclose(a, b, atol=1e-4)
    faces = by_torch.detect(astronaut)
    assert len(faces) > 0
    assert len(faces) == len(by_onnx.detect(astronaut))


def test_faces_below_min_face_size_are_dropped(random_weights, astronaut):
    faces = PyramidFaceDetector(random_weights / "net.onnx", min_score=0.3, min_face_size=30).detect(astronaut)
    assert all(f.size >= 30 for f in faces)


def test_the_factory_builds_the_named_detector(random_weights):
    (random_weights / "net.json").write_text('{"operating_threshold": 0.7}')
    pyramid = build_face_detector("pyramid", weights=random_weights / "net.onnx")
    assert isinstance(pyramid, PyramidFaceDetector) and pyramid.min_score == 0.7
    assert isinstance(build_face_detector("mtcnn", min_face_size=40), MtcnnFaceDetector)
    with pytest.raises(ValueError, match="unknown detector"):
        build_face_detector("yolo")


def test_the_cli_honours_the_detector_choice(random_weights, monkeypatch):
    from maskwatch.cli import build_detector, parser

    (random_weights / "net.json").write_text('{"operating_threshold": 0.7}')
    monkeypatch.setenv("FACE_DETECTOR_PATH", str(random_weights / "net.onnx"))
    args = parser().parse_args(["detect", "x.jpg", "--detector", "pyramid"])
    assert isinstance(build_detector(args).face_detector, PyramidFaceDetector)
    args = parser().parse_args(["detect", "x.jpg", "--detector", "mtcnn"])
    assert isinstance(build_detector(args).face_detector, MtcnnFaceDetector)


def test_training_draws_each_source_by_its_share_and_without_wider_by_the_others():
    from types import SimpleNamespace

    from maskwatch.training.detector.train import SOURCE_SHARES, sample_weights

    scenes = [SimpleNamespace(source=s) for s in ["kaggle"] * 10 + ["adityap27"] * 5 + ["wider"] * 100]
    weights = sample_weights(scenes)
    for source, share in SOURCE_SHARES.items():
        drawn = float(sum(w for w, sc in zip(weights, scenes) if sc.source == source))
        assert drawn == pytest.approx(share)
    without_wider = sample_weights([sc for sc in scenes if sc.source != "wider"])
    assert float(without_wider.sum()) == pytest.approx(1.0)
    assert float(without_wider[:10].sum()) == pytest.approx(SOURCE_SHARES["kaggle"] / (1 - SOURCE_SHARES["wider"]))
