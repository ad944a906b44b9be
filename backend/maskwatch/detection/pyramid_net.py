"""Our one-stage face detector network: a small depthwise-separable backbone, a feature pyramid at
strides 4, 8, 16 and 32, and at every point of every level a face score, a box and five landmarks.

Anchor-free, after YuNet and SCRFD: each feature-map point predicts the face centred near it, so
faces of 8-16 px have their own stride-4 points and no image pyramid is needed. Preprocessing and
decoding live here so training and serving share them.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

STRIDES: tuple[int, ...] = (4, 8, 16, 32)
#: Per point: 1 face logit, 4 box values (centre offset dx, dy and log width, log height, in strides), 10 landmark offsets.
OUTPUTS_PER_POINT = 15
#: Input sides are padded up to a multiple of this (the coarsest stride).
SIZE_MULTIPLE = 32


def conv_bn(cin: int, cout: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


def separable(cin: int, cout: int, stride: int = 1) -> nn.Sequential:
    """Depthwise 3x3 then pointwise 1x1, each with batch norm; ReLU after the pointwise."""
    return nn.Sequential(
        nn.Conv2d(cin, cin, 3, stride, 1, groups=cin, bias=False),
        nn.BatchNorm2d(cin),
        nn.Conv2d(cin, cout, 1, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
    )


class PyramidFaceNet(nn.Module):
    """Input: float tensor (N, 3, H, W) from `to_input`, H and W multiples of 32.
    Output: one tensor (N, H/s * W/s, 15) per stride s in STRIDES, row-major over the feature map.

    Example: PyramidFaceNet()(torch.zeros(1, 3, 320, 320))[0].shape == (1, 6400, 15)
    """

    def __init__(self, width: int = 32):
        super().__init__()
        self.stem = conv_bn(3, 16, 2)  # stride 2
        self.stage4 = nn.Sequential(separable(16, 32, 2), separable(32, 32))  # stride 4
        self.stage8 = nn.Sequential(separable(32, 48, 2), separable(48, 48), separable(48, 48))  # stride 8
        self.stage16 = nn.Sequential(separable(48, 64, 2), separable(64, 64), separable(64, 64))
        self.stage32 = nn.Sequential(separable(64, 96, 2), separable(96, 96), separable(96, 96))
        self.lateral = nn.ModuleList(nn.Conv2d(c, width, 1) for c in (32, 48, 64, 96))
        self.smooth = nn.ModuleList(separable(width, width) for _ in STRIDES)
        self.heads = nn.ModuleList(
            nn.Sequential(separable(width, width), nn.Conv2d(width, OUTPUTS_PER_POINT, 1)) for _ in STRIDES
        )
        self._init_score_bias()

    def _init_score_bias(self, prior: float = 0.01) -> None:
        # Focal-loss practice: start every point at a low face probability so early training is stable.
        for head in self.heads:
            assert isinstance(head, nn.Sequential)
            last = head[-1]
            assert isinstance(last, nn.Conv2d) and last.bias is not None  # the output conv, built with bias
            nn.init.normal_(last.weight, std=0.01)
            nn.init.zeros_(last.bias)
            with torch.no_grad():
                last.bias[0] = -float(np.log((1 - prior) / prior))

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        c4 = self.stage4(self.stem(x))
        c8 = self.stage8(c4)
        c16 = self.stage16(c8)
        c32 = self.stage32(c16)
        features = [lat(c) for lat, c in zip(self.lateral, (c4, c8, c16, c32))]
        for i in range(len(features) - 2, -1, -1):
            features[i] = features[i] + F.interpolate(features[i + 1], size=features[i].shape[-2:], mode="nearest")
        outputs = []
        for feature, smooth, head in zip(features, self.smooth, self.heads):
            out = head(smooth(feature))
            outputs.append(out.flatten(2).transpose(1, 2))
        return outputs


def padded_size(height: int, width: int) -> tuple[int, int]:
    """The input size a frame is padded to: each side rounded up to a multiple of 32."""
    up = lambda v: max(SIZE_MULTIPLE, -(-v // SIZE_MULTIPLE) * SIZE_MULTIPLE)  # noqa: E731
    return up(height), up(width)


def to_input(frames: np.ndarray) -> torch.Tensor:
    """RGB uint8 frames (N, H, W, 3), H and W multiples of 32, to the network's float input in [-1, 1]."""
    tensor = torch.from_numpy(np.ascontiguousarray(frames)).permute(0, 3, 1, 2).float()
    return tensor.div_(127.5).sub_(1.0)


def pad_frame(frame: np.ndarray) -> np.ndarray:
    """The frame padded right and bottom with zeros to `padded_size`."""
    height, width = frame.shape[:2]
    ph, pw = padded_size(height, width)
    if (ph, pw) == (height, width):
        return frame
    out = np.zeros((ph, pw, 3), np.uint8)
    out[:height, :width] = frame
    return out


def point_grid(height: int, width: int) -> list[np.ndarray]:
    """Per stride, (H/s * W/s, 3) float32 rows of point x, point y and stride for a padded input size."""
    grids = []
    for s in STRIDES:
        ys, xs = np.mgrid[0 : height // s, 0 : width // s]
        centres = np.stack([(xs.ravel() + 0.5) * s, (ys.ravel() + 0.5) * s, np.full(xs.size, s)], 1)
        grids.append(centres.astype(np.float32))
    return grids


def decode(raw: np.ndarray, grid: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Raw outputs (P, 15) at points (P, 3) to (scores (P,), boxes (P, 4) x1 y1 x2 y2, landmarks (P, 5, 2))."""
    px, py, s = grid[:, 0:1], grid[:, 1:2], grid[:, 2:3]
    scores = 1.0 / (1.0 + np.exp(-raw[:, 0]))
    cx = px[:, 0] + raw[:, 1] * s[:, 0]
    cy = py[:, 0] + raw[:, 2] * s[:, 0]
    w = np.exp(np.clip(raw[:, 3], -6, 6)) * s[:, 0]
    h = np.exp(np.clip(raw[:, 4], -6, 6)) * s[:, 0]
    boxes = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], 1)
    landmarks = np.stack([px + raw[:, 5:10] * s, py + raw[:, 10:15] * s], 2)
    return scores, boxes, landmarks


def nms(boxes: np.ndarray, scores: np.ndarray, iou: float) -> np.ndarray:
    """Indices kept by greedy non-maximum suppression, highest score first."""
    import cv2

    if not len(boxes):
        return np.zeros(0, np.int64)
    xywh = np.concatenate([boxes[:, :2], boxes[:, 2:] - boxes[:, :2]], 1).astype(np.float32)
    kept = cv2.dnn.NMSBoxes(xywh.tolist(), scores.astype(np.float32).tolist(), 0.0, iou)
    keep = np.asarray(kept, np.int64).reshape(-1)
    return keep[np.argsort(-scores[keep], kind="stable")]


def select_faces(
    outputs: list[np.ndarray], grids: list[np.ndarray], min_score: float, nms_iou: float, top_k: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One frame's raw outputs (per stride (P, 15)) to (scores, boxes, landmarks) after a score floor,
    the top_k best and NMS; boxes in the padded input's pixels."""
    raw = np.concatenate(outputs)
    grid = np.concatenate(grids)
    logit_floor = np.log(min_score / (1 - min_score))
    candidates = np.flatnonzero(raw[:, 0] >= logit_floor)
    if len(candidates) > top_k:
        candidates = candidates[np.argpartition(-raw[candidates, 0], top_k)[:top_k]]
    scores, boxes, landmarks = decode(raw[candidates], grid[candidates])
    keep = nms(boxes, scores, nms_iou)
    return scores[keep], boxes[keep], landmarks[keep]
