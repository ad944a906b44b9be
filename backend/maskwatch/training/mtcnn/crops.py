"""Crops of 1-based inclusive boxes, resampled exactly like detect_face's pad + imresample."""

from __future__ import annotations

import cv2
import numpy as np
import torch
import torch.nn.functional as F


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


def upscaled_box(boxes: np.ndarray, factor: int = 2) -> np.ndarray:
    """1-based inclusive boxes of an image mapped into the same image resized by an integer factor."""
    out = boxes.astype(np.float32).copy()
    out[:, :2] = factor * (out[:, :2] - 1) + 1
    out[:, 2:] = factor * out[:, 2:]
    return out


def crop_boxes(img: torch.Tensor, boxes: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Crops of `boxes` from img (1,3,H,W) resampled to size x size like detect_face's pad+imresample.

    Returns (uint8 crops (K,3,size,size), indices of the boxes that gave a crop)."""
    h, w = img.shape[2:]
    crops, keep = [], []
    b = np.trunc(boxes).astype(np.int64)
    for i, (x, y, ex, ey) in enumerate(b):
        x, y, ex, ey = max(x, 1), max(y, 1), min(ex, w), min(ey, h)
        if ey > y - 1 and ex > x - 1 and ey - y >= 1 and ex - x >= 1:
            patch = img[:, :, y - 1 : ey, x - 1 : ex]
            crops.append(F.interpolate(patch, size=(size, size), mode="area"))
            keep.append(i)
    if not crops:
        return np.zeros((0, 3, size, size), np.uint8), np.zeros(0, np.int64)
    out = torch.cat(crops).round().clamp(0, 255).to(torch.uint8).numpy()
    return out, np.asarray(keep, np.int64)


def crop_scene(scene_img: SceneImage, boxes: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Crops from the original image; boxes smaller than the net input come from the 2x image.

    Returns (uint8 crops (N,3,size,size), bool (N,) whether box i gave a crop)."""
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
