"""MTCNN fine-tuning pieces on made-up boxes, crops and scenes (no dataset needed)."""

import math

import cv2
import numpy as np
import pytest
import torch
from facenet_pytorch.models.utils.detect_face import bbreg

from maskwatch.paths import data_root
from maskwatch.training.mtcnn.command import parser
from maskwatch.training.mtcnn.fit import OHEM_KEEP, batch_losses, fit, flip_regs, train_one_epoch
from maskwatch.training.mtcnn.nets import INPUT_SIZE, NETS, logits_model, stock_nets
from maskwatch.training.mtcnn.samples import IGNORE, NEG, PART, POS, label_boxes, pixel_iou, pnet_samples, reg_targets
from maskwatch.training.scenes import Scene

GT = np.array([[1, 1, 100, 100]], np.float32)  # 100 x 100 pixels, 1-based inclusive


@pytest.mark.parametrize(
    "a, b, expected",
    [
        ([1, 1, 10, 10], [1, 1, 10, 10], 1.0),
        ([1, 1, 10, 10], [6, 1, 15, 10], 50 / 150),  # 5 shared columns of 10 pixels
        ([1, 1, 10, 10], [11, 1, 20, 10], 0.0),  # touching, no shared pixel
        ([1, 1, 1, 1], [1, 1, 1, 1], 1.0),  # a single pixel has area 1
    ],
)
def test_pixel_iou_counts_inclusive_pixels(a, b, expected):
    iou = pixel_iou(np.array([a], np.float32), np.array([b], np.float32))
    assert iou.dtype == np.float32 and iou.shape == (1, 1)
    assert iou[0, 0] == pytest.approx(expected, abs=1e-6)


@pytest.mark.parametrize(
    "width, label",
    [
        (100, POS),
        (65, POS),  # IoU 0.65 is positive
        (64, PART),
        (40, PART),  # 0.4 <= IoU < 0.65 is a part face
        (39, IGNORE),
        (30, IGNORE),  # 0.3 <= IoU < 0.4 is neither
        (29, NEG),
        (1, NEG),  # IoU < 0.3 is background
    ],
)
def test_label_boxes_by_iou_thresholds(width, label):
    box = np.array([[1, 1, width, 100]], np.float32)  # inside GT: IoU = width / 100
    assert pixel_iou(box, GT)[0, 0] == pytest.approx(width / 100)
    labels, _ = label_boxes(box, GT, pnet=False)
    assert labels.tolist() == [label]


def test_label_boxes_uses_the_best_face_and_all_negative_without_faces():
    gts = np.array([[1, 1, 100, 100], [201, 1, 300, 100]], np.float32)
    boxes = np.array([[211, 1, 300, 100], [1, 1, 90, 100], [101, 101, 150, 150]], np.float32)
    labels, regs = label_boxes(boxes, gts, pnet=False)
    assert labels.tolist() == [POS, POS, NEG]
    np.testing.assert_allclose(regs[:2], reg_targets(boxes[:2], gts[[1, 0]], pnet=False))
    labels, regs = label_boxes(boxes, np.zeros((0, 4), np.float32), pnet=False)
    assert labels.tolist() == [NEG] * 3 and not regs.any()


def random_box_pairs(n=50, seed=0):
    rng = np.random.default_rng(seed)
    boxes = rng.integers(1, 200, (n, 2)).astype(np.float32)
    boxes = np.concatenate([boxes, boxes + rng.integers(12, 90, (n, 2))], 1)
    gts = boxes + rng.uniform(-8, 8, (n, 4)).astype(np.float32)
    return boxes, gts


def pnet_regression(boxes, reg):
    """detect_face's first stage: new = box + reg * (x2 - x1), no +1."""
    w = boxes[:, 2] - boxes[:, 0]
    h = boxes[:, 3] - boxes[:, 1]
    return torch.stack(
        [
            boxes[:, 0] + reg[:, 0] * w,
            boxes[:, 1] + reg[:, 1] * h,
            boxes[:, 2] + reg[:, 2] * w,
            boxes[:, 3] + reg[:, 3] * h,
        ],
        1,
    )


@pytest.mark.parametrize(
    "pnet, apply",
    [
        (True, pnet_regression),
        (False, lambda boxes, reg: bbreg(boxes.clone(), reg)[:, :4]),
    ],
    ids=["pnet", "rnet-onet-bbreg"],
)
def test_regression_targets_round_trip(pnet, apply):
    boxes, gts = random_box_pairs()
    reg = reg_targets(boxes, gts, pnet)
    moved = apply(torch.from_numpy(boxes), torch.from_numpy(reg))
    np.testing.assert_allclose(moved.numpy(), gts, atol=1e-3)


@pytest.mark.parametrize("pnet", [True, False])
def test_flipped_targets_are_the_targets_of_the_mirrored_boxes(pnet):
    width = 320
    boxes, gts = random_box_pairs(seed=1)

    def mirror(b):  # 1-based inclusive pixels: column x goes to width + 1 - x
        return np.stack([width + 1 - b[:, 2], b[:, 1], width + 1 - b[:, 0], b[:, 3]], 1)

    flip = np.arange(len(boxes)) % 2 == 0
    reg = reg_targets(boxes, gts, pnet)
    flipped = flip_regs(reg, flip)
    np.testing.assert_allclose(flipped[flip], reg_targets(mirror(boxes), mirror(gts), pnet)[flip], atol=1e-6)
    np.testing.assert_array_equal(flipped[~flip], reg[~flip])
    np.testing.assert_array_equal(flip_regs(flipped, flip), reg)


def random_samples(name, n=12, seed=0):
    rng = np.random.default_rng(seed)
    size = INPUT_SIZE[name]
    x = rng.integers(0, 256, (n, 3, size, size)).astype(np.uint8)
    y = np.array([POS, NEG, PART] * (n // 3), np.int8)
    r = rng.uniform(-0.3, 0.3, (n, 4)).astype(np.float32)
    return x, y, r


@pytest.mark.parametrize("name", NETS)
def test_training_steps_change_weights_with_finite_losses(name):
    torch.manual_seed(0)
    net = stock_nets()[name]
    model = logits_model(net, name)
    before = [p.detach().clone() for p in model.parameters()]
    teacher = stock_nets()["onet"] if name == "onet" else None
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    data = random_samples(name)
    # Two steps: before the first the copy equals its teacher, so the landmark loss is 0 up to float noise
    # (which some CPUs give and others do not); after it, the landmark head has moved.
    losses = train_one_epoch(
        model, name, data, optimizer, np.random.default_rng(0), batch_size=len(data[1]) // 2, teacher=teacher
    )
    assert set(losses) == {"cls", "box", "lm", "acc"}
    assert all(math.isfinite(v) for v in losses.values())
    assert losses["cls"] > 0 and losses["box"] > 0 and (losses["lm"] > 0) == (name == "onet")
    assert any(not torch.equal(a, b) for a, b in zip(before, model.parameters()))
    # the stock net the copy was made from is untouched
    assert all(torch.equal(a, b) for a, b in zip(before, net.parameters()))


class FixedLogits(torch.nn.Module):
    """Stands in for R-Net: (box regression, classification logits) fixed in advance."""

    def __init__(self, logits):
        super().__init__()
        self.logits = logits

    def forward(self, x):
        return torch.zeros(len(x), 4), self.logits


@pytest.mark.parametrize("n_cls, n_part", [(10, 0), (10, 5), (3, 2), (1, 0)])
def test_ohem_keeps_the_hardest_70_percent_of_classification_terms(n_cls, n_part):
    assert OHEM_KEEP == 0.7
    rng = np.random.default_rng(n_cls)
    n = n_cls + n_part
    logits = torch.from_numpy(rng.normal(0, 2, (n, 2)).astype(np.float32))
    y = torch.tensor([POS, NEG] * n_cls)[:n_cls].tolist() + [PART] * n_part
    y = torch.tensor(y, dtype=torch.int64)
    x = torch.zeros(n, 3, 24, 24)
    _, parts = batch_losses(FixedLogits(logits), "rnet", x, y, torch.zeros(n, 4))
    ce = torch.nn.functional.cross_entropy(logits[:n_cls], y[:n_cls], reduction="none")
    kept = math.ceil(0.7 * n_cls)
    assert parts["cls"] == pytest.approx(float(ce.sort(descending=True).values[:kept].mean()), rel=1e-6)
    if kept < n_cls:
        assert parts["cls"] > float(ce.mean())


def test_pnet_samples_from_a_tiny_scene(tmp_path):
    rng = np.random.default_rng(0)
    path = tmp_path / "scene.png"
    cv2.imwrite(str(path), rng.integers(0, 256, (120, 160, 3)).astype(np.uint8))
    boxes = np.array([[40, 30, 79, 69], [120, 10, 124, 14]], np.float32)  # a face and one too small
    x, y, r = pnet_samples([Scene(path, boxes, ["mask", "no_mask"])], np.random.default_rng(0))
    assert x.shape[1:] == (3, 12, 12) and x.dtype == np.uint8 and len(x) == len(y) == len(r)
    assert set(y.tolist()) <= {POS, NEG, PART} and {POS, NEG} <= set(y.tolist())
    assert np.abs(r[y == POS]).max() < 0.5  # IoU >= 0.65: the face is close


def test_command_line_defaults():
    args = parser().parse_args([])
    assert parser().prog == "maskwatch tune-mtcnn"
    assert args.data == str(data_root())
    assert (args.nets, args.epochs, args.lr, args.seed, args.bench) == ("pnet,rnet,onet", 6, 5e-4, 0, False)


def test_a_resumed_fit_goes_on_from_the_last_checkpoint(tmp_path):
    data = random_samples("pnet", n=30)
    logged = []
    first = tmp_path / "first"
    first.mkdir()
    fit("pnet", stock_nets()["pnet"], data, data, 2, 1e-3, 0, first, logged.append)
    (first / "pnet_epoch2.pt").unlink()  # as if killed during epoch 2
    _, history, _ = fit("pnet", stock_nets()["pnet"], data, data, 2, 1e-3, 0, first, logged.append, resume=True)
    assert any("resumed after epoch 1" in line for line in logged)
    assert [h["epoch"] for h in history] == [0, 1, 2]
    assert sum("stock val" in line for line in logged) == 1  # epoch 0 was not evaluated again
    resumed = torch.load(first / "pnet_epoch2.pt", weights_only=False)

    straight = tmp_path / "straight"
    straight.mkdir()
    fit("pnet", stock_nets()["pnet"], data, data, 2, 1e-3, 0, straight, logged.append)
    uninterrupted = torch.load(straight / "pnet_epoch2.pt", weights_only=False)
    # same weights, optimizer moments and learning rate as a run that was never stopped
    for key, value in uninterrupted["state_dict"].items():
        assert torch.allclose(resumed["state_dict"][key], value, atol=1e-6), key
    lr = [g["lr"] for g in resumed["optimizer"]["param_groups"]]
    assert lr == [g["lr"] for g in uninterrupted["optimizer"]["param_groups"]]
