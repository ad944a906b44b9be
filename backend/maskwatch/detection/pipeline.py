"""MaskDetector: faces from a FaceDetector, verdicts from a MaskClassifier."""

from __future__ import annotations

import cv2
import numpy as np

from .classifier import MaskClassifier
from .detail import face_detail
from .faces import FaceDetector
from .types import Detection, Face


class MaskDetector:
    """Finds faces and labels each one.

    Example: MaskDetector(MtcnnFaceDetector(), MaskClassifier.from_file(path)).detect(rgb_frame)
    """

    def __init__(self, face_detector: FaceDetector, classifier: MaskClassifier):
        self.face_detector = face_detector
        self.classifier = classifier

    def detect(self, frame: np.ndarray) -> list[Detection]:
        """Detections for one RGB uint8 frame (H, W, 3)."""
        return self.classify(frame, self.face_detector.detect(frame))

    def detect_batch(self, frames: list[np.ndarray]) -> list[list[Detection]]:
        return [self.classify(f, faces) for f, faces in zip(frames, self.face_detector.detect_batch(frames))]

    def classify(self, frame: np.ndarray, faces: list[Face]) -> list[Detection]:
        probs = self.classifier.classify(frame, [f.box for f in faces])
        labels = self.classifier.labels
        detections = []
        for face, p in zip(faces, probs):
            label, confidence = self.classifier.verdict(p, face_detail(frame, face.box))
            detections.append(
                Detection(
                    face,
                    label,
                    confidence,
                    {name: float(v) for name, v in zip(labels, p)},
                    appearance_signature(frame, face.box),
                )
            )
        return detections


SIGNATURE_SIDE = 8
#: The signature's box is the face box grown by this factor: hair and collar tell people apart.
SIGNATURE_GROW = 1.5


def appearance_signature(frame: np.ndarray, box) -> np.ndarray:
    """The face and its surroundings shrunk to 8x8 colour pixels, each channel less its mean, unit
    length: the dot product of two signatures is their correlation. Enough to tell one person from
    another taking their place; it cannot show a face, and it is never stored."""
    height, width = frame.shape[:2]
    x1, y1, x2, y2 = (float(v) for v in box)
    cx, cy, half_w, half_h = (
        (x1 + x2) / 2,
        (y1 + y2) / 2,
        (x2 - x1) * SIGNATURE_GROW / 2,
        (y2 - y1) * SIGNATURE_GROW / 2,
    )
    x1, y1 = max(0, int(round(cx - half_w))), max(0, int(round(cy - half_h)))
    x2, y2 = min(width, int(round(cx + half_w))), min(height, int(round(cy + half_h)))
    if x2 - x1 < 2 or y2 - y1 < 2:
        return np.zeros(SIGNATURE_SIDE * SIGNATURE_SIDE * 3, np.float32)
    small = cv2.resize(frame[y1:y2, x1:x2], (SIGNATURE_SIDE, SIGNATURE_SIDE), interpolation=cv2.INTER_AREA)
    small = small.astype(np.float32)
    vector = (small - small.mean((0, 1))).ravel()
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm > 1e-6 else vector
