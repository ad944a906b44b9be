"""The one place a face detector is built from a name and plain settings (server, workers, CLI, evaluation)."""

from __future__ import annotations

import json
from pathlib import Path

from ..config import DETECTORS
from ..paths import default_classifier_path, default_face_detector_path, default_mtcnn_dir
from .classifier import MaskClassifier
from .faces import MtcnnFaceDetector, PyramidFaceDetector
from .pipeline import MaskDetector

MTCNN_OPERATING_SCORE = 0.9


def operating_threshold(weights: Path) -> float:
    """The score from which the product shows and counts a face: chosen on validation scenes when the
    detector was trained, kept in the JSON file beside its weights (models/face_detector.json)."""
    meta = Path(weights).with_suffix(".json")
    return float(json.loads(meta.read_text())["operating_threshold"])


def build_face_detector(
    name: str = "pyramid",
    *,
    min_face_size: int = 20,
    threads: int | None = None,
    max_side: int | None = None,
    upscale_below: int | None = None,
    min_score: float | None = None,
    weights: str | Path | None = None,
    stock_mtcnn: bool = False,
):
    """A FaceDetector by name. min_score None means the detector's operating threshold; give a low one
    (e.g. 0.05) to rank every candidate for AP.

    Example: build_face_detector("mtcnn", min_face_size=40, threads=1)
    """
    if name == "mtcnn":
        return MtcnnFaceDetector(
            min_face_size=min_face_size,
            threads=threads,
            max_side=max_side,
            upscale_below=upscale_below,
            min_score=MTCNN_OPERATING_SCORE if min_score is None else min_score,
            weights_dir=None if stock_mtcnn else (weights or default_mtcnn_dir()),
        )
    if name == "pyramid":
        path = Path(weights or default_face_detector_path())
        return PyramidFaceDetector(
            path,
            min_score=operating_threshold(path) if min_score is None else min_score,
            min_face_size=min_face_size,
            threads=threads,
            max_side=max_side,
            upscale_below=upscale_below,
        )
    raise ValueError(f"unknown detector {name!r}: choose one of {', '.join(DETECTORS)}")


def build_mask_detector(
    name: str = "pyramid", classifier_path: str | Path | None = None, **face_options
) -> MaskDetector:
    """Faces from build_face_detector(name, **face_options), verdicts from the classifier weights."""
    classifier = MaskClassifier.from_file(classifier_path or default_classifier_path())
    return MaskDetector(build_face_detector(name, **face_options), classifier)
