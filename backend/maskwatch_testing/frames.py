"""Synthetic scenes for the web tests: real fixture faces pasted on a plain frame, moving."""

from __future__ import annotations

import cv2
import numpy as np

from maskwatch.training.synth import draw_plain_mask

from .faces import ASTRONAUT_FACE, GRACE_HOPPER_FACE

FRAME_SIZE = (480, 640)  # height, width: the live camera's size


def head_patch(image: np.ndarray, face_box, margin: float = 0.6, width: int = 150) -> np.ndarray:
    """The face with `margin` face-widths of context on each side, resized to `width` pixels wide."""
    x1, y1, x2, y2 = face_box
    mx, my = (x2 - x1) * margin, (y2 - y1) * margin
    h, w = image.shape[:2]
    crop = image[max(0, int(y1 - my)) : min(h, int(y2 + my)), max(0, int(x1 - mx)) : min(w, int(x2 + mx))]
    scale = width / crop.shape[1]
    return cv2.resize(crop, (width, round(crop.shape[0] * scale)), interpolation=cv2.INTER_AREA)


def masked(image: np.ndarray, face_detector, placement: str = "correct") -> np.ndarray:
    face = face_detector.detect(image)[0]
    return draw_plain_mask(image, face.landmarks, placement, (165, 205, 235))


def scene(patches: list[tuple[np.ndarray, int, int]], size=FRAME_SIZE, grey: int = 128) -> np.ndarray:
    """A frame of `size` with each (patch, x, y) pasted at its top-left corner (clipped at the edges)."""
    frame = np.full((*size, 3), grey, np.uint8)
    for patch, x, y in patches:
        ph, pw = patch.shape[:2]
        fx1, fy1, fx2, fy2 = max(0, x), max(0, y), min(size[1], x + pw), min(size[0], y + ph)
        if fx2 > fx1 and fy2 > fy1:
            frame[fy1:fy2, fx1:fx2] = patch[fy1 - y : fy2 - y, fx1 - x : fx2 - x]
    return frame


def walking(patch: np.ndarray, frames: int, start=(20, 120), step=(12, 2)) -> list[tuple[int, int]]:
    """Top-left positions of a patch walking `step` pixels per frame."""
    return [(start[0] + i * step[0], start[1] + i * step[1]) for i in range(frames)]


def people(astronaut, grace_hopper, face_detector) -> dict[str, np.ndarray]:
    """Head patches: the astronaut bare and masked, Grace Hopper bare."""
    return {
        "astronaut": head_patch(astronaut, ASTRONAUT_FACE),
        "astronaut_masked": head_patch(masked(astronaut, face_detector), ASTRONAUT_FACE),
        "grace_hopper": head_patch(grace_hopper, GRACE_HOPPER_FACE),
    }
