"""Face crops and classifier preprocessing, shared by training and serving so the two cannot drift."""

from __future__ import annotations

import cv2
import numpy as np
import torch

#: Context kept around a detector box on each side, as a share of the box's longer side.
DEFAULT_MARGIN = 0.15


def square_box(box, margin: float = DEFAULT_MARGIN) -> tuple[int, int, int, int]:
    """The square around `box` (x1, y1, x2, y2), enlarged by `margin` of its longer side each way."""
    x1, y1, x2, y2 = (float(v) for v in box)
    cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
    side = max(x2 - x1, y2 - y1) * (1 + 2 * margin)
    half = side / 2
    return (round(cx - half), round(cy - half), round(cx + half), round(cy + half))


def crop_face(frame: np.ndarray, box, size: int, margin: float = DEFAULT_MARGIN) -> np.ndarray:
    """Square RGB crop of `size`x`size` around a face; parts outside the frame are edge-replicated.

    Example: crop_face(rgb, (10, 20, 50, 70), 96).shape == (96, 96, 3)
    """
    x1, y1, x2, y2 = square_box(box, margin)
    height, width = frame.shape[:2]
    pad = max(0, -x1, -y1, x2 - width, y2 - height)
    if pad:
        frame = cv2.copyMakeBorder(frame, pad, pad, pad, pad, cv2.BORDER_REPLICATE)
        x1, y1, x2, y2 = x1 + pad, y1 + pad, x2 + pad, y2 + pad
    crop = frame[y1:y2, x1:x2]
    if crop.size == 0:
        return np.zeros((size, size, 3), np.uint8)
    interp = cv2.INTER_AREA if crop.shape[0] > size else cv2.INTER_LINEAR
    return cv2.resize(crop, (size, size), interpolation=interp)


def to_tensor(crops: list[np.ndarray] | np.ndarray) -> torch.Tensor:
    """Stack RGB uint8 crops (N, S, S, 3) into a float tensor (N, 3, S, S) scaled to [-1, 1]."""
    batch = np.ascontiguousarray(np.stack(crops) if isinstance(crops, list) else crops)
    tensor = torch.from_numpy(batch).permute(0, 3, 1, 2).float()
    return tensor.div_(127.5).sub_(1.0)
