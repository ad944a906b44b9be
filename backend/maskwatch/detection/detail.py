"""How much a face shows: too small or too blurred a face cannot be judged, however sure the
classifier sounds (a smudge of skin colour reads as "no mask" at 90 %).

`face_detail(frame, box)` brings the face box (no margin) to DETAIL_SIDE x DETAIL_SIDE grey pixels and
measures what survives a light blur: the share of the face's contrast in its finest detail. A sharp
face of 100 px keeps a lot of it; the same face at 12 px, enlarged to DETAIL_SIDE, or blurred, keeps
little. The threshold below which a face is `unknown` is chosen on validation faces
(`maskwatch calibrate-detail`) and kept in the classifier's weights file.
"""

from __future__ import annotations

import cv2
import numpy as np

DETAIL_SIDE = 32


def face_detail(frame: np.ndarray, box) -> float:
    """Fine detail of the face in box, 0 (a flat or wholly blurred patch) to about 1.

    Example: face_detail(rgb, face.box) -> 0.31 for a sharp 80 px face, 0.05 for a 12 px one blurred
    """
    height, width = frame.shape[:2]
    x1, y1 = max(0, int(round(box[0]))), max(0, int(round(box[1])))
    x2, y2 = min(width, int(round(box[2]))), min(height, int(round(box[3])))
    if x2 - x1 < 2 or y2 - y1 < 2:
        return 0.0
    patch = frame[y1:y2, x1:x2]
    grey = cv2.cvtColor(patch, cv2.COLOR_RGB2GRAY) if patch.ndim == 3 else patch
    interpolation = cv2.INTER_AREA if min(grey.shape) > DETAIL_SIDE else cv2.INTER_LINEAR
    grey = cv2.resize(grey, (DETAIL_SIDE, DETAIL_SIDE), interpolation=interpolation).astype(np.float32)
    contrast = float(grey.std())
    if contrast < 1.0:
        return 0.0
    fine = grey - cv2.GaussianBlur(grey, (0, 0), 1.0)
    return float(fine.std()) / contrast
