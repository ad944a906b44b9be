"""Fine-tune facenet-pytorch's MTCNN (P-Net, R-Net, O-Net) on the kaggle-scenes training split.

Stock MTCNN was trained on unmasked faces and misses many masked and tiny faces in the scenes set.
This module generates samples from the *training* scenes only (`split_scenes`), as in the MTCNN
paper (positives IoU >= 0.65, part faces 0.4-0.65, negatives < 0.3), fine-tunes the three networks
from the stock weights, and evaluates stock vs tuned on the held-out test scenes through our
`MtcnnFaceDetector` (i.e. facenet-pytorch's own inference code path).

Conventions copied from facenet_pytorch/models/utils/detect_face.py:
- images are RGB, NCHW (no H/W transpose of the image; R/O-Net transpose only inside their flatten),
  normalised as (x - 127.5) * 0.0078125; crops resampled with F.interpolate(mode="area").
- boxes are 1-based inclusive pixel coordinates: box (x1, y1, x2, y2) crops
  img[y1 - 1:y2, x1 - 1:x2] after `pad` (truncation, clipping to the image; no zero padding).
- P-Net regression: new = box + reg * (x2 - x1) (no +1, see the first stage of detect_face);
  R/O-Net regression (bbreg): new = box + reg * (x2 - x1 + 1).
- the face probability is softmax output index 1.

Reproduce:
    python -m maskwatch.training.mtcnn_tune --data ../shared/datasets/kaggle-scenes-train \
        --out models/mtcnn --nets pnet,rnet,onet --epochs 6 --seed 0 --bench
"""

from __future__ import annotations

import argparse
import copy
import json
import math
import shutil
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from ..paths import data_root
from .scenes import Scene, load_scenes, split_scenes

NETS = ("pnet", "rnet", "onet")
INPUT_SIZE = {"pnet": 12, "rnet": 24, "onet": 48}
SOFTMAX_NAME = {"pnet": "softmax4_1", "rnet": "softmax5_1", "onet": "softmax6_1"}
POS_IOU, PART_IOU, NEG_IOU = 0.65, 0.4, 0.3
MIN_FACE = 8  # faces below this (sqrt(w*h), pixels) are not sampled
POS, NEG, PART = 1, 0, -1
WORK_DIR = Path("build/mtcnn")
SIZE_BINS = ((0, 16), (16, 32), (32, 64), (64, 1e9))
REPO = Path(__file__).resolve().parents[3]


def set_threads() -> None:
    torch.set_num_threads(1)
    cv2.setNumThreads(1)


# ----------------------------------------------------------------------------------------------
# geometry


def iou_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU of boxes a (N,4) vs b (M,4), 1-based inclusive pixel boxes (areas with +1)."""
    if len(a) == 0 or len(b) == 0:
        return np.zeros((len(a), len(b)), np.float32)
    a = a.astype(np.float64)[:, None]
    b = b.astype(np.float64)[None]
    iw = np.clip(np.minimum(a[..., 2], b[..., 2]) - np.maximum(a[..., 0], b[..., 0]) + 1, 0, None)
    ih = np.clip(np.minimum(a[..., 3], b[..., 3]) - np.maximum(a[..., 1], b[..., 1]) + 1, 0, None)
    inter = iw * ih
    area_a = (a[..., 2] - a[..., 0] + 1) * (a[..., 3] - a[..., 1] + 1)
    area_b = (b[..., 2] - b[..., 0] + 1) * (b[..., 3] - b[..., 1] + 1)
    return (inter / (area_a + area_b - inter)).astype(np.float32)


def reg_targets(boxes: np.ndarray, gts: np.ndarray, pnet: bool) -> np.ndarray:
    """Offsets that move `boxes` onto `gts` in facenet-pytorch's encoding (see module doc)."""
    w = boxes[:, 2] - boxes[:, 0] + (0 if pnet else 1)
    h = boxes[:, 3] - boxes[:, 1] + (0 if pnet else 1)
    w = np.maximum(w, 1e-3)
    h = np.maximum(h, 1e-3)
    return np.stack([(gts[:, 0] - boxes[:, 0]) / w, (gts[:, 1] - boxes[:, 1]) / h,
                     (gts[:, 2] - boxes[:, 2]) / w, (gts[:, 3] - boxes[:, 3]) / h], 1).astype(np.float32)


def label_boxes(boxes: np.ndarray, gts: np.ndarray, pnet: bool):
    """(labels, reg targets) for candidate boxes by max IoU with the ground truth; 127 = ignore."""
    labels = np.full(len(boxes), 127, np.int8)
    regs = np.zeros((len(boxes), 4), np.float32)
    if len(boxes) == 0:
        return labels, regs
    if len(gts) == 0:
        labels[:] = NEG
        return labels, regs
    ious = iou_matrix(boxes, gts)
    best = ious.argmax(1)
    top = ious[np.arange(len(boxes)), best]
    labels[top < NEG_IOU] = NEG
    labels[(top >= PART_IOU) & (top < POS_IOU)] = PART
    labels[top >= POS_IOU] = POS
    regs[:] = reg_targets(boxes, gts[best], pnet)
    return labels, regs


def upscaled_box(boxes: np.ndarray, factor: int = 2) -> np.ndarray:
    """1-based inclusive boxes of an image mapped into the same image resized by an integer factor."""
    out = boxes.astype(np.float32).copy()
    out[:, :2] = factor * (out[:, :2] - 1) + 1
    out[:, 2:] = factor * out[:, 2:]
    return out


# ----------------------------------------------------------------------------------------------
# crops exactly like detect_face


class SceneImage:
    """An RGB scene as a float (1,3,H,W) tensor, with a lazily built 2x bilinear enlargement
    (what MtcnnFaceDetector's upscale_below does) used for crops smaller than the net input."""

    def __init__(self, rgb: np.ndarray):
        self.rgb = rgb
        self.t = torch.from_numpy(np.ascontiguousarray(rgb)).permute(2, 0, 1)[None].float()
        self._up = None

    @property
    def up(self) -> torch.Tensor:
        if self._up is None:
            h, w = self.rgb.shape[:2]
            big = cv2.resize(self.rgb, (2 * w, 2 * h), interpolation=cv2.INTER_LINEAR)
            self._up = torch.from_numpy(big).permute(2, 0, 1)[None].float()
        return self._up


def crop_boxes(img: torch.Tensor, boxes: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Crops of `boxes` from img (1,3,H,W) resampled to size x size like detect_face's pad+imresample.

    Returns (uint8 crops (K,3,size,size), indices of the boxes that gave a crop)."""
    h, w = img.shape[2:]
    crops, keep = [], []
    b = np.trunc(boxes).astype(np.int64)
    for i, (x, y, ex, ey) in enumerate(b):
        x, y, ex, ey = max(x, 1), max(y, 1), min(ex, w), min(ey, h)
        if ey > y - 1 and ex > x - 1 and ey - y >= 1 and ex - x >= 1:
            patch = img[:, :, y - 1:ey, x - 1:ex]
            crops.append(F.interpolate(patch, size=(size, size), mode="area"))
            keep.append(i)
    if not crops:
        return np.zeros((0, 3, size, size), np.uint8), np.zeros(0, np.int64)
    out = torch.cat(crops).round().clamp(0, 255).to(torch.uint8).numpy()
    return out, np.asarray(keep, np.int64)


def crop_scene(scene_img: SceneImage, boxes: np.ndarray, size: int):
    """Crops from the original image; boxes smaller than the net input come from the 2x image."""
    small = (boxes[:, 2] - boxes[:, 0] + 1) < size
    crops = np.zeros((len(boxes), 3, size, size), np.uint8)
    ok = np.zeros(len(boxes), bool)
    for sel, img, bx in ((~small, scene_img.t, boxes), (small, None, upscaled_box(boxes))):
        idx = np.nonzero(sel)[0]
        if len(idx) == 0:
            continue
        src = img if img is not None else scene_img.up
        c, keep = crop_boxes(src, bx[idx], size)
        crops[idx[keep]] = c
        ok[idx[keep]] = True
    return crops, ok


# ----------------------------------------------------------------------------------------------
# sample generation


def _face_boxes(scene: Scene) -> np.ndarray:
    b = scene.boxes
    sz = np.sqrt(np.clip(b[:, 2] - b[:, 0], 0, None) * np.clip(b[:, 3] - b[:, 1], 0, None))
    return b[sz >= MIN_FACE]


def jitter_squares(gt: np.ndarray, rng: np.random.Generator, n: int, spread: float,
                   size_lo: float, size_hi: float) -> np.ndarray:
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


def pnet_samples(scenes: list[Scene], rng: np.random.Generator, per_face: int = 36,
                 near_neg: int = 10, rand_neg: int = 120):
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
        sz = np.sqrt(np.clip(all_gt[:, 2] - all_gt[:, 0], 0, None) * np.clip(all_gt[:, 3] - all_gt[:, 1], 0, None))
        tiny = all_gt[sz < MIN_FACE]
        if len(tiny):
            near_tiny = iou_matrix(boxes, tiny).max(1) >= NEG_IOU
            labels[near_tiny & (labels != NEG)] = 127
        keep = labels != 127
        boxes, labels, regs = boxes[keep], labels[keep], regs[keep]
        crops, ok = crop_scene(si, boxes, 12)
        xs.append(crops[ok]), ys.append(labels[ok]), rs.append(regs[ok])
    return np.concatenate(xs), np.concatenate(ys), np.concatenate(rs)


@torch.no_grad()
def stage_candidates(img: torch.Tensor, pnet, rnet, minsize: float, thresholds, upto: str,
                     factor: float = 0.709, with_stage1: bool = False):
    """Candidate boxes (K,5) that detect_face hands to R-Net (upto='rnet') or O-Net (upto='onet').

    A copy of detect_face's first two stages for one image (1,3,H,W) float tensor."""
    from facenet_pytorch.models.utils.detect_face import (
        bbreg, generateBoundingBox, imresample, rerec)
    from torchvision.ops.boxes import batched_nms

    h, w = img.shape[2:]
    m = 12.0 / minsize
    minl = min(h, w) * m
    scales, s = [], m
    while minl >= 12:
        scales.append(s)
        s *= factor
        minl *= factor
    boxes, inds = [], []
    for scale in scales:
        im = imresample(img, (int(h * scale + 1), int(w * scale + 1)))
        im = (im - 127.5) * 0.0078125
        reg, probs = pnet(im)
        bs, ii = generateBoundingBox(reg, probs[:, 1], scale, thresholds[0])
        pick = batched_nms(bs[:, :4], bs[:, 4], ii, 0.5)
        boxes.append(bs[pick])
        inds.append(ii[pick])
    boxes = torch.cat(boxes)
    inds = torch.cat(inds)
    if len(boxes) == 0:
        return np.zeros((0, 5), np.float32)
    pick = batched_nms(boxes[:, :4], boxes[:, 4], inds, 0.7)
    boxes = boxes[pick]
    regw = boxes[:, 2] - boxes[:, 0]
    regh = boxes[:, 3] - boxes[:, 1]
    boxes = torch.stack([boxes[:, 0] + boxes[:, 5] * regw, boxes[:, 1] + boxes[:, 6] * regh,
                         boxes[:, 2] + boxes[:, 7] * regw, boxes[:, 3] + boxes[:, 8] * regh,
                         boxes[:, 4]]).permute(1, 0)
    boxes = rerec(boxes)
    if upto == "rnet" or len(boxes) == 0:
        out = boxes.numpy().astype(np.float32)
        return (out, out.copy()) if with_stage1 else out
    stage1 = boxes.numpy().astype(np.float32).copy()
    crops, keep = crop_boxes(img, boxes[:, :4].numpy(), 24)
    boxes = boxes[torch.from_numpy(keep)]
    if len(boxes) == 0:
        return (np.zeros((0, 5), np.float32), stage1) if with_stage1 else np.zeros((0, 5), np.float32)
    reg, prob = rnet((torch.from_numpy(crops).float() - 127.5) * 0.0078125)
    score = prob[:, 1]
    ok = score > thresholds[1]
    boxes = torch.cat((boxes[ok, :4], score[ok, None]), 1)
    reg = reg[ok]
    pick = batched_nms(boxes[:, :4], boxes[:, 4], torch.zeros(len(boxes), dtype=torch.long), 0.7)
    boxes = rerec(bbreg(boxes[pick], reg[pick]))
    if with_stage1:
        return boxes.numpy().astype(np.float32), stage1
    return boxes.numpy().astype(np.float32)


def mined_samples(scenes: list[Scene], net: str, pnet, rnet, rng: np.random.Generator,
                  max_neg: int = 40, jitter_per_face: int = 8, stage1_neg: int = 0):
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
                labels[rng.choice(neg, len(neg) - max_neg, replace=False)] = 127
            keep = labels != 127
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


# ----------------------------------------------------------------------------------------------
# training


def logits_model(net: nn.Module, name: str) -> nn.Module:
    """A copy of `net` whose classification head outputs logits (softmax -> Identity).
    Same parameters and state-dict keys as the original."""
    model = copy.deepcopy(net)
    setattr(model, SOFTMAX_NAME[name], nn.Identity())
    return model


def stock_nets():
    from facenet_pytorch.models.mtcnn import ONet, PNet, RNet

    nets = {"pnet": PNet(), "rnet": RNet(), "onet": ONet()}
    for n in nets.values():
        n.eval()
    return nets


def batch_losses(model, name, x, y, r, teacher=None, ohem=0.7, box_weight=0.5, lm_weight=0.5):
    out = model(x)
    reg, logits = out[0], out[1] if name != "onet" else out[2]
    if name == "pnet":
        reg, logits = reg[:, :, 0, 0], logits[:, :, 0, 0]
    cls_mask = (y == POS) | (y == NEG)
    loss_cls = torch.zeros(())
    if cls_mask.any():
        ce = F.cross_entropy(logits[cls_mask], y[cls_mask].long(), reduction="none")
        k = max(1, int(math.ceil(ohem * len(ce))))
        loss_cls = torch.topk(ce, k).values.mean()
    box_mask = (y == POS) | (y == PART)
    loss_box = torch.zeros(())
    if box_mask.any():
        loss_box = F.mse_loss(reg[box_mask], r[box_mask], reduction="none").sum(1).mean()
    loss_lm = torch.zeros(())
    if teacher is not None and box_mask.any():
        # keep O-Net's landmark head close to the stock one (no landmark labels in the scenes set)
        with torch.no_grad():
            t_lm = teacher(x[box_mask])[1]
        loss_lm = F.mse_loss(out[1][box_mask], t_lm, reduction="none").sum(1).mean()
    total = loss_cls + box_weight * loss_box + lm_weight * loss_lm
    with torch.no_grad():
        acc = ((logits[cls_mask].argmax(1) == y[cls_mask].long()).float().mean()
               if cls_mask.any() else torch.tensor(float("nan")))
    return total, {"cls": float(loss_cls), "box": float(loss_box), "lm": float(loss_lm), "acc": float(acc)}


def to_input(xb: np.ndarray, flip: np.ndarray | None = None):
    x = (torch.from_numpy(xb).float() - 127.5) * 0.0078125
    if flip is not None and flip.any():
        f = torch.from_numpy(flip)
        x[f] = x[f].flip(3)
    return x


def flip_regs(r: np.ndarray, flip: np.ndarray) -> np.ndarray:
    r = r.copy()
    r[flip, 0], r[flip, 2] = -r[flip, 2], -r[flip, 0].copy()
    return r


def train_one_epoch(model, name, data, optimizer, rng, batch_size=256, teacher=None, scheduler=None):
    """One pass over (crops uint8, labels, reg targets) with random horizontal flips."""
    model.train()
    x, y, r = data
    order = rng.permutation(len(y))
    sums, n = {}, 0
    for start in range(0, len(order), batch_size):
        idx = np.sort(order[start:start + batch_size])
        flip = rng.random(len(idx)) < 0.5
        xb = to_input(x[idx], flip)
        rb = torch.from_numpy(flip_regs(r[idx], flip))
        yb = torch.from_numpy(y[idx].astype(np.int64))
        loss, parts = batch_losses(model, name, xb, yb, rb, teacher)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if scheduler is not None:
            scheduler.step()
        for k, v in parts.items():
            if not math.isnan(v):
                sums[k] = sums.get(k, 0.0) + v
        n += 1
    return {k: v / max(n, 1) for k, v in sums.items()}


@torch.no_grad()
def evaluate_samples(model, name, data, batch_size=1024):
    """Sample-level validation: classification accuracy (pos/neg), recall of positives at 0.5,
    box-offset MSE on pos+part."""
    model.eval()
    x, y, r = data
    probs, regs = [], []
    for s in range(0, len(y), batch_size):
        out = model(to_input(x[s:s + batch_size]))
        reg, logits = out[0], out[1] if name != "onet" else out[2]
        if name == "pnet":
            reg, logits = reg[:, :, 0, 0], logits[:, :, 0, 0]
        probs.append(F.softmax(logits, 1)[:, 1])
        regs.append(reg)
    p = torch.cat(probs).numpy()
    reg = torch.cat(regs).numpy()
    pos, neg, box = y == POS, y == NEG, (y == POS) | (y == PART)
    return {"acc": float(np.mean(np.concatenate([p[pos] >= 0.5, p[neg] < 0.5]))),
            "pos_recall": float(np.mean(p[pos] >= 0.5)),
            "neg_reject": float(np.mean(p[neg] < 0.5)),
            "box_mse": float(np.mean(np.sum((reg[box] - r[box]) ** 2, 1)))}


def fit(name, net, train_data, val_data, epochs, lr, seed, work: Path, log=print):
    """Fine-tune one net from `net`'s weights; a checkpoint dict per epoch in `work`."""
    rng = np.random.default_rng(seed)
    torch.manual_seed(seed)
    model = logits_model(net, name)
    teacher = stock_nets()["onet"] if name == "onet" else None
    batch_size = 256
    steps = epochs * math.ceil(len(train_data[1]) / batch_size)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=lr, total_steps=steps,
                                                    pct_start=0.1)
    history = [{"epoch": 0, "val": evaluate_samples(model, name, val_data)}]
    log(f"{name} stock val {history[0]['val']}")
    best = (history[0]["val"]["acc"] - history[0]["val"]["box_mse"], 0, copy.deepcopy(model.state_dict()))
    for epoch in range(1, epochs + 1):
        t0 = time.time()
        tr = train_one_epoch(model, name, train_data, optimizer, rng, batch_size, teacher, scheduler)
        val = evaluate_samples(model, name, val_data)
        history.append({"epoch": epoch, "train": tr, "val": val, "seconds": time.time() - t0})
        log(f"{name} epoch {epoch} train {tr} val {val} {time.time() - t0:.0f}s")
        state = copy.deepcopy(model.state_dict())
        torch.save({"net": name, "epoch": epoch, "state_dict": state, "optimizer": optimizer.state_dict(),
                    "history": history, "lr": lr, "seed": seed}, work / f"{name}_epoch{epoch}.pt")
        score = val["acc"] - val["box_mse"]
        if score > best[0]:
            best = (score, epoch, state)
    log(f"{name} best epoch {best[1]}")
    net.load_state_dict(best[2])
    torch.save(best[2], work / f"{name}.pt")
    return net, history, best[1]


# ----------------------------------------------------------------------------------------------
# evaluation on the held-out scenes


def _voc_ap(predictions, ground_truths, iou_threshold=0.5):
    """Fallback VOC AP (all-point interpolation) if maskwatch.training.metrics is missing."""
    from types import SimpleNamespace

    recs = []
    n_gt = sum(len(g) for g in ground_truths)
    matched = [np.zeros(len(g), bool) for g in ground_truths]
    for i, ((boxes, scores), gt) in enumerate(zip(predictions, ground_truths)):
        for j in range(len(boxes)):
            recs.append((float(scores[j]), i, np.asarray(boxes[j], np.float32)))
    recs.sort(key=lambda t: -t[0])
    tp = np.zeros(len(recs))
    for k, (_, i, box) in enumerate(recs):
        gt = np.asarray(ground_truths[i], np.float32).reshape(-1, 4)
        if len(gt) == 0:
            continue
        ix1, iy1 = np.maximum(gt[:, 0], box[0]), np.maximum(gt[:, 1], box[1])
        ix2, iy2 = np.minimum(gt[:, 2], box[2]), np.minimum(gt[:, 3], box[3])
        inter = np.clip(ix2 - ix1, 0, None) * np.clip(iy2 - iy1, 0, None)
        union = (box[2] - box[0]) * (box[3] - box[1]) + (gt[:, 2] - gt[:, 0]) * (gt[:, 3] - gt[:, 1]) - inter
        ious = inter / np.maximum(union, 1e-9)
        ious[matched[i]] = -1
        j = int(ious.argmax())
        if ious[j] >= iou_threshold:
            tp[k] = 1
            matched[i][j] = True
    ctp = np.cumsum(tp)
    rec = ctp / max(n_gt, 1)
    prec = ctp / np.arange(1, len(tp) + 1) if len(tp) else np.zeros(0)
    mrec = np.concatenate([[0], rec, [1]])
    mpre = np.concatenate([[0], prec, [0]])
    for i in range(len(mpre) - 2, -1, -1):
        mpre[i] = max(mpre[i], mpre[i + 1])
    idx = np.nonzero(mrec[1:] != mrec[:-1])[0]
    ap = float(np.sum((mrec[idx + 1] - mrec[idx]) * mpre[idx + 1]))
    return SimpleNamespace(ap=ap, recall=float(rec[-1]) if len(rec) else 0.0,
                           precision=float(prec[-1]) if len(prec) else 0.0, matched_gt=matched)


def _recall_by_size(ground_truths, matched_gt):
    out = {}
    for lo, hi in SIZE_BINS:
        hit = tot = 0
        for gt, m in zip(ground_truths, matched_gt):
            gt = np.asarray(gt, np.float32).reshape(-1, 4)
            sz = np.sqrt((gt[:, 2] - gt[:, 0]) * (gt[:, 3] - gt[:, 1]))
            sel = (sz >= lo) & (sz < hi)
            hit += int(np.asarray(m, bool)[sel].sum())
            tot += int(sel.sum())
        out[_bin_name(lo, hi)] = {"recall": hit / tot if tot else float("nan"), "n": tot}
    return out


def _mean_matched_iou(preds, gts) -> float:
    """Mean IoU (continuous coordinates) of each GT face with its best prediction, over GT faces
    whose best IoU is >= 0.5: how tight the boxes are."""
    vals = []
    for (boxes, _), gt in zip(preds, gts):
        gt = np.asarray(gt, np.float64).reshape(-1, 4)
        if not len(boxes) or not len(gt):
            continue
        b = np.asarray(boxes, np.float64)
        iw = np.clip(np.minimum(gt[:, None, 2], b[None, :, 2]) - np.maximum(gt[:, None, 0], b[None, :, 0]), 0, None)
        ih = np.clip(np.minimum(gt[:, None, 3], b[None, :, 3]) - np.maximum(gt[:, None, 1], b[None, :, 1]), 0, None)
        inter = iw * ih
        union = ((gt[:, 2] - gt[:, 0]) * (gt[:, 3] - gt[:, 1]))[:, None] + \
            ((b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1]))[None] - inter
        best = (inter / np.maximum(union, 1e-9)).max(1)
        vals.extend(best[best >= 0.5].tolist())
    return float(np.mean(vals)) if vals else 0.0


def _bin_name(lo, hi):
    return f"<{hi}" if lo == 0 else (f">={lo}" if hi > 1e8 else f"{lo}-{hi}")


def metric_functions():
    try:
        from . import metrics

        return metrics.average_precision, metrics.recall_by_size, "maskwatch.training.metrics"
    except (ImportError, AttributeError):
        return _voc_ap, _recall_by_size, "mtcnn_tune fallback VOC AP"


def _normalise_by_size(by_size):
    """recall_by_size's answer as {bin: recall} whatever its exact shape."""
    out = {}
    items = by_size.items() if isinstance(by_size, dict) else enumerate(by_size)
    for k, v in items:
        if isinstance(v, dict):
            v = v.get("recall", v)
        elif isinstance(v, (tuple, list)):
            v = v[0]
        out[str(k)] = float(v) if not isinstance(v, dict) else v
    return out


def _detect(det, img):
    t0 = time.perf_counter()
    faces = det.detect(img)
    dt = time.perf_counter() - t0
    boxes = np.asarray([f.box for f in faces], np.float32).reshape(-1, 4)
    scores = np.asarray([f.score for f in faces], np.float32)
    return (boxes, scores), dt


def make_detector(weights_dir: Path | None, min_face_size=20, upscale_below=None,
                  thresholds=(0.6, 0.7, 0.7), min_score=0.5):
    from maskwatch.detection.faces import MtcnnFaceDetector

    set_threads()
    return MtcnnFaceDetector(min_face_size=min_face_size, thresholds=tuple(thresholds), min_score=min_score,
                             threads=1, upscale_below=upscale_below, weights_dir=weights_dir)


def score(scenes: list[Scene], preds, times, det, min_face_size, upscale_below, thresholds, min_score) -> dict:
    """Metrics of one detector's predictions (one (boxes, scores) per scene) and times (s)."""
    ap_fn, by_size_fn, source = metric_functions()
    gts = [s.boxes for s in scenes]
    res = ap_fn(preds, gts, iou_threshold=0.5)
    by_size = by_size_fn(gts, res.matched_gt)
    # the pipeline's operating point: MtcnnFaceDetector's default min_score 0.9
    strict = ap_fn([(b[sc >= 0.9], sc[sc >= 0.9]) for b, sc in preds], gts, iou_threshold=0.5)
    s_rec = np.atleast_1d(np.asarray(strict.recall, np.float64))
    s_pre = np.atleast_1d(np.asarray(strict.precision, np.float64))
    at_09 = {"recall": float(s_rec[-1]) if len(s_rec) else 0.0,
             "precision": float(s_pre[-1]) if len(s_pre) else 0.0}
    recall = np.atleast_1d(np.asarray(res.recall, np.float64))
    precision = np.atleast_1d(np.asarray(res.precision, np.float64))
    return {"min_face_size": min_face_size, "upscale_below": upscale_below, "thresholds": list(thresholds),
            "min_score": min_score, "weights": det.weights_loaded, "ap": float(res.ap or 0.0),
            "recall": float(recall[-1]) if len(recall) else 0.0,
            "precision": float(precision[-1]) if len(precision) else 0.0,
            "mean_iou_matched": _mean_matched_iou(preds, gts),
            "recall_by_size": _normalise_by_size(by_size), "at_min_score_0.9": at_09,
            "ms_per_image": 1000 * float(np.mean(times)), "ms_median": 1000 * float(np.median(times)),
            "n_images": len(preds), "n_faces": int(sum(len(g) for g in gts)), "metrics": source}


def evaluate(scenes: list[Scene], weights_dir: Path | None, min_face_size=20, upscale_below=None,
             thresholds=(0.6, 0.7, 0.7), min_score=0.5, images=None) -> dict:
    """Face AP@0.5, recall, recall by size and ms/image (1 thread) of MtcnnFaceDetector on scenes."""
    det = make_detector(weights_dir, min_face_size, upscale_below, thresholds, min_score)
    images = images if images is not None else [s.read_rgb() for s in scenes]
    for img in images[:2]:
        det.detect(img)  # warm-up
    out = [_detect(det, img) for img in images]
    return score(scenes, [o[0] for o in out], [o[1] for o in out], det, min_face_size, upscale_below,
                 thresholds, min_score)


def weights_folder(work: Path, nets: tuple[str, ...]) -> Path | None:
    """A folder under work holding only the tuned nets named (None for stock)."""
    if not nets:
        return None
    folder = work / ("tuned_" + "_".join(nets))
    folder.mkdir(parents=True, exist_ok=True)
    for n in NETS:
        (folder / f"{n}.pt").unlink(missing_ok=True)
        if n in nets:
            shutil.copy(work / f"{n}.pt", folder / f"{n}.pt")
    return folder


SETTINGS = ((20, None), (16, None), (12, None), (20, 800), (12, 800), (20, 1024))
ABLATE = ((20, None), (12, None))  # every weight combination here; elsewhere stock vs all three tuned
THRESHOLD_VARIANTS = ((0.5, 0.6, 0.7),)  # also tried with all three tuned at the ABLATE settings
COMBOS = ((), ("pnet",), ("rnet",), ("onet",), ("pnet", "rnet"), ("rnet", "onet"), ("pnet", "onet"),
          ("pnet", "rnet", "onet"))


def benchmark(test: list[Scene], work: Path, settings=SETTINGS, combos=COMBOS, thresholds=(0.6, 0.7, 0.7),
              ablate=ABLATE, threshold_variants=THRESHOLD_VARIANTS, min_score=0.5, log=print) -> list[dict]:
    """Stock and all-tuned at every (min_face_size, upscale_below); every weight combination
    (stock = ()) at the `ablate` settings; the threshold variants (all tuned) at the settings without
    upscaling. All detectors run image by image in turn, so a change in the machine's load hits
    every row alike and the ms/image are comparable with each other."""
    images = [s.read_rgb() for s in test]
    full = tuple(NETS)
    runs = []
    for min_face, up in settings:
        runs += [(c, min_face, up, thresholds) for c in (combos if (min_face, up) in ablate else ((), full))]
        if up is None:
            runs += [(full, min_face, up, t) for t in threshold_variants]
    runs = [r for r in runs if all((work / f"{n}.pt").exists() for n in r[0])]
    dets = [make_detector(weights_folder(work, c), mf, up, thr, min_score) for c, mf, up, thr in runs]
    preds = [[] for _ in runs]
    times = [[] for _ in runs]
    for det in dets:
        for img in images[:2]:
            det.detect(img)  # warm-up
    t_start = time.time()
    for i, img in enumerate(images):
        for k, det in enumerate(dets):
            p, dt = _detect(det, img)
            preds[k].append(p)
            times[k].append(dt)
        if i % 20 == 0:
            log(f"bench image {i}/{len(images)} {time.time() - t_start:.0f}s")
    rows = []
    for (combo, min_face, up, thr), det, p, t in zip(runs, dets, preds, times):
        r = score(test, p, t, det, min_face, up, thr, min_score)
        r["tuned"] = list(combo)
        rows.append(r)
        log(f"bench min_face {min_face} up {up} thr {thr} tuned {combo or 'stock'}: AP {r['ap']:.3f} "
            f"recall {r['recall']:.3f} by size {r['recall_by_size']} iou {r['mean_iou_matched']:.3f} "
            f"{r['ms_per_image']:.1f} ms")
    return rows


def _fmt_recall(v):
    if isinstance(v, dict):
        v = v.get("recall")
    return "-" if v is None else f"{v:.2f}"


def markdown_table(rows: list[dict]) -> str:
    bins = list(rows[0]["recall_by_size"]) if rows else []
    head = ("| min_face | upscale_below | thresholds | tuned nets | face AP@0.5 | recall | "
            + " | ".join(f"R {b}" for b in bins) + " | mean IoU | R / P at score 0.9 | ms/img (1 thr) |")
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in rows:
        lines.append(f"| {r['min_face_size']} | {r['upscale_below'] or '-'} | {'/'.join(f'{t:g}' for t in r['thresholds'])} | "
                     f"{'+'.join(r['tuned']) or 'stock'} | "
                     f"{r['ap']:.3f} | {r['recall']:.3f} | "
                     + " | ".join(_fmt_recall(r['recall_by_size'][b]) for b in bins)
                     + f" | {r['mean_iou_matched']:.3f} | {r['at_min_score_0.9']['recall']:.2f} / "
                     f"{r['at_min_score_0.9']['precision']:.2f} | {r['ms_per_image']:.1f} |")
    return "\n".join(lines)


def choose(rows: list[dict], speed_factor: float = 1.2) -> tuple[dict, dict]:
    """(ship, recommend). ship: the weight combination with the best AP at the detector's defaults
    (min_face_size 20, no upscaling, thresholds 0.6/0.7/0.7) -- only nets that improve it are shipped.
    recommend: the best-AP row using the shipped nets whose time is within `speed_factor` x the stock
    default's (timings are relative, so this holds whatever the machine's load)."""
    default = [r for r in rows if r["min_face_size"] == 20 and r["upscale_below"] is None
               and r["thresholds"] == [0.6, 0.7, 0.7]]
    ship = max(default, key=lambda r: r["ap"])
    stock = next(r for r in default if not r["tuned"])
    fast = [r for r in rows if r["tuned"] == ship["tuned"]
            and r["ms_per_image"] <= speed_factor * stock["ms_per_image"]]
    return ship, max(fast, key=lambda r: r["ap"])


# ----------------------------------------------------------------------------------------------
# main


def cached(path: Path, make):
    files = [path.with_name(path.name + f"_{k}.npy") for k in ("x", "y", "r")]
    if all(f.exists() for f in files):
        return tuple(np.load(f) for f in files)
    data = make()
    for f, a in zip(files, data):
        np.save(f, a)
    return data


def describe(data) -> dict:
    y = data[1]
    return {"n": int(len(y)), "pos": int((y == POS).sum()), "part": int((y == PART).sum()),
            "neg": int((y == NEG).sum())}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=str(data_root() / "kaggle-scenes-train"))
    ap.add_argument("--out", default=str(REPO / "models/mtcnn"), help="folder for the shipped {net}.pt")
    ap.add_argument("--work", default=str(REPO / WORK_DIR))
    ap.add_argument("--nets", default="pnet,rnet,onet")
    ap.add_argument("--epochs", type=int, default=6)
    ap.add_argument("--lr", type=float, default=5e-4)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--onet-stage1-neg", type=int, default=0,
                    help="O-Net: also this many P-Net-stage false positives per image and scale as negatives")
    ap.add_argument("--skip-train", action="store_true", help="only evaluate what is in --work")
    ap.add_argument("--results", default=str(REPO / "benchmarks/results/mtcnn_tuning"))
    ap.add_argument("--bench", action="store_true", help="after training, benchmark on the test scenes, "
                    "write --results .json/.md and copy the chosen tuned nets to --out")
    ap.add_argument("--speed-factor", type=float, default=1.2,
                    help="recommended setting: best AP within this factor of the stock default's ms/image")
    args = ap.parse_args(argv)
    set_threads()
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    log_path = work / "train_log.txt"

    def log(msg):
        line = f"{time.strftime('%H:%M:%S')} {msg}"
        print(line, flush=True)
        with open(log_path, "a") as fh:
            fh.write(line + "\n")

    scenes = load_scenes(Path(args.data))
    train, test = split_scenes(scenes)
    fit_scenes, val_scenes = split_for_val(train)
    log(f"scenes: train {len(train)} (fit {len(fit_scenes)}, val {len(val_scenes)}), test {len(test)}")
    nets = stock_nets()
    wanted = [n for n in args.nets.split(",") if n]
    info = {"samples": {}, "history": {}, "best_epoch": {}}
    for name in NETS:
        if name not in wanted or args.skip_train:
            if (work / f"{name}.pt").exists():
                nets[name].load_state_dict(torch.load(work / f"{name}.pt", weights_only=True))
            continue
        rng = np.random.default_rng(args.seed + NETS.index(name))
        t0 = time.time()
        with torch.no_grad():
            if name == "pnet":
                make = lambda s: (lambda: pnet_samples(s, rng))  # noqa: E731
            else:
                extra = args.onet_stage1_neg if name == "onet" else 0
                make = lambda s: (lambda: mined_samples(s, name, nets["pnet"], nets["rnet"], rng,  # noqa: E731
                                                        stage1_neg=extra))
            tag = f"_n1{args.onet_stage1_neg}" if name == "onet" and args.onet_stage1_neg else ""
            tr_data = cached(work / f"{name}_train_s{args.seed}{tag}", make(fit_scenes))
            va_data = cached(work / f"{name}_val_s{args.seed}{tag}", make(val_scenes))
        info["samples"][name] = {"train": describe(tr_data), "val": describe(va_data),
                                 "seconds": time.time() - t0}
        log(f"{name} samples {info['samples'][name]}")
        epochs = args.epochs if name != "onet" else max(1, args.epochs - 2)
        _, hist, best = fit(name, nets[name], tr_data, va_data, epochs, args.lr, args.seed, work, log)
        info["history"][name] = hist
        info["best_epoch"][name] = best
        del tr_data, va_data
    if not args.skip_train:
        (work / "train_info.json").write_text(json.dumps(info, indent=1))
        log("training done")
    if not args.bench:
        return
    rows = benchmark(test, work, log=log)
    command = "python -m maskwatch.training.mtcnn_tune " + " ".join(argv if argv is not None else sys.argv[1:])
    best, recommended = finish(rows, test, work, Path(args.out), Path(args.results), args.speed_factor, command)
    log(f"shipped {best['tuned']}; recommended min_face {recommended['min_face_size']} "
        f"up {recommended['upscale_below']} thresholds {recommended['thresholds']}")


def finish(rows, test, work: Path, out: Path, results: Path, speed_factor: float, command: str):
    """Copy the shipped nets to `out` (and remove stale ones), write results .json and .md."""
    best, recommended = choose(rows, speed_factor)
    out.mkdir(parents=True, exist_ok=True)
    for n in NETS:
        (out / f"{n}.pt").unlink(missing_ok=True)
        if n in best["tuned"]:
            shutil.copy(work / f"{n}.pt", out / f"{n}.pt")
    results.parent.mkdir(parents=True, exist_ok=True)
    train_info = json.loads((work / "train_info.json").read_text()) if (work / "train_info.json").exists() else {}
    epochs = {n: len(h) - 1 for n, h in (train_info.get("history") or {}).items()}
    payload = {"test_scenes": len(test), "test_faces": int(sum(len(s.boxes) for s in test)),
               "threads": 1, "speed_factor": speed_factor, "shipped": best["tuned"],
               "best_at_defaults": best, "recommended": recommended, "rows": rows,
               "samples": train_info.get("samples"), "epochs": epochs,
               "best_epoch": train_info.get("best_epoch"), "command": command}
    results.with_suffix(".json").write_text(json.dumps(payload, indent=1))
    stock = next(r for r in rows if not r["tuned"] and r["min_face_size"] == 20 and r["upscale_below"] is None)
    def desc(r):
        return (f"min_face_size {r['min_face_size']}, upscale_below {r['upscale_below']}, thresholds "
                f"{'/'.join(f'{t:g}' for t in r['thresholds'])}: face AP {r['ap']:.3f}, "
                f"{r['ms_per_image']:.0f} ms/image ({r['ms_per_image'] / stock['ms_per_image']:.2f}x stock default)")
    samples = train_info.get("samples") or {}
    lines = [
        "# MTCNN fine-tuning on kaggle-scenes-train",
        "",
        f"Held-out test scenes of `split_scenes`: {payload['test_scenes']} images, {payload['test_faces']} faces. "
        "Face AP@0.5 (VOC, `maskwatch.training.metrics`) with MtcnnFaceDetector(min_score=0.5); recall by "
        "face size sqrt(w*h) of the GT box; mean IoU of matched faces; recall / precision at the "
        "pipeline's default min_score 0.9; ms per image with 1 torch thread. All detectors ran image by "
        "image in turn, so the times compare with each other, but the machine was shared with another "
        "training job: read them as ratios, not absolute numbers.",
        "",
        f"- stock default: {desc(stock)}",
        f"- tuned nets shipped in models/mtcnn/: {', '.join(best['tuned']) or 'none'} ({desc(best)})",
        f"- best within {speed_factor:g}x the stock default's time: {desc(recommended)}",
        "- training samples (train / val split of the training scenes): "
        + "; ".join(f"{n} {v['train']['n']} (pos {v['train']['pos']}, part {v['train']['part']}, "
                    f"neg {v['train']['neg']})" for n, v in samples.items()),
        f"- epochs: {epochs}; epoch kept: {train_info.get('best_epoch')}",
        f"- reproduce: `{command}`",
        "",
        markdown_table(rows),
        "",
    ]
    results.with_suffix(".md").write_text("\n".join(lines))
    return best, recommended

if __name__ == "__main__":
    main()
