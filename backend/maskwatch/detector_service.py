"""The MaskDetectors of a process, one per detection profile, shared by requests, video jobs and live clients."""

from __future__ import annotations

import threading
from collections.abc import Mapping

from .detection.profiles import PICTURE, STREAM, DetectionProfile, profiles_from_config


class DetectorService:
    """Serialises calls to the detectors: torch models are not meant to run two forwards at once here,
    and with 2 cores a queue is faster than two threads fighting.

    Args: detector, a maskwatch.detection.MaskDetector (or anything with detect(rgb)) serving every
    profile, or a dict of them by profile name; or build, a function that makes that dict on the first
    detect (a Celery worker's parent process never loads the model, its forked children do); profiles,
    the DetectionProfile of each name (what answers report as the smallest face looked for).
    """

    def __init__(self, detector=None, build=None, profiles: dict[str, DetectionProfile] | None = None):
        self.detectors = (
            detector if isinstance(detector, dict) or detector is None else {PICTURE: detector, STREAM: detector}
        )
        self._build = build
        self.profiles = profiles or {}
        self._lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        return self.detectors is not None

    def detect(self, rgb, profile: str = STREAM):
        with self._lock:
            if self.detectors is None:
                self.detectors = self._build()
            return self.detectors[profile].detect(rgb)

    def detector_name(self, profile: str = STREAM) -> str | None:
        """The name of the face detector serving `profile` ("pyramid", "mtcnn"), None before a lazy build."""
        if self.detectors is None:
            return None
        return getattr(getattr(self.detectors[profile], "face_detector", None), "name", None)

    def smallest_face_px(self, profile: str, height: int, width: int) -> float | None:
        known = self.profiles.get(profile)
        return None if known is None else round(known.smallest_face_px(height, width), 1)


def build_mask_detectors(config) -> dict:
    """Face detector (DETECTOR) for each profile + one classifier (MODEL_PATH, TORCH_THREADS)."""
    from .detection import MaskClassifier, MaskDetector
    from .detection.factory import build_face_detector
    from .paths import default_classifier_path

    classifier = MaskClassifier.from_file(config["MODEL_PATH"] or default_classifier_path())
    return {
        name: MaskDetector(
            build_face_detector(config["DETECTOR"], threads=config["TORCH_THREADS"], **profile.detector_options()),
            classifier,
        )
        for name, profile in profiles_from_config(config).items()
    }


def detector_service(config: Mapping, *, lazy: bool = False) -> DetectorService:
    """The one detector factory of every process role: the detectors of both profiles built from config
    now, or (lazy) on the first detect, so a process that may never detect (a Celery worker's parent, the
    `purge` and `passwd` commands) never loads the models."""
    profiles = profiles_from_config(config)
    if lazy:
        snapshot = dict(config)
        return DetectorService(build=lambda: build_mask_detectors(snapshot), profiles=profiles)
    return DetectorService(build_mask_detectors(config), profiles=profiles)


def as_detector_service(detector, config: Mapping) -> DetectorService:
    """The DetectorService of a process: the one given, one around a given MaskDetector (tests), or (None) one
    built from config now."""
    if isinstance(detector, DetectorService):
        return detector
    if detector is None:
        return detector_service(config)
    return DetectorService(detector, profiles=profiles_from_config(config))
