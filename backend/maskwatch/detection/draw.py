"""Annotate a frame with coloured boxes and labels."""

from __future__ import annotations

import cv2
import numpy as np

from .types import Detection

#: RGB colours per verdict.
COLOURS = {"mask": (40, 180, 70), "no_mask": (220, 40, 40), "incorrect": (245, 160, 0), "unknown": (150, 150, 150)}
CAPTIONS = {"mask": "mask", "no_mask": "no mask", "incorrect": "mask worn incorrectly", "unknown": "unknown"}


def draw_detections(frame: np.ndarray, detections: list[Detection], numbers: list[int] | None = None) -> np.ndarray:
    """A copy of the RGB frame with one box and caption per detection; numbers (a video's person numbers, one
    per detection) begin each caption as "#3", so a per-person table can be matched to the faces."""
    out = frame.copy()
    thickness = max(1, round(max(frame.shape[:2]) / 400))
    font_scale = max(0.4, max(frame.shape[:2]) / 1600)
    for i, det in enumerate(detections):
        colour = COLOURS.get(det.label, COLOURS["unknown"])
        x1, y1, x2, y2 = (int(round(v)) for v in det.box)
        cv2.rectangle(out, (x1, y1), (x2, y2), colour, thickness)
        text = f"{CAPTIONS.get(det.label, det.label)} {det.score:.0%}"
        if numbers is not None:
            text = f"#{numbers[i]} {text}"
        (tw, th), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, font_scale, 1)
        ty = y1 - 4 if y1 - th - base - 4 >= 0 else y2 + th + 4
        cv2.rectangle(out, (x1, ty - th - base), (x1 + tw + 4, ty + base), colour, -1)
        cv2.putText(out, text, (x1 + 2, ty), cv2.FONT_HERSHEY_SIMPLEX, font_scale, (255, 255, 255), 1, cv2.LINE_AA)
    return out
