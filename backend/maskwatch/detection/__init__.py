"""Face detection and mask classification: pure PyTorch/OpenCV, never imports Flask."""

from .classifier import MaskClassifier
from .faces import FaceDetector, MtcnnFaceDetector
from .pipeline import MaskDetector
from .types import LABELS, Detection, Face

__all__ = ["LABELS", "Detection", "Face", "FaceDetector", "MtcnnFaceDetector", "MaskClassifier", "MaskDetector"]
