"""Labelled training samples from the training scenes, as in the MTCNN paper.

A sample is a uint8 crop (3,S,S), a label (POS, PART, NEG) by its best IoU with the ground truth
and the box-regression target that moves it onto that face in facenet-pytorch's encoding. A set of
samples is the tuple (crops (K,3,S,S) uint8, labels (K,) int8, targets (K,4) float32).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..metrics import face_size, iou_matrix
from ..scenes import Scene
from .cascade import stage_candidates
from .crops import SceneImage, crop_boxes, crop_scene, upscaled_box
from .nets import INPUT_SIZE

POS_IOU, PART_IOU, NEG_IOU = 0.65, 0.4, 0.3
MIN_FACE = 8  # faces below this (sqrt(w*h), pixels) are not sampled
POS, NEG, PART = 1, 0, -1
IGNORE = 127


def pixel_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU (float32 (N,M)) of 1-based inclusive pixel boxes a (N,4) vs b (M,4), i.e. areas with +1:
    the continuous IoU of the boxes grown by one pixel to the right and bottom."""

    def grown(boxes):
        out = np.asarray(boxes, np.float64).reshape(-1, 4).copy()
        out[:, 2:] += 1
        return out

    return iou_matrix(grown(a), grown(b)).astype(np.float32)


def reg_targets(boxes: np.ndarray, gts: np.ndarray, pnet: bool) -> np.ndarray:
    """Offsets that move `boxes` onto `gts` in facenet-pytorch's encoding: widths x2 - x1 for P-Net,
    x2 - x1 + 1 for R/O-Net's bbreg (see the package doc)."""
    w = boxes[:, 2] - boxes[:, 0] + (0 if pnet else 1)
    h = boxes[:, 3] - boxes[:, 1] + (0 if pnet else 1)
    w = np.maximum(w, 1e-3)
    h = np.maximum(h, 1e-3)
    return np.stack(
        [
            (gts[:, 0] - boxes[:, 0]) / w,
            (gts[:, 1] - boxes[:, 1]) / h,
            (gts[:, 2] - boxes[:, 2]) / w,
            (gts[:, 3] - boxes[:, 3]) / h,
        ],
        1,
    ).astype(np.float32)


def label_boxes(boxes: np.ndarray, gts: np.ndarray, pnet: bool) -> tuple[np.ndarray, np.ndarray]:
    """(labels, reg targets) for candidate boxes by max IoU with the ground truth: POS >= POS_IOU,
    PART in [PART_IOU, POS_IOU), NEG < NEG_IOU, IGNORE in between. Targets point at the best face."""
    labels = np.full(len(boxes), IGNORE, np.int8)
    regs = np.zeros((len(boxes), 4), np.float32)
    if len(boxes) == 0:
        return labels, regs
    if len(gts) == 0:
        labels[:] = NEG
        return labels, regs
    ious = pixel_iou(boxes, gts)
    best = ious.argmax(1)
    top = ious[np.arange(len(boxes)), best]
    labels[top < NEG_IOU] = NEG
    labels[(top >= PART_IOU) & (top < POS_IOU)] = PART
    labels[top >= POS_IOU] = POS
    regs[:] = reg_targets(boxes, gts[best], pnet)
    return labels, regs


def _face_boxes(scene: Scene) -> np.ndarray:
    return scene.boxes[face_size(scene.boxes) >= MIN_FACE]


def jitter_squares(
    gt: np.ndarray, rng: np.random.Generator, n: int, spread: float, size_lo: float, size_hi: float
) -> np.ndarray:
    """Square integer boxes around one ground-truth box (sizes relative to max(w, h))."""
    x1, y1, x2, y2 = gt
    w, h = x2 - x1 + 1, y2 - y1 + 1
    cx, cy, m = (x1 + x2) / 2, (y1 + y2) / 2, max(w, h)
    s = np.maximum(6, np.round(m * rng.uniform(size_lo, size_hi, n)))
    dx = rng.uniform(-spread, spread, n) * w
    dy = rng.uniform(-spread, spread, n) * h
    bx1 = np.round(cx + dx - s / 2)
    by1 = np.round(cy + dy - s / 2)
    return np.stack([bx1, by1, bx1 + s - 1, by1 + s - 1], 1).astype(np.float32)


def pnet_samples(
    scenes: list[Scene], rng: np.random.Generator, per_face: int = 36, near_neg: int = 10, rand_neg: int = 120
):
    """12x12 crops: jittered squares around faces (pos/part/near negatives) + random negatives."""
    xs, ys, rs = [], [], []
    for scene in scenes:
        rgb = scene.read_rgb()
        si = SceneImage(rgb)
        H, W = rgb.shape[:2]
        gts = _face_boxes(scene)
        all_gt = scene.boxes
        cand = []
        for gt in gts:
            cand.append(jitter_squares(gt, rng, per_face, 0.22, 0.8, 1.25))
            cand.append(jitter_squares(gt, rng, near_neg, 1.0, 0.6, 2.0))
        # random negatives, log-uniform sizes from 10 px to half the short side
        hi = max(11.0, min(H, W) / 2)
        s = np.round(np.exp(rng.uniform(np.log(10), np.log(hi), rand_neg)))
        x1 = np.floor(rng.uniform(1, np.maximum(1, W - s + 1)))
        y1 = np.floor(rng.uniform(1, np.maximum(1, H - s + 1)))
        cand.append(np.stack([x1, y1, x1 + s - 1, y1 + s - 1], 1).astype(np.float32))
        boxes = np.concatenate(cand)
        inside = (boxes[:, 0] >= 1) & (boxes[:, 1] >= 1) & (boxes[:, 2] <= W) & (boxes[:, 3] <= H)
        boxes = boxes[inside]
        labels, regs = label_boxes(boxes, all_gt, pnet=True)
        # boxes overlapping faces too small to sample are neither faces nor background: ignored
        tiny = all_gt[face_size(all_gt) < MIN_FACE]
        if len(tiny):
            near_tiny = pixel_iou(boxes, tiny).max(1) >= NEG_IOU
            labels[near_tiny & (labels != NEG)] = IGNORE
        keep = labels != IGNORE
        boxes, labels, regs = boxes[keep], labels[keep], regs[keep]
        crops, ok = crop_scene(si, boxes, 12)
        xs.append(crops[ok]), ys.append(labels[ok]), rs.append(regs[ok])
    return np.concatenate(xs), np.concatenate(ys), np.concatenate(rs)


def mined_samples(
    scenes: list[Scene],
    net: str,
    pnet,
    rnet,
    rng: np.random.Generator,
    max_neg: int = 40,
    jitter_per_face: int = 8,
    stage1_neg: int = 0,
):
    """R-Net (24x24) or O-Net (48x48) samples: the previous stages' candidates on the training
    images (their false positives become hard negatives) at 1x (min face 12) and 2x (min face 20,
    i.e. upscale_below), plus jittered ground truth squares."""
    size = INPUT_SIZE[net]
    thresholds = (0.5, 0.5)  # a bit below the default (0.6, 0.7): wider candidate set
    xs, ys, rs = [], [], []
    for scene in scenes:
        rgb = scene.read_rgb()
        si = SceneImage(rgb)
        gts = _face_boxes(scene)
        for img, gt_s, minsize in ((si.t, scene.boxes, 12), (si.up, upscaled_box(scene.boxes), 20)):
            if net == "onet" and stage1_neg:
                cand, cand1 = stage_candidates(img, pnet, rnet, minsize, thresholds, upto=net, with_stage1=True)
                cand, cand1 = cand[:, :4], cand1[:, :4]
                # P-Net false positives that R-Net rejected: more (easier) negatives for O-Net,
                # which otherwise sees few (the tuned R-Net passes little background)
                lab1, _ = label_boxes(cand1, gt_s, pnet=False)
                neg1 = np.nonzero(lab1 == NEG)[0]
                if len(neg1):
                    pick = rng.choice(neg1, min(stage1_neg, len(neg1)), replace=False)
                    crops, _ = crop_boxes(img, cand1[pick], size)
                    xs.append(crops), ys.append(np.full(len(crops), NEG, np.int8))
                    rs.append(np.zeros((len(crops), 4), np.float32))
            else:
                cand = stage_candidates(img, pnet, rnet, minsize, thresholds, upto=net)[:, :4]
            labels, regs = label_boxes(cand, gt_s, pnet=False)
            neg = np.nonzero(labels == NEG)[0]
            if len(neg) > max_neg:
                labels[rng.choice(neg, len(neg) - max_neg, replace=False)] = IGNORE
            keep = labels != IGNORE
            cand, labels, regs = cand[keep], labels[keep], regs[keep]
            crops, ok = crop_boxes(img, cand, size)
            xs.append(crops), ys.append(labels[ok]), rs.append(regs[ok])
        # jittered ground truth (squares like rerec's output), from the 1x/2x image by size
        if len(gts):
            jit = np.concatenate([jitter_squares(g, rng, jitter_per_face, 0.15, 0.85, 1.2) for g in gts])
            labels, regs = label_boxes(jit, scene.boxes, pnet=False)
            keep = (labels == POS) | (labels == PART)
            jit, labels, regs = jit[keep], labels[keep], regs[keep]
            crops, ok = crop_scene(si, jit, size)
            xs.append(crops[ok]), ys.append(labels[ok]), rs.append(regs[ok])
    return np.concatenate(xs), np.concatenate(ys), np.concatenate(rs)


def split_for_val(scenes: list[Scene], share: float = 0.1):
    """Training scenes split again (by image order) for per-epoch sample-level validation."""
    n_val = max(1, int(len(scenes) * share))
    return scenes[n_val:], scenes[:n_val]


def describe(data) -> dict:
    """Counts of a sample set: {"n", "pos", "part", "neg"}."""
    y = data[1]
    return {
        "n": int(len(y)),
        "pos": int((y == POS).sum()),
        "part": int((y == PART).sum()),
        "neg": int((y == NEG).sum()),
    }


def cached(path: Path, make):
    """The sample set saved as path_{x,y,r}.npy; made with `make()` and saved there if missing."""
    files = [path.with_name(path.name + f"_{k}.npy") for k in ("x", "y", "r")]
    if all(f.exists() for f in files):
        return tuple(np.load(f) for f in files)
    data = make()
    for f, a in zip(files, data):
        np.save(f, a)
    return data
