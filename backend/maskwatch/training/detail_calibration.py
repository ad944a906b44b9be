"""maskwatch calibrate-detail: the least face detail (`detection.detail.face_detail`) at which the
classifier's verdicts are worth counting, chosen on validation faces and written into its weights.

The validation scenes of kaggle and adityap27 (never trained on by the classifier) are read as they
are and blurred (Gaussian, sigma 1 to 6 px: out of focus, motion, a cheap camera); every labelled face
gives its detail and whether the classifier was right. Faces are binned by detail (equal counts) and
the bins' accuracy made non-decreasing; the threshold is where it first reaches `--min-accuracy`
(default 0.9: nine verdicts in ten counted are right). Results: benchmarks/results/detail_calibration.json.

Example: maskwatch calibrate-detail --model models/mask_classifier.pt
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import cv2
import numpy as np
import torch

from ..detection.classifier import MaskClassifier
from ..detection.detail import face_detail
from ..detection.types import LABELS
from ..paths import REPO_ROOT, data_root, default_classifier_path
from .detector.data import load_detector_scenes

BLUR_SIGMAS = (0.0, 1.0, 2.0, 3.0, 4.0, 6.0)


def detail_records(classifier: MaskClassifier, scenes) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(detail, right, blur sigma) for every labelled face of every scene at every blur."""
    details, right, blurs = [], [], []
    for scene in scenes:
        keep = [i for i, label in enumerate(scene.labels) if label in LABELS]
        if not keep:
            continue
        image = scene.read_rgb()
        boxes = [scene.boxes[i] for i in keep]
        truth = np.array([LABELS.index(scene.labels[i]) for i in keep])
        for sigma in BLUR_SIGMAS:
            frame = cv2.GaussianBlur(image, (0, 0), sigma) if sigma else image
            probs = classifier.classify(frame, boxes)
            details += [face_detail(frame, box) for box in boxes]
            right += list(probs.argmax(1) == truth)
            blurs += [sigma] * len(boxes)
    return np.array(details, np.float64), np.array(right, bool), np.array(blurs)


def isotonic(values: list[float], weights: list[int]) -> list[float]:
    """The non-decreasing sequence nearest to values (weighted least squares): pool adjacent violators."""
    blocks: list[list[float]] = []  # [mean, weight, count]
    for value, weight in zip(values, weights):
        blocks.append([value, weight, 1])
        while len(blocks) > 1 and blocks[-2][0] > blocks[-1][0]:
            (m1, w1, c1), (m2, w2, c2) = blocks.pop(-2), blocks.pop(-1)
            blocks.append([(m1 * w1 + m2 * w2) / (w1 + w2), w1 + w2, c1 + c2])
    return [mean for mean, _, count in blocks for _ in range(count)]


def detail_threshold(
    details: np.ndarray, right: np.ndarray, min_accuracy: float, bins: int = 20
) -> tuple[float, list[dict]]:
    """Faces binned by detail (equal counts), their accuracy made non-decreasing in detail (isotonic:
    more detail never judges worse, whatever the noise of one bin); the threshold is the lower edge of
    the first bin that reaches min_accuracy (0: the first does; inf: none does)."""
    order = np.argsort(details, kind="stable")
    table = []
    for chunk in np.array_split(order, bins):
        if len(chunk):
            table.append(
                {
                    "low": float(details[chunk].min()),
                    "high": float(details[chunk].max()),
                    "n": int(len(chunk)),
                    "accuracy": float(right[chunk].mean()),
                }
            )
    for row, smooth in zip(table, isotonic([r["accuracy"] for r in table], [r["n"] for r in table])):
        row["accuracy_isotonic"] = smooth
    reaching = [i for i, row in enumerate(table) if row["accuracy_isotonic"] >= min_accuracy]
    if not reaching:
        return float("inf"), table
    return (0.0 if reaching[0] == 0 else table[reaching[0]]["low"]), table


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(prog="maskwatch calibrate-detail", description=__doc__.split("\n")[0])
    p.add_argument("--model", default=str(default_classifier_path()))
    p.add_argument("--data", default=str(data_root()))
    p.add_argument("--min-accuracy", type=float, default=0.9)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--results", default=str(REPO_ROOT / "benchmarks" / "results" / "detail_calibration.json"))
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    classifier = MaskClassifier.from_file(args.model)
    scenes = [s for s in load_detector_scenes(Path(args.data), None) if s.split == "val"]
    details, right, blurs = detail_records(classifier, scenes)
    threshold, table = detail_threshold(details, right, args.min_accuracy)
    saved = torch.load(args.model, map_location="cpu", weights_only=True)
    saved["min_detail"] = threshold
    torch.save(saved, args.model)
    sharp = details[blurs == 0]
    result = {
        "model": str(args.model),
        "validation_scenes": len(scenes),
        "faces": int(len(sharp)),
        "blur_sigmas": list(BLUR_SIGMAS),
        "min_accuracy": args.min_accuracy,
        "min_detail": threshold,
        "unknown_share_unblurred": float((sharp < threshold).mean()) if len(sharp) else None,
        "unknown_share_all": float((details < threshold).mean()) if len(details) else None,
        "accuracy_judged": float(right[details >= threshold].mean()) if (details >= threshold).any() else None,
        "accuracy_by_blur": {str(b): float(right[blurs == b].mean()) for b in BLUR_SIGMAS if (blurs == b).any()},
        "unknown_share_by_blur": {
            str(b): float((details[blurs == b] < threshold).mean()) for b in BLUR_SIGMAS if (blurs == b).any()
        },
        "bins": table,
    }
    Path(args.results).parent.mkdir(parents=True, exist_ok=True)
    Path(args.results).write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps({k: v for k, v in result.items() if k != "bins"}))
    return result
