"""The detector (MtcnnFaceDetector, facenet-pytorch's inference path) on the held-out test scenes:
face AP, recall, recall by size, box tightness and ms/image for stock and tuned weights."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import numpy as np

from ..metrics import average_precision, iou_matrix, recall_by_size
from ..scenes import Scene
from .nets import NETS, set_threads

SETTINGS = ((20, None), (16, None), (12, None), (20, 800), (12, 800), (20, 1024))
ABLATE = ((20, None), (12, None))  # every weight combination here; elsewhere stock vs all three tuned
THRESHOLD_VARIANTS = ((0.5, 0.6, 0.7),)  # also tried with all three tuned at the ABLATE settings
COMBOS = (
    (),
    ("pnet",),
    ("rnet",),
    ("onet",),
    ("pnet", "rnet"),
    ("rnet", "onet"),
    ("pnet", "onet"),
    ("pnet", "rnet", "onet"),
)
METRICS_SOURCE = "maskwatch.training.metrics"


def make_detector(
    weights_dir: Path | None, min_face_size=20, upscale_below=None, thresholds=(0.6, 0.7, 0.7), min_score=0.5
):
    from maskwatch.detection.faces import MtcnnFaceDetector

    set_threads()
    return MtcnnFaceDetector(
        min_face_size=min_face_size,
        thresholds=tuple(thresholds),
        min_score=min_score,
        threads=1,
        upscale_below=upscale_below,
        weights_dir=weights_dir,
    )


def _detect(det, img):
    t0 = time.perf_counter()
    faces = det.detect(img)
    dt = time.perf_counter() - t0
    boxes = np.asarray([f.box for f in faces], np.float32).reshape(-1, 4)
    scores = np.asarray([f.score for f in faces], np.float32)
    return (boxes, scores), dt


def _mean_matched_iou(preds, gts) -> float:
    """Mean IoU of each GT face with its best prediction, over GT faces whose best IoU is >= 0.5:
    how tight the boxes are."""
    vals = []
    for (boxes, _), gt in zip(preds, gts):
        if not len(boxes) or not len(gt):
            continue
        best = iou_matrix(gt, boxes).max(1)
        vals.extend(best[best >= 0.5].tolist())
    return float(np.mean(vals)) if vals else 0.0


def _last(values) -> float:
    """The end of a cumulative recall or precision curve (0.0 without predictions)."""
    return float(values[-1]) if len(values) else 0.0


def score(scenes: list[Scene], preds, times, det, min_face_size, upscale_below, thresholds, min_score) -> dict:
    """Metrics of one detector's predictions (one (boxes, scores) per scene) and times (s)."""
    gts = [s.boxes for s in scenes]
    res = average_precision(preds, gts, iou_threshold=0.5)
    by_size = recall_by_size(gts, res.matched_gt)
    # the pipeline's operating point: MtcnnFaceDetector's default min_score 0.9
    strict = average_precision([(b[sc >= 0.9], sc[sc >= 0.9]) for b, sc in preds], gts, iou_threshold=0.5)
    at_09 = {"recall": _last(strict.recall), "precision": _last(strict.precision)}
    return {
        "min_face_size": min_face_size,
        "upscale_below": upscale_below,
        "thresholds": list(thresholds),
        "min_score": min_score,
        "weights": det.weights_loaded,
        "ap": float(res.ap or 0.0),
        "recall": _last(res.recall),
        "precision": _last(res.precision),
        "mean_iou_matched": _mean_matched_iou(preds, gts),
        "recall_by_size": {label: v["recall"] for label, v in by_size.items()},
        "at_min_score_0.9": at_09,
        "ms_per_image": 1000 * float(np.mean(times)),
        "ms_median": 1000 * float(np.median(times)),
        "n_images": len(preds),
        "n_faces": int(sum(len(g) for g in gts)),
        "metrics": METRICS_SOURCE,
    }


def evaluate(
    scenes: list[Scene],
    weights_dir: Path | None,
    min_face_size=20,
    upscale_below=None,
    thresholds=(0.6, 0.7, 0.7),
    min_score=0.5,
    images=None,
) -> dict:
    """Face AP@0.5, recall, recall by size and ms/image (1 thread) of MtcnnFaceDetector on scenes."""
    det = make_detector(weights_dir, min_face_size, upscale_below, thresholds, min_score)
    images = images if images is not None else [s.read_rgb() for s in scenes]
    for img in images[:2]:
        det.detect(img)  # warm-up
    out = [_detect(det, img) for img in images]
    return score(
        scenes, [o[0] for o in out], [o[1] for o in out], det, min_face_size, upscale_below, thresholds, min_score
    )


def weights_folder(work: Path, nets: tuple[str, ...]) -> Path | None:
    """A folder under work holding only the tuned nets named (None for stock)."""
    if not nets:
        return None
    folder = work / ("tuned_" + "_".join(nets))
    folder.mkdir(parents=True, exist_ok=True)
    for n in NETS:
        (folder / f"{n}.pt").unlink(missing_ok=True)
        if n in nets:
            shutil.copy(work / f"{n}.pt", folder / f"{n}.pt")
    return folder


def benchmark(
    test: list[Scene],
    work: Path,
    settings=SETTINGS,
    combos=COMBOS,
    thresholds=(0.6, 0.7, 0.7),
    ablate=ABLATE,
    threshold_variants=THRESHOLD_VARIANTS,
    min_score=0.5,
    log=print,
) -> list[dict]:
    """Stock and all-tuned at every (min_face_size, upscale_below); every weight combination
    (stock = ()) at the `ablate` settings; the threshold variants (all tuned) at the settings without
    upscaling. All detectors run image by image in turn, so a change in the machine's load hits
    every row alike and the ms/image are comparable with each other."""
    images = [s.read_rgb() for s in test]
    full = tuple(NETS)
    runs = []
    for min_face, up in settings:
        runs += [(c, min_face, up, thresholds) for c in (combos if (min_face, up) in ablate else ((), full))]
        if up is None:
            runs += [(full, min_face, up, t) for t in threshold_variants]
    runs = [r for r in runs if all((work / f"{n}.pt").exists() for n in r[0])]
    dets = [make_detector(weights_folder(work, c), mf, up, thr, min_score) for c, mf, up, thr in runs]
    preds = [[] for _ in runs]
    times = [[] for _ in runs]
    for det in dets:
        for img in images[:2]:
            det.detect(img)  # warm-up
    t_start = time.time()
    for i, img in enumerate(images):
        for k, det in enumerate(dets):
            p, dt = _detect(det, img)
            preds[k].append(p)
            times[k].append(dt)
        if i % 20 == 0:
            log(f"bench image {i}/{len(images)} {time.time() - t_start:.0f}s")
    rows = []
    for (combo, min_face, up, thr), det, p, t in zip(runs, dets, preds, times):
        r = score(test, p, t, det, min_face, up, thr, min_score)
        r["tuned"] = list(combo)
        rows.append(r)
        log(
            f"bench min_face {min_face} up {up} thr {thr} tuned {combo or 'stock'}: AP {r['ap']:.3f} "
            f"recall {r['recall']:.3f} by size {r['recall_by_size']} iou {r['mean_iou_matched']:.3f} "
            f"{r['ms_per_image']:.1f} ms"
        )
    return rows
