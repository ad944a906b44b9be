"""Face detection metrics of any FaceDetector on detector scenes: AP@0.5, recall by size and by verdict."""

from __future__ import annotations

import time
from collections import defaultdict

import numpy as np

from ..metrics import average_precision, recall_by_size

VERDICTS = ("mask", "no_mask", "incorrect")


def recall_by_verdict(scenes, matched) -> dict:
    """{verdict: {"n", "recall", "by_size": recall_by_size of that verdict's faces}}."""
    out = {}
    for verdict in VERDICTS:
        hits = [m[i] for s, m in zip(scenes, matched) for i, label in enumerate(s.labels) if label == verdict]
        keep = [np.array([label == verdict for label in s.labels], bool) for s in scenes]
        by_size = recall_by_size(
            [s.boxes.reshape(-1, 4)[k] for s, k in zip(scenes, keep)],
            [np.asarray(m, bool)[k] for m, k in zip(matched, keep)],
        )
        out[verdict] = {"n": len(hits), "recall": float(np.mean(hits)) if hits else None, "by_size": by_size}
    return out


def face_report(scenes, predictions, times_ms=None) -> dict:
    """predictions: per scene (boxes (N, 4), scores (N,)). Recall is at any score (the full ranking)."""
    result = average_precision(predictions, [s.boxes for s in scenes])
    report = {
        "n_images": len(scenes),
        "n_faces": result.n_gt,
        "face_ap": result.ap,
        "recall_by_size": recall_by_size([s.boxes for s in scenes], result.matched_gt),
        "recall_by_verdict": recall_by_verdict(scenes, result.matched_gt),
    }
    if times_ms:
        report["ms_per_image_median"] = float(np.median(times_ms))
    return report


def run_detector(detector, scenes) -> tuple[list, list[float]]:
    predictions, times = [], []
    for scene in scenes:
        image = scene.read_rgb()
        started = time.perf_counter()
        faces = detector.detect(image)
        times.append((time.perf_counter() - started) * 1000)
        predictions.append(
            (
                np.array([f.box for f in faces], np.float32).reshape(-1, 4),
                np.array([f.score for f in faces], np.float32),
            )
        )
    return predictions, times


def evaluate_by_source(detector, scenes) -> dict:
    """{source: face_report} for each source among the scenes."""
    by_source = defaultdict(list)
    for scene in scenes:
        by_source[scene.source].append(scene)
    out = {}
    for source, group in sorted(by_source.items()):
        predictions, times = run_detector(detector, group)
        out[source] = face_report(group, predictions, times)
    return out
