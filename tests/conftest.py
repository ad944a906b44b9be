"""Shared fixtures: real face photos shipped by installed packages, the real detector and weights."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from maskwatch.detection import MaskClassifier, MaskDetector, MtcnnFaceDetector
from maskwatch.paths import default_classifier_path, default_mtcnn_dir


@pytest.fixture(scope="session")
def astronaut() -> np.ndarray:
    import skimage.data

    return skimage.data.astronaut()


@pytest.fixture(scope="session")
def grace_hopper() -> np.ndarray:
    import matplotlib.cbook

    with matplotlib.cbook.get_sample_data("grace_hopper.jpg") as f:
        return np.asarray(Image.open(f).convert("RGB"))


@pytest.fixture(scope="session")
def face_detector() -> MtcnnFaceDetector:
    return MtcnnFaceDetector(weights_dir=default_mtcnn_dir())


@pytest.fixture(scope="session")
def classifier() -> MaskClassifier:
    return MaskClassifier.from_file(default_classifier_path())


@pytest.fixture(scope="session")
def mask_detector(face_detector, classifier) -> MaskDetector:
    return MaskDetector(face_detector, classifier)


def encode(image: np.ndarray, fmt: str = "JPEG", **params) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(image).save(buf, format=fmt, **params)
    return buf.getvalue()


@pytest.fixture
def image_file(tmp_path):
    """Write an RGB array to tmp_path/name in the format its suffix names; returns the path."""

    def write(name: str, image: np.ndarray):
        fmt = {"jpg": "JPEG", "jpeg": "JPEG", "png": "PNG", "webp": "WEBP"}[name.rsplit(".", 1)[1]]
        path = tmp_path / name
        path.write_bytes(encode(image, fmt))
        return path

    return write
