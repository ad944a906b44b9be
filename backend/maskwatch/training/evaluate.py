"""maskwatch evaluate: crop metrics and scene detection metrics on held-out data.

Crops: the held-out scenes (3 classes), the faces-12k validation part, and faces-chandrikadeb7, a
source never trained on (2 classes). Scenes: the held-out kaggle-scenes-train images through the
whole pipeline (face AP, per-class AP@0.5, recall by face size).

Example: maskwatch evaluate --out benchmarks/results
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from ..detection import LABELS, MaskClassifier, MaskDetector, MtcnnFaceDetector
from ..detection.types import UNKNOWN
from ..paths import REPO_ROOT, data_root, default_classifier_path, default_mtcnn_dir
from .calibration import expected_calibration_error, plot_reliability, reliability_bins
from .crop_sets import CropTable, build_crop_table
from .metrics import classification_report, detection_report, format_report, plot_confusion, plot_roc
from .scenes import load_scenes, split_scenes

CROP_PARTS = {
    "scenes-test": {"split": "test", "source": "scenes"},
    "scenes-val": {"split": "val", "source": "scenes"},
    "faces-12k-val": {"split": "val", "source": "faces-12k"},
    "chandrikadeb7-xsource": {"split": "xsource"},
    "maskedfacenet-synth-val": {"split": "synth_val"},
}
SIZE_EDGES = (0, 16, 32, 64, np.inf)


def two_class_accuracy(labels: np.ndarray, probs: np.ndarray) -> float | None:
    """Accuracy on faces labelled mask / no_mask, choosing between those two classes only."""
    keep = labels < 2
    if not keep.any():
        return None
    return float((probs[keep][:, :2].argmax(1) == labels[keep]).mean())


def accuracy_by_size(table: CropTable, probs: np.ndarray) -> dict:
    out = {}
    for low, high in zip(SIZE_EDGES[:-1], SIZE_EDGES[1:]):
        keep = (table.sizes >= low) & (table.sizes < high)
        name = f"{int(low)}-{int(high)}" if np.isfinite(high) else f">={int(low)}"
        out[name] = {
            "n": int(keep.sum()),
            "accuracy": float((probs[keep].argmax(1) == table.labels[keep]).mean()) if keep.any() else None,
        }
    return out


def judged_report(classifier: MaskClassifier, labels: np.ndarray, probs: np.ndarray) -> dict:
    """Calibration error, and how many verdicts are unknown at the classifier's threshold and how often
    the judged ones are right."""
    verdicts = [classifier.verdict(p)[0] for p in probs]
    judged = np.array([v != UNKNOWN for v in verdicts])
    right = probs.argmax(1) == labels
    return {
        "ece": expected_calibration_error(probs, labels),
        "unknown_share": float(1 - judged.mean()),
        "judged_accuracy": float(right[judged].mean()) if judged.any() else None,
    }


def evaluate_crops(classifier: MaskClassifier, table: CropTable, plots: Path | None) -> dict:
    from .augment import resize_for_eval

    results = {}
    if plots:
        plots.mkdir(parents=True, exist_ok=True)
    for name, where in CROP_PARTS.items():
        part = table.where(**where)
        if not len(part):
            continue
        crops = [resize_for_eval(c, classifier.input_size) for c in part.images]
        probs = np.concatenate([classifier.predict_crops(crops[i : i + 256]) for i in range(0, len(crops), 256)])
        report = classification_report(part.labels, probs, list(LABELS))
        report["two_class_accuracy"] = two_class_accuracy(part.labels, probs)
        report["accuracy_by_face_size"] = accuracy_by_size(part, probs)
        report.update(judged_report(classifier, part.labels, probs))
        results[name] = report
        if plots:
            plot_reliability(
                reliability_bins(probs, part.labels),
                plots / f"reliability_{name}.png",
                title=f"Reliability, {name} (ECE {report['ece']:.3f})",
            )
            plot_roc(part.labels, probs, list(LABELS), plots / f"roc_{name}.png", title=f"ROC, {name}")
            plot_confusion(report["confusion"], list(LABELS), plots / f"confusion_{name}.png", title=name)
    return results


def detect_scenes(detector: MaskDetector, scenes) -> tuple[list[dict], list[float]]:
    """Per scene {"boxes", "scores" (face), "labels" (top class, unknown or not), "class_scores" (face x
    class)}, and the ms each detect took."""
    predictions, times = [], []
    for scene in scenes:
        image = scene.read_rgb()
        started = time.perf_counter()
        detections = detector.detect(image)
        times.append((time.perf_counter() - started) * 1000)
        predictions.append(
            {
                "boxes": np.array([d.box for d in detections], np.float32).reshape(-1, 4),
                "scores": np.array([d.face.score for d in detections], np.float32),
                "labels": [d.top_label for d in detections],
                "class_scores": np.array(
                    [d.face.score * d.probs.get(d.top_label, d.score) for d in detections], np.float32
                ),
            }
        )
    return predictions, times


def evaluate_scenes(detector: MaskDetector, scenes) -> dict:
    predictions, times = detect_scenes(detector, scenes)
    report = detection_report(predictions, [{"boxes": s.boxes, "labels": s.labels} for s in scenes], LABELS)
    report["ms_per_image_median"] = float(np.median(times))
    report["n_images"] = len(scenes)
    return report


def main(argv=None) -> dict:
    args = parser().parse_args(argv)
    import torch

    torch.set_num_threads(args.threads)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    classifier = MaskClassifier.from_file(args.model)
    results: dict = {"model": str(args.model), "arch": classifier.arch, "input_size": classifier.input_size}

    if not args.skip_crops:
        cache = Path(args.cache)
        table = CropTable.load(cache) if cache.exists() else build_crop_table(Path(args.data))
        results["crops"] = evaluate_crops(classifier, table, out / "plots" if args.plots else None)
        for name, report in results["crops"].items():
            print(
                f"== crops: {name}\n{format_report(report)}\ntwo-class accuracy: {report['two_class_accuracy']}",
                flush=True,
            )

    if not args.skip_scenes:
        _, test = split_scenes(load_scenes(Path(args.data) / "kaggle-scenes-train"))
        mtcnn_dir = None if args.stock_mtcnn else default_mtcnn_dir()
        faces = MtcnnFaceDetector(
            min_face_size=args.min_face_size,
            min_score=args.min_score,
            upscale_below=args.upscale_below,
            weights_dir=mtcnn_dir,
        )
        report = evaluate_scenes(MaskDetector(faces, classifier), test)
        report["detector"] = {
            "min_face_size": args.min_face_size,
            "min_score": args.min_score,
            "upscale_below": args.upscale_below,
            "tuned_nets": faces.weights_loaded,
        }
        results["scenes"] = report
        print(f"== scenes ({len(test)} held-out images)\n{format_report(report)}", flush=True)

    (out / f"{args.name}.json").write_text(json.dumps(results, indent=2))
    return results


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="maskwatch evaluate", description=__doc__.split("\n")[0])
    p.add_argument("--model", default=str(default_classifier_path()))
    p.add_argument("--data", default=str(data_root()))
    p.add_argument("--cache", default=str(REPO_ROOT / "build" / "crops.npz"))
    p.add_argument("--out", default=str(REPO_ROOT / "benchmarks" / "results"))
    p.add_argument("--name", default="accuracy", help="results file name (without .json)")
    p.add_argument("--min-face-size", type=int, default=20)
    p.add_argument("--min-score", type=float, default=0.5, help="keep low-score faces so the PR curve is complete")
    p.add_argument("--upscale-below", type=int, default=None)
    p.add_argument("--stock-mtcnn", action="store_true")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--plots", action="store_true", help="write ROC and confusion PNGs under OUT/plots")
    p.add_argument("--skip-crops", action="store_true")
    p.add_argument("--skip-scenes", action="store_true")
    return p
