"""The one MaskDetector of a process, shared by requests, video jobs and live clients."""

from __future__ import annotations

import threading

from flask import Flask, current_app

EXTENSION_KEY = "maskwatch.detector"


class DetectorService:
    """Serialises calls to one detector: torch models are not meant to run two forwards at once here,
    and with 2 cores a queue is faster than two threads fighting.

    Args: detector, a maskwatch.detection.MaskDetector (or anything with detect(rgb)); or build, a
    function that makes one on the first detect (a Celery worker's parent process never loads the model,
    its forked children do).
    """

    def __init__(self, detector=None, build=None):
        self.detector = detector
        self._build = build
        self._lock = threading.Lock()

    def detect(self, rgb):
        with self._lock:
            if self.detector is None:
                self.detector = self._build()
            return self.detector.detect(rgb)


def build_mask_detector(config) -> object:
    """Face detector (DETECTOR) + classifier from configuration (MODEL_PATH, MIN_FACE_SIZE, TORCH_THREADS)."""
    from .detection.factory import build_mask_detector as build

    return build(config["DETECTOR"], config["MODEL_PATH"], min_face_size=config["MIN_FACE_SIZE"],
                 threads=config["TORCH_THREADS"])


def init_app(app: Flask, detector=None) -> None:
    """Attach the detector (built from app.config when none is given; on first use if LAZY_DETECTOR) to the app."""
    if detector is None and app.config.get("LAZY_DETECTOR"):
        config = dict(app.config)
        app.extensions[EXTENSION_KEY] = DetectorService(build=lambda: build_mask_detector(config))
        return
    app.extensions[EXTENSION_KEY] = DetectorService(detector if detector is not None else build_mask_detector(app.config))


def get_detector() -> DetectorService:
    return current_app.extensions[EXTENSION_KEY]
