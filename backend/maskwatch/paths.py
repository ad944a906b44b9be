"""Where the repository keeps its trained weights and where training data lives by default."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def models_dir() -> Path:
    """Folder of trained weights: $MASKWATCH_MODELS, else models/ at the repository root."""
    return Path(os.environ.get("MASKWATCH_MODELS", REPO_ROOT / "models"))


def default_classifier_path() -> Path:
    return Path(os.environ.get("MODEL_PATH", models_dir() / "mask_classifier.pt"))


def default_mtcnn_dir() -> Path | None:
    """Fine-tuned MTCNN weights (pnet.pt, rnet.pt, onet.pt) if they are there, else None (stock)."""
    path = models_dir() / "mtcnn"
    return path if path.is_dir() else None


def data_root() -> Path:
    """Training data: $MASKWATCH_DATA, else ../shared/datasets beside the repository."""
    return Path(os.environ.get("MASKWATCH_DATA", REPO_ROOT.parent / "shared" / "datasets"))


def default_face_detector_path() -> Path:
    """Our face detector: $FACE_DETECTOR_PATH, else models/face_detector.onnx."""
    return Path(os.environ.get("FACE_DETECTOR_PATH", models_dir() / "face_detector.onnx"))
