"""Training views of detector scenes: random square crops at a random scale, flips, faces pasted in
(copy-paste), colour, blur and JPEG. All in numpy/OpenCV; boxes and landmarks move with the pixels."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from ..crop_sets import twelve_k_split

#: Faces smaller than this (px, shorter side) after a crop are not asked for; the points on them are ignored.
MIN_TRAIN_FACE = 4
#: Left/right landmark pairs swap under a horizontal flip: eyes (0, 1), mouth corners (3, 4).
FLIP_ORDER = [1, 0, 2, 4, 3]
PAD_VALUE = 114


def random_crop(image, boxes, landmarks, out_size: int, rng: np.random.Generator, scale_range=(0.3, 1.5)):
    """A square of side `scale` x the image's shorter side (log-uniform in scale_range), resized to
    out_size; parts outside the image are grey. Returns the view, boxes, landmarks, and the boxes too
    small to learn from (to be ignored)."""
    h, w = image.shape[:2]
    side = min(h, w) * float(np.exp(rng.uniform(*np.log(scale_range))))
    x0 = rng.uniform(min(0.0, w - side), max(0.0, w - side))
    y0 = rng.uniform(min(0.0, h - side), max(0.0, h - side))
    k = out_size / side
    m = np.float32([[k, 0, -x0 * k], [0, k, -y0 * k]])
    interp = cv2.INTER_AREA if k < 1 else cv2.INTER_LINEAR
    view = cv2.warpAffine(image, m, (out_size, out_size), flags=interp, borderValue=(PAD_VALUE,) * 3)
    boxes = (boxes.reshape(-1, 2, 2) - [x0, y0]) * k
    boxes = boxes.reshape(-1, 4)
    landmarks = (landmarks - [x0, y0]) * k
    centre = (boxes[:, :2] + boxes[:, 2:]) / 2
    inside = (centre >= 0).all(1) & (centre < out_size).all(1)
    clipped = np.clip(boxes, 0, out_size)
    sides = np.minimum(clipped[:, 2] - clipped[:, 0], clipped[:, 3] - clipped[:, 1])
    # a face cut to less than half of itself is not a face to find, nor one to punish
    area = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    kept_share = (clipped[:, 2] - clipped[:, 0]) * (clipped[:, 3] - clipped[:, 1]) / np.maximum(area, 1e-6)
    keep = inside & (sides >= MIN_TRAIN_FACE) & (kept_share >= 0.5)
    ignore = inside & ~keep
    return (
        view,
        clipped[keep].astype(np.float32),
        landmarks[keep].astype(np.float32),
        clipped[ignore].astype(np.float32),
    )


def flip(view, boxes, landmarks):
    w = view.shape[1]
    boxes = boxes.copy()
    boxes[:, [0, 2]] = w - boxes[:, [2, 0]]
    landmarks = landmarks[:, FLIP_ORDER].copy()
    landmarks[..., 0] = w - landmarks[..., 0]
    return view[:, ::-1].copy(), boxes, landmarks


def photometric(view, rng: np.random.Generator):
    """Hue, saturation and brightness jitter; sometimes grey, blurred or JPEG-compressed."""
    hsv = cv2.cvtColor(view, cv2.COLOR_RGB2HSV).astype(np.int16)
    hsv[..., 0] = (hsv[..., 0] + rng.integers(-8, 9)) % 180
    hsv[..., 1] = np.clip(hsv[..., 1] * rng.uniform(0.6, 1.4), 0, 255)
    hsv[..., 2] = np.clip(hsv[..., 2] * rng.uniform(0.6, 1.4) + rng.integers(-20, 21), 0, 255)
    view = cv2.cvtColor(hsv.astype(np.uint8), cv2.COLOR_HSV2RGB)
    if rng.random() < 0.05:
        view = np.repeat(cv2.cvtColor(view, cv2.COLOR_RGB2GRAY)[..., None], 3, 2)
    if rng.random() < 0.15:
        view = cv2.GaussianBlur(view, (0, 0), rng.uniform(0.5, 1.5))
    if rng.random() < 0.2:
        ok, data = cv2.imencode(".jpg", view, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(25, 90))])
        view = cv2.imdecode(data, cv2.IMREAD_UNCHANGED)
    return view


class FacePool:
    """Face crops to paste into scenes: faces-12k (training split only: its validation part is a
    classifier check) and MaskedFace-Net; each whole crop is its face box."""

    def __init__(self, data_root: Path, limit: int = 3000, seed: int = 0):
        rng = np.random.default_rng(seed)
        paths = [
            p
            for folder in ("with_mask", "without_mask")
            for p in sorted((Path(data_root) / "faces-12k" / folder).glob("*.jpg"))
            if twelve_k_split(p.name) == "train"
        ]
        paths += sorted((Path(data_root) / "maskedfacenet").glob("*/*.jpg"))
        chosen = rng.choice(len(paths), size=min(limit, len(paths)), replace=False) if paths else []
        self.faces = []
        for i in chosen:
            bgr = cv2.imread(str(paths[i]), cv2.IMREAD_COLOR)
            if bgr is not None:
                self.faces.append(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))

    def __len__(self) -> int:
        return len(self.faces)

    def paste(self, view, boxes, landmarks, rng: np.random.Generator, count: int, size_range=(8, 200)):
        """Paste `count` faces at log-uniform sizes where they cover no labelled face; soft edges."""
        out_h, out_w = view.shape[:2]
        view = view.copy()
        new_boxes, new_landmarks = [boxes], [landmarks]
        taken = boxes.copy()
        for _ in range(count):
            face = self.faces[int(rng.integers(len(self.faces)))]
            side = float(np.exp(rng.uniform(*np.log(size_range))))
            side = min(side, out_w * 0.6, out_h * 0.6)
            fh, fw = face.shape[:2]
            w, h = max(4, round(side * fw / max(fh, fw))), max(4, round(side * fh / max(fh, fw)))
            for _try in range(5):
                x, y = int(rng.integers(0, out_w - w + 1)), int(rng.integers(0, out_h - h + 1))
                box = np.float32([x, y, x + w, y + h])
                if not len(taken) or _overlap(box, taken).max() < 0.05:
                    break
            else:
                continue
            patch = cv2.resize(face, (w, h), interpolation=cv2.INTER_AREA if w < fw else cv2.INTER_LINEAR)
            alpha = np.zeros((h, w), np.float32)
            cv2.ellipse(alpha, (w // 2, h // 2), (max(1, int(w * 0.55)), max(1, int(h * 0.6))), 0, 0, 360, 1.0, -1)
            alpha = cv2.GaussianBlur(alpha, (0, 0), max(0.5, w / 20))[..., None]
            region = view[y : y + h, x : x + w].astype(np.float32)
            view[y : y + h, x : x + w] = (alpha * patch + (1 - alpha) * region).astype(np.uint8)
            new_boxes.append(box[None])
            new_landmarks.append(np.full((1, 5, 2), np.nan, np.float32))
            taken = np.concatenate([taken, box[None]])
        return view, np.concatenate(new_boxes).astype(np.float32), np.concatenate(new_landmarks).astype(np.float32)


def _overlap(box, boxes) -> np.ndarray:
    """Intersection over the smaller area of `box` with each of `boxes`."""
    iw = np.clip(np.minimum(box[2], boxes[:, 2]) - np.maximum(box[0], boxes[:, 0]), 0, None)
    ih = np.clip(np.minimum(box[3], boxes[:, 3]) - np.maximum(box[1], boxes[:, 1]), 0, None)
    area = np.minimum((box[2] - box[0]) * (box[3] - box[1]), (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1]))
    return iw * ih / np.maximum(area, 1e-6)
