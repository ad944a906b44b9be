"""MaskDetector: faces from a FaceDetector, verdicts from a MaskClassifier."""

from __future__ import annotations

import numpy as np

from .classifier import MaskClassifier
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
            best = int(np.argmax(p))
            detections.append(Detection(face, labels[best], float(p[best]),
                                        {name: float(v) for name, v in zip(labels, p)}))
        return detections
