"""Which feature-map points learn which face, and the loss.

A face is learnt by the pyramid levels whose size range holds it (ranges overlap, so a face near a
boundary is learnt by two levels), at the points near its centre (within 1.5 strides, inside the
box), and always by the point whose cell holds its centre, so an 8 px face on stride 4 has one. A
point claimed by two faces learns the smaller. The score target is the IoU of the predicted box with
its face (quality focal loss, as in GFL/SCRFD), so scores rank boxes by how well they fit.
"""

from __future__ import annotations

import numpy as np
import torch
from torch.nn import functional as F

from ...detection.pyramid_net import STRIDES

#: Face sizes sqrt(w*h) in px each stride learns.
LEVEL_RANGES = {4: (0.0, 24.0), 8: (16.0, 48.0), 16: (32.0, 96.0), 32: (64.0, np.inf)}
CENTRE_RADIUS = 1.5
BOX_WEIGHT = 2.0
LANDMARK_WEIGHT = 0.2


def assign(points: np.ndarray, boxes: np.ndarray, ignored: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per point (P, 3: x, y, stride): the index of the face it learns (-1 none), and whether its
    score is ignored (it sits on a face too small or too cut to learn)."""
    assigned = np.full(len(points), -1, np.int64)
    ignore = np.zeros(len(points), bool)
    px, py, s = points[:, 0:1], points[:, 1:2], points[:, 2:3]
    if len(boxes):
        x1, y1, x2, y2 = (boxes[:, i][None] for i in range(4))
        w, h = x2 - x1, y2 - y1
        size = np.sqrt(w * h)
        cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
        lo = np.array([LEVEL_RANGES[int(v)][0] for v in points[:, 2]])[:, None]
        hi = np.array([LEVEL_RANGES[int(v)][1] for v in points[:, 2]])[:, None]
        in_range = (size >= lo) & (size < hi)
        near = (np.abs(px - cx) <= CENTRE_RADIUS * s) & (np.abs(py - cy) <= CENTRE_RADIUS * s)
        inside = (px > x1) & (px < x2) & (py > y1) & (py < y2)
        centre_cell = (np.abs(px - cx) <= s / 2) & (np.abs(py - cy) <= s / 2)
        positive = in_range & ((near & inside) | centre_cell)
        area = np.where(positive, (w * h), np.inf)
        best = area.argmin(1)
        has = positive.any(1)
        assigned[has] = best[has]
    if len(ignored):
        x1, y1, x2, y2 = (ignored[:, i][None] for i in range(4))
        ignore = ((px > x1 - s / 2) & (px < x2 + s / 2) & (py > y1 - s / 2) & (py < y2 + s / 2)).any(1)
        ignore &= assigned < 0
    return assigned, ignore


def all_points(size: int) -> np.ndarray:
    from ...detection.pyramid_net import point_grid

    return np.concatenate(point_grid(size, size))


def decode_torch(raw: torch.Tensor, points: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Raw (..., 15) at points (..., 3) to boxes (..., 4) and landmarks (..., 10: x0..x4, y0..y4)."""
    px, py, s = points[..., 0], points[..., 1], points[..., 2]
    cx, cy = px + raw[..., 1] * s, py + raw[..., 2] * s
    w, h = torch.exp(raw[..., 3].clamp(-6, 6)) * s, torch.exp(raw[..., 4].clamp(-6, 6)) * s
    boxes = torch.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], -1)
    return boxes, raw[..., 5:15]


def box_iou_pairs(a: torch.Tensor, b: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """IoU and GIoU of matching rows of a and b (N, 4)."""
    iw = (torch.min(a[:, 2], b[:, 2]) - torch.max(a[:, 0], b[:, 0])).clamp(min=0)
    ih = (torch.min(a[:, 3], b[:, 3]) - torch.max(a[:, 1], b[:, 1])).clamp(min=0)
    inter = iw * ih
    area_a = (a[:, 2] - a[:, 0]).clamp(min=0) * (a[:, 3] - a[:, 1]).clamp(min=0)
    area_b = (b[:, 2] - b[:, 0]).clamp(min=0) * (b[:, 3] - b[:, 1]).clamp(min=0)
    union = area_a + area_b - inter + 1e-6
    iou = inter / union
    cw = torch.max(a[:, 2], b[:, 2]) - torch.min(a[:, 0], b[:, 0])
    ch = torch.max(a[:, 3], b[:, 3]) - torch.min(a[:, 1], b[:, 1])
    hull = cw * ch + 1e-6
    return iou, iou - (hull - union) / hull


def detector_loss(
    raw: torch.Tensor,
    points: torch.Tensor,
    target_boxes: torch.Tensor,
    target_landmarks: torch.Tensor,
    positive: torch.Tensor,
    ignore: torch.Tensor,
) -> dict[str, torch.Tensor]:
    """raw (B, P, 15); points (P, 3); per point target_boxes (B, P, 4), target_landmarks (B, P, 10)
    (NaN where unknown), positive and ignore (B, P) bool. Returns the loss terms and their sum."""
    logits = raw[..., 0]
    quality = torch.zeros_like(logits)
    n_pos = max(1.0, float(positive.sum()))
    pos_raw = raw[positive]
    pos_points = points.expand(raw.shape[0], -1, -1)[positive]
    boxes, landmarks = decode_torch(pos_raw, pos_points)
    iou, giou = box_iou_pairs(boxes, target_boxes[positive])
    quality[positive] = iou.detach().clamp(min=0.01)
    prob = torch.sigmoid(logits)
    focal = F.binary_cross_entropy_with_logits(logits, quality, reduction="none") * (prob - quality).abs().pow(2)
    score_loss = focal[~ignore].sum() / n_pos
    box_loss = BOX_WEIGHT * (1 - giou).sum() / n_pos
    lm_target = target_landmarks[positive]
    known = ~torch.isnan(lm_target[:, 0])
    if known.any():
        s = pos_points[known][:, 2:3]
        offsets = torch.cat(
            [
                (lm_target[known][:, :5] - pos_points[known][:, 0:1]) / s,
                (lm_target[known][:, 5:] - pos_points[known][:, 1:2]) / s,
            ],
            1,
        )
        landmark_loss = LANDMARK_WEIGHT * F.smooth_l1_loss(landmarks[known], offsets, reduction="sum") / n_pos
    else:
        landmark_loss = raw.sum() * 0
    total = score_loss + box_loss + landmark_loss
    return {"loss": total, "score": score_loss.detach(), "box": box_loss.detach(), "landmarks": landmark_loss.detach()}


__all__ = ["STRIDES", "assign", "all_points", "decode_torch", "detector_loss"]
