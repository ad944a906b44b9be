"""Training-time augmentation of face crops (numpy/OpenCV, one crop at a time).

Each step mimics something a camera does to a face: tilt, framing by a detector box, distance (a
tiny face enlarged), focus blur, JPEG compression, lighting and colour cast.
"""

from __future__ import annotations

import cv2
import numpy as np


def geometric(crop: np.ndarray, rng: np.random.Generator, out_size: int) -> np.ndarray:
    """Flip, rotate +-15 deg, scale 0.85-1.2, shift +-7 %, resampled straight to out_size."""
    size = crop.shape[0]
    if rng.random() < 0.5:
        crop = crop[:, ::-1]
    angle = rng.uniform(-15, 15)
    scale = rng.uniform(0.85, 1.2) * out_size / size
    matrix = cv2.getRotationMatrix2D((size / 2, size / 2), angle, scale)
    matrix[:, 2] += (out_size - size) / 2 + rng.uniform(-0.07, 0.07, 2) * out_size
    return cv2.warpAffine(
        np.ascontiguousarray(crop),
        matrix,
        (out_size, out_size),
        flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_REPLICATE,
    )


def photometric(crop: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    size = crop.shape[0]
    if rng.random() < 0.35:  # a small, far face blown up by the crop resize
        small = int(rng.uniform(12, size * 0.6))
        crop = cv2.resize(cv2.resize(crop, (small, small), interpolation=cv2.INTER_AREA), (size, size))
    if rng.random() < 0.2:
        crop = cv2.GaussianBlur(crop, (0, 0), rng.uniform(0.5, 1.5))
    img = crop.astype(np.float32)
    img = (img - 128) * rng.uniform(0.7, 1.3) + 128 + rng.uniform(-30, 30)  # contrast, brightness
    gray = img.mean(axis=2, keepdims=True)
    img = gray + (img - gray) * rng.uniform(0.6, 1.4)  # saturation
    img = img * rng.uniform(0.9, 1.1, 3)  # colour cast
    if rng.random() < 0.1:
        img = np.repeat(img.mean(axis=2, keepdims=True), 3, axis=2)
    crop = np.clip(img, 0, 255).astype(np.uint8)
    if rng.random() < 0.3:
        ok, buf = cv2.imencode(".jpg", crop, [cv2.IMWRITE_JPEG_QUALITY, int(rng.uniform(25, 90))])
        crop = cv2.imdecode(buf, cv2.IMREAD_UNCHANGED)
    return crop


def augment(crop: np.ndarray, rng: np.random.Generator, out_size: int) -> np.ndarray:
    return photometric(geometric(crop, rng, out_size), rng)


def resize_for_eval(crop: np.ndarray, out_size: int) -> np.ndarray:
    if crop.shape[0] == out_size:
        return crop
    interp = cv2.INTER_AREA if crop.shape[0] > out_size else cv2.INTER_LINEAR
    return cv2.resize(crop, (out_size, out_size), interpolation=interp)
