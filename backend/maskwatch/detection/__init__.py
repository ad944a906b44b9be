"""Face detection and mask classification: pure PyTorch/OpenCV, never imports Flask."""

from .types import LABELS, Detection, Face
from .faces import FaceDetector, MtcnnFaceDetector
from .classifier import MaskClassifier
from .pipeline import MaskDetector

__all__ = ["LABELS", "Detection", "Face", "FaceDetector", "MtcnnFaceDetector", "MaskClassifier", "MaskDetector"]
