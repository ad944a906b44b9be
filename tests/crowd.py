"""A picture of the fixture faces at chosen sizes, bare and masked, on a textured background, with
where each face is: for tests of the detector and the upload route."""

from __future__ import annotations

import cv2
import numpy as np

from maskwatch.training.synth import draw_plain_mask
from maskwatch_testing.faces import ASTRONAUT_FACE, GRACE_HOPPER_FACE

SMALL_SIDES = (12, 14, 16, 18, 20)
LARGE_SIDES = (60, 80, 100, 120)
#: A face's surroundings kept around it, as a share of its width on each side.
CONTEXT = 0.35


def background(height: int, width: int, seed: int = 0) -> np.ndarray:
    """Smooth colour texture: no faces, but not a flat field either."""
    rng = np.random.default_rng(seed)
    coarse = rng.uniform(60, 200, (height // 40 + 1, width // 40 + 1, 3)).astype(np.float32)
    smooth = cv2.resize(coarse, (width, height), interpolation=cv2.INTER_CUBIC)
    return np.clip(smooth + rng.normal(0, 6, smooth.shape), 0, 255).astype(np.uint8)


def paste_face(canvas: np.ndarray, photo: np.ndarray, box, side: int, at: tuple[int, int]) -> tuple[float, ...]:
    """The photo's face (box) with its surroundings, scaled so the face is `side` px wide, pasted with its
    top-left corner at `at`; returns the face's box in the canvas."""
    x1, y1, x2, y2 = box
    margin = CONTEXT * (x2 - x1)
    cx1, cy1 = max(0, int(x1 - margin)), max(0, int(y1 - margin))
    cx2, cy2 = min(photo.shape[1], int(x2 + margin)), min(photo.shape[0], int(y2 + margin))
    scale = side / (x2 - x1)
    patch = cv2.resize(
        photo[cy1:cy2, cx1:cx2],
        (max(1, round((cx2 - cx1) * scale)), max(1, round((cy2 - cy1) * scale))),
        interpolation=cv2.INTER_AREA,
    )
    px, py = at
    h, w = patch.shape[:2]
    canvas[py : py + h, px : px + w] = patch[: canvas.shape[0] - py, : canvas.shape[1] - px]
    return (px + (x1 - cx1) * scale, py + (y1 - cy1) * scale, px + (x2 - cx1) * scale, py + (y2 - cy1) * scale)


def crowd_picture(astronaut, grace_hopper, face_detector, small=SMALL_SIDES, large=LARGE_SIDES):
    """640x480 with faces of `small` widths (a row at the top) and `large` ones (a row below, side by side,
    every one whole inside the picture), every other one masked. Returns (picture, [(face box, width,
    "bare" | "masked")])."""
    photos = []
    for photo, box in ((astronaut, ASTRONAUT_FACE), (grace_hopper, GRACE_HOPPER_FACE)):
        landmarks = face_detector.detect(photo)[0].landmarks
        photos.append((photo, box, "bare"))
        photos.append((draw_plain_mask(photo, landmarks, "correct", (165, 205, 235)), box, "masked"))
    canvas = background(480, 640)
    faces = []
    for i, side in enumerate(small):
        photo, box, kind = photos[i % len(photos)]
        faces.append((paste_face(canvas, photo, box, side, (30 + 120 * i, 40)), side, kind))
    x = 0
    for i, side in enumerate(large):
        photo, box, kind = photos[(i + 1) % len(photos)]
        faces.append((paste_face(canvas, photo, box, side, (x, 170)), side, kind))
        x += round(side * (1 + 2 * CONTEXT))
    return canvas, faces
