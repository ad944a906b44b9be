"""Evaluation metrics: face detection AP (PASCAL VOC style), recall by face size, and crop
classification metrics (precision/recall/F1, confusion matrix, one-vs-rest ROC AUC), plus plots and
a plain-text rendering of the reports.

Boxes are float arrays (N, 4) of x1, y1, x2, y2 in pixels, treated as continuous coordinates
(width = x2 - x1, no VOC "+1"). Everything is plain numpy; reports hold only Python scalars, lists,
dicts and None so they serialise to JSON as they are.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

FACE_SIZE_BINS = ((0, 16), (16, 32), (32, 64), (64, math.inf))
FACE_SIZE_LABELS = ("<16", "16-32", "32-64", ">=64")
DETECTION_CLASSES = ("mask", "no_mask", "incorrect")


# --------------------------------------------------------------------------------------- detection


def _as_boxes(boxes) -> np.ndarray:
    return np.asarray(boxes, dtype=np.float64).reshape(-1, 4)


def iou_matrix(a, b) -> np.ndarray:
    """Intersection over union of every box in ``a`` with every box in ``b``.

    Args:
        a: boxes (N, 4) x1, y1, x2, y2.
        b: boxes (M, 4) x1, y1, x2, y2.

    Returns:
        float array (N, M); pairs whose union is empty (degenerate boxes) get 0.

    Example:
        >>> iou_matrix([[0, 0, 10, 10]], [[5, 0, 15, 10], [0, 0, 10, 10]]).round(3)
        array([[0.333, 1.   ]])
    """
    a, b = _as_boxes(a), _as_boxes(b)
    iw = np.clip(np.minimum(a[:, None, 2], b[None, :, 2]) - np.maximum(a[:, None, 0], b[None, :, 0]), 0, None)
    ih = np.clip(np.minimum(a[:, None, 3], b[None, :, 3]) - np.maximum(a[:, None, 1], b[None, :, 1]), 0, None)
    inter = iw * ih
    area_a = np.clip(a[:, 2] - a[:, 0], 0, None) * np.clip(a[:, 3] - a[:, 1], 0, None)
    area_b = np.clip(b[:, 2] - b[:, 0], 0, None) * np.clip(b[:, 3] - b[:, 1], 0, None)
    union = area_a[:, None] + area_b[None, :] - inter
    return np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)


@dataclass
class APResult:
    """Outcome of :func:`average_precision`.

    ``precision`` and ``recall`` are cumulative along the ranking (one entry per prediction, highest
    score first). ``ap`` is None when there are no ground-truth boxes. ``matched_gt`` holds, per
    image, which GT boxes were matched by any prediction (at any score).
    """

    ap: float | None
    precision: np.ndarray
    recall: np.ndarray
    n_gt: int
    matched_gt: list[np.ndarray]


def _voc_ap(recall: np.ndarray, precision: np.ndarray) -> float:
    """All-point interpolated AP: area under the monotone (non-increasing) precision envelope."""
    mrec = np.concatenate([[0.0], recall, [1.0]])
    mpre = np.concatenate([[0.0], precision, [0.0]])
    mpre = np.maximum.accumulate(mpre[::-1])[::-1]
    steps = np.flatnonzero(mrec[1:] != mrec[:-1])
    return float(np.sum((mrec[steps + 1] - mrec[steps]) * mpre[steps + 1]))


def average_precision(predictions, ground_truths, iou_threshold: float = 0.5) -> APResult:
    """PASCAL VOC style average precision of one class over a set of images.

    All predictions are ranked by score (ties keep image order, then order within the image). Each
    one in turn is matched to the unmatched GT box of its own image with the highest IoU, provided
    that IoU >= ``iou_threshold``; otherwise it is a false positive, so a second detection of an
    already matched face counts as a false positive. AP is the all-point interpolated area under
    the precision/recall curve.

    Args:
        predictions: one ``(boxes (N, 4), scores (N,))`` pair per image.
        ground_truths: one array of GT boxes (M, 4) per image, same order as ``predictions``.
        iou_threshold: minimum IoU for a match (default 0.5).

    Returns:
        :class:`APResult`.

    Example:
        >>> gt = [np.array([[0, 0, 10, 10]])]
        >>> fp_first = [(np.array([[50, 50, 60, 60], [0, 0, 10, 10]]), np.array([0.9, 0.8]))]
        >>> average_precision(fp_first, gt).ap
        0.5
    """
    if len(predictions) != len(ground_truths):
        raise ValueError(f"{len(predictions)} prediction images but {len(ground_truths)} ground-truth images")
    gts = [_as_boxes(g) for g in ground_truths]
    matched = [np.zeros(len(g), dtype=bool) for g in gts]
    n_gt = sum(len(g) for g in gts)

    ious, image_of, index_in_image, all_scores = [], [], [], []
    for i, (boxes, scores) in enumerate(predictions):
        boxes = _as_boxes(boxes)
        scores = np.asarray(scores, dtype=np.float64).reshape(-1)
        if len(scores) != len(boxes):
            raise ValueError(f"image {i}: {len(boxes)} boxes but {len(scores)} scores")
        ious.append(iou_matrix(boxes, gts[i]))
        image_of.append(np.full(len(boxes), i))
        index_in_image.append(np.arange(len(boxes)))
        all_scores.append(scores)
    image_of = np.concatenate(image_of) if image_of else np.zeros(0, int)
    index_in_image = np.concatenate(index_in_image) if index_in_image else np.zeros(0, int)
    all_scores = np.concatenate(all_scores) if all_scores else np.zeros(0)

    order = np.argsort(-all_scores, kind="stable")
    tp = np.zeros(len(order), dtype=bool)
    for rank, k in enumerate(order):
        i, j = image_of[k], index_in_image[k]
        if not len(gts[i]):
            continue
        candidates = np.where(matched[i], -1.0, ious[i][j])
        g = int(np.argmax(candidates))
        if candidates[g] >= iou_threshold:
            matched[i][g] = True
            tp[rank] = True

    cum_tp = np.cumsum(tp)
    precision = cum_tp / np.arange(1, len(tp) + 1)
    recall = cum_tp / n_gt if n_gt else np.zeros(len(tp))
    ap = _voc_ap(recall, precision) if n_gt else None
    return APResult(ap=ap, precision=precision, recall=recall, n_gt=n_gt, matched_gt=matched)


def face_size(boxes) -> np.ndarray:
    """Face size of each box: sqrt(width * height) in pixels.

    Example:
        >>> face_size([[0, 0, 8, 32]])
        array([16.])
    """
    b = _as_boxes(boxes)
    return np.sqrt(np.clip(b[:, 2] - b[:, 0], 0, None) * np.clip(b[:, 3] - b[:, 1], 0, None))


def recall_by_size(ground_truths, matched_gt) -> dict[str, dict]:
    """Recall of GT faces per size bin.

    Face size is sqrt(width * height) of the GT box; bins are ``FACE_SIZE_BINS``, half open
    [lo, hi), labelled ``FACE_SIZE_LABELS`` ("<16", "16-32", "32-64", ">=64").

    Args:
        ground_truths: GT boxes (M, 4) per image.
        matched_gt: per image a boolean array (M,) of matched GT boxes, e.g.
            ``average_precision(...).matched_gt``.

    Returns:
        ``{label: {"n": int, "recall": float}}`` for every bin; recall is None where n == 0.

    Example:
        >>> recall_by_size([np.array([[0, 0, 10, 10], [0, 0, 40, 40]])], [np.array([True, False])])["<16"]
        {'n': 1, 'recall': 1.0}
    """
    if len(ground_truths) != len(matched_gt):
        raise ValueError(f"{len(ground_truths)} ground-truth images but {len(matched_gt)} matched arrays")
    sizes = np.concatenate([face_size(g) for g in ground_truths]) if len(ground_truths) else np.zeros(0)
    hits = (
        np.concatenate([np.asarray(m, dtype=bool).reshape(-1) for m in matched_gt])
        if len(matched_gt)
        else np.zeros(0, dtype=bool)
    )
    if len(sizes) != len(hits):
        raise ValueError(f"{len(sizes)} GT boxes but {len(hits)} matched flags")
    out = {}
    for label, (lo, hi) in zip(FACE_SIZE_LABELS, FACE_SIZE_BINS):
        in_bin = (sizes >= lo) & (sizes < hi)
        n = int(in_bin.sum())
        out[label] = {"n": n, "recall": float(hits[in_bin].mean()) if n else None}
    return out


def _mean_or_none(values) -> float | None:
    values = [v for v in values if v is not None]
    return float(np.mean(values)) if values else None


def detection_report(
    predictions, ground_truths, classes: Sequence[str] = DETECTION_CLASSES, iou_threshold: float = 0.5
) -> dict:
    """Face detection and per-class detection metrics over a set of images.

    Args:
        predictions: per image a dict with ``boxes`` (N, 4), ``scores`` (N,) face detector score,
            ``labels`` list[str] predicted class and ``class_scores`` (N,) score of that class.
        ground_truths: per image a dict with ``boxes`` (M, 4) and ``labels`` list[str].
        classes: class names to report (default ("mask", "no_mask", "incorrect")).
        iou_threshold: minimum IoU for a match (default 0.5).

    Returns:
        dict with ``face_ap`` (class-agnostic AP ranked by ``scores``), ``face_recall`` (share of GT
        faces matched at the end of the ranking), ``face_recall_by_size`` (see
        :func:`recall_by_size`), ``ap_per_class`` (AP of the predictions labelled with the class,
        ranked by ``class_scores``, against GT of that class), ``map`` (mean AP over classes with
        GT), ``map_two_class`` (mean of mask and no_mask AP), ``n_gt_per_class`` and
        ``iou_threshold``. A class without GT boxes has AP None and is left out of the means.

    Example:
        >>> gt = [{"boxes": np.array([[0, 0, 20, 20]]), "labels": ["mask"]}]
        >>> pred = [{"boxes": np.array([[0, 0, 20, 20]]), "scores": np.array([0.99]),
        ...          "labels": ["mask"], "class_scores": np.array([0.9])}]
        >>> r = detection_report(pred, gt)
        >>> r["face_ap"], r["ap_per_class"]["mask"], r["ap_per_class"]["no_mask"], r["map"]
        (1.0, 1.0, None, 1.0)
    """
    if len(predictions) != len(ground_truths):
        raise ValueError(f"{len(predictions)} prediction images but {len(ground_truths)} ground-truth images")
    gt_boxes = [_as_boxes(g["boxes"]) for g in ground_truths]
    gt_labels = [list(g["labels"]) for g in ground_truths]
    face = average_precision([(p["boxes"], p["scores"]) for p in predictions], gt_boxes, iou_threshold)

    ap_per_class, n_gt_per_class = {}, {}
    for cls in classes:
        preds_cls = []
        for p in predictions:
            keep = np.array([lab == cls for lab in p["labels"]], dtype=bool)
            scores = np.asarray(p["class_scores"], dtype=np.float64).reshape(-1)
            preds_cls.append((_as_boxes(p["boxes"])[keep], scores[keep]))
        gts_cls = [b[np.array([lab == cls for lab in labs], dtype=bool)] for b, labs in zip(gt_boxes, gt_labels)]
        result = average_precision(preds_cls, gts_cls, iou_threshold)
        ap_per_class[cls] = result.ap
        n_gt_per_class[cls] = result.n_gt

    return {
        "face_ap": face.ap,
        "face_recall": float(face.recall[-1]) if len(face.recall) else (0.0 if face.n_gt else None),
        "face_recall_by_size": recall_by_size(gt_boxes, face.matched_gt),
        "ap_per_class": ap_per_class,
        "map": _mean_or_none(ap_per_class.values()),
        "map_two_class": _mean_or_none(ap_per_class.get(c) for c in ("mask", "no_mask")),
        "n_gt_per_class": n_gt_per_class,
        "n_gt_faces": face.n_gt,
        "iou_threshold": float(iou_threshold),
    }


# ---------------------------------------------------------------------------------- classification


def roc_curve(y_binary, scores) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """ROC curve of a binary problem; tied scores form a single point (a diagonal step).

    Args:
        y_binary: (N,) truthy for positives.
        scores: (N,) higher means more likely positive.

    Returns:
        ``(fpr, tpr, thresholds)``, starting at (0, 0) with threshold inf; point k counts as positive
        every sample with score >= thresholds[k].

    Raises:
        ValueError: when there are no positives or no negatives (the curve is undefined).

    Example:
        >>> fpr, tpr, thr = roc_curve([0, 1, 1], [0.2, 0.5, 0.5])
        >>> fpr.tolist(), tpr.tolist(), thr.tolist()
        ([0.0, 0.0, 1.0], [0.0, 1.0, 1.0], [inf, 0.5, 0.2])
    """
    y = np.asarray(y_binary).astype(bool).reshape(-1)
    s = np.asarray(scores, dtype=np.float64).reshape(-1)
    if len(y) != len(s):
        raise ValueError(f"{len(y)} labels but {len(s)} scores")
    n_pos = int(y.sum())
    n_neg = len(y) - n_pos
    if n_pos == 0 or n_neg == 0:
        raise ValueError(f"ROC needs positives and negatives, got {n_pos} and {n_neg}")
    order = np.argsort(-s, kind="stable")
    s, y = s[order], y[order]
    # Only the last sample of each run of equal scores is a point: tied samples switch together.
    last = np.concatenate([np.flatnonzero(np.diff(s) != 0), [len(s) - 1]])
    tps = np.cumsum(y)[last]
    fps = last + 1 - tps
    fpr = np.concatenate([[0.0], fps / n_neg])
    tpr = np.concatenate([[0.0], tps / n_pos])
    return fpr, tpr, np.concatenate([[np.inf], s[last]])


def auc(x, y) -> float:
    """Area under a curve by the trapezoid rule; ``x`` must be monotone (either direction).

    Example:
        >>> auc([0, 0.5, 1], [0, 1, 1])
        0.75
    """
    x = np.asarray(x, dtype=np.float64).reshape(-1)
    y = np.asarray(y, dtype=np.float64).reshape(-1)
    if len(x) != len(y):
        raise ValueError(f"{len(x)} x values but {len(y)} y values")
    if len(x) < 2:
        return 0.0
    dx = np.diff(x)
    if np.all(dx >= 0):
        sign = 1.0
    elif np.all(dx <= 0):
        sign = -1.0
    else:
        raise ValueError("x is not monotone")
    return sign * float(np.sum(dx * (y[1:] + y[:-1]) / 2))


def _roc_auc_or_none(y_binary, scores) -> float | None:
    y = np.asarray(y_binary, dtype=bool)
    if y.all() or not y.any():
        return None
    fpr, tpr, _ = roc_curve(y, scores)
    return auc(fpr, tpr)


def classification_report(y_true, probs, labels: Sequence[str]) -> dict:
    """Metrics of a C-class crop classifier; the prediction is the argmax of ``probs``.

    Args:
        y_true: (N,) int true class index into ``labels``.
        probs: (N, C) class probabilities (or any scores; only order matters).
        labels: C class names.

    Returns:
        dict with ``labels``, ``n``, ``accuracy``, ``per_class`` (label -> precision, recall, f1,
        support; 0.0 where undefined), ``macro_f1`` (mean F1 over classes with support > 0),
        ``confusion`` (nested list, rows = true, cols = predicted) and ``roc_auc`` (label ->
        one-vs-rest AUC of that column, None where the class has no positives or no negatives).

    Example:
        >>> r = classification_report([0, 1, 1], [[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]], ["mask", "no_mask"])
        >>> r["confusion"], r["per_class"]["no_mask"]["recall"], r["roc_auc"]["mask"]
        ([[1, 0], [1, 1]], 0.5, 1.0)
    """
    labels = list(labels)
    y = np.asarray(y_true).reshape(-1).astype(int)
    p = np.asarray(probs, dtype=np.float64)
    n_classes = len(labels)
    if p.ndim != 2 or p.shape != (len(y), n_classes):
        raise ValueError(f"probs has shape {p.shape}, expected ({len(y)}, {n_classes})")
    if not len(y):
        raise ValueError("no samples")
    if y.min() < 0 or y.max() >= n_classes:
        raise ValueError(f"y_true holds class indices outside 0..{n_classes - 1}")
    pred = p.argmax(axis=1)
    cm = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(cm, (y, pred), 1)

    tp = np.diag(cm).astype(np.float64)
    support = cm.sum(axis=1)
    predicted = cm.sum(axis=0)
    precision = np.divide(tp, predicted, out=np.zeros(n_classes), where=predicted > 0)
    recall = np.divide(tp, support, out=np.zeros(n_classes), where=support > 0)
    denom = precision + recall
    f1 = np.divide(2 * precision * recall, denom, out=np.zeros(n_classes), where=denom > 0)

    return {
        "labels": labels,
        "n": int(len(y)),
        "accuracy": float(tp.sum() / len(y)),
        "per_class": {
            lab: {
                "precision": float(precision[c]),
                "recall": float(recall[c]),
                "f1": float(f1[c]),
                "support": int(support[c]),
            }
            for c, lab in enumerate(labels)
        },
        "macro_f1": float(f1[support > 0].mean()),
        "confusion": cm.tolist(),
        "roc_auc": {lab: _roc_auc_or_none(y == c, p[:, c]) for c, lab in enumerate(labels)},
    }


# ---------------------------------------------------------------------------------------- plotting


def _pyplot():
    """pyplot on the file-only Agg backend: servers and CI have no display."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path) -> Path:
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    return path


def plot_roc(y_true, probs, labels: Sequence[str], path, title: str = "") -> Path:
    """One-vs-rest ROC curve of every class with positives and negatives, saved as a PNG.

    Args:
        y_true: (N,) int true class index.
        probs: (N, C) class probabilities.
        labels: C class names.
        path: output PNG path (parent folders are created).
        title: figure title (default "").

    Returns:
        ``Path(path)``.

    Example:
        >>> plot_roc([0, 1], [[0.8, 0.2], [0.3, 0.7]], ["mask", "no_mask"], "/tmp/roc.png")  # doctest: +SKIP
    """
    plt = _pyplot()
    y = np.asarray(y_true).reshape(-1).astype(int)
    p = np.asarray(probs, dtype=np.float64)
    fig, ax = plt.subplots(figsize=(5, 5))
    try:
        for c, lab in enumerate(labels):
            positives = y == c
            if positives.all() or not positives.any():
                continue
            fpr, tpr, _ = roc_curve(positives, p[:, c])
            ax.plot(fpr, tpr, label=f"{lab} (AUC {auc(fpr, tpr):.3f})")
        ax.plot([0, 1], [0, 1], color="grey", linestyle=":", linewidth=1)
        ax.set(xlim=(0, 1), ylim=(0, 1.01), xlabel="false positive rate", ylabel="true positive rate", title=title)
        ax.legend(loc="lower right")
        return _save(fig, path)
    finally:
        plt.close(fig)


def plot_confusion(confusion, labels: Sequence[str], path, title: str = "") -> Path:
    """Confusion matrix heat map (rows = true, cols = predicted) with the count in each cell.

    Args:
        confusion: (C, C) counts, e.g. ``classification_report(...)["confusion"]``.
        labels: C class names.
        path: output PNG path (parent folders are created).
        title: figure title (default "").

    Returns:
        ``Path(path)``.

    Example:
        >>> plot_confusion([[5, 1], [0, 4]], ["mask", "no_mask"], "/tmp/cm.png")  # doctest: +SKIP
    """
    plt = _pyplot()
    cm = np.asarray(confusion)
    n = len(labels)
    if cm.shape != (n, n):
        raise ValueError(f"confusion has shape {cm.shape}, expected ({n}, {n})")
    fig, ax = plt.subplots(figsize=(1.2 * n + 2.5, 1.2 * n + 2))
    try:
        ax.imshow(cm, cmap="Blues", vmin=0, vmax=max(int(cm.max()), 1))
        threshold = cm.max() / 2
        for i in range(n):
            for j in range(n):
                ax.text(
                    j,
                    i,
                    str(int(cm[i, j])),
                    ha="center",
                    va="center",
                    color="white" if cm[i, j] > threshold else "black",
                )
        ax.set(
            xticks=range(n),
            yticks=range(n),
            xticklabels=labels,
            yticklabels=labels,
            xlabel="predicted",
            ylabel="true",
            title=title,
        )
        return _save(fig, path)
    finally:
        plt.close(fig)


# ------------------------------------------------------------------------------------------- text


def _fmt(value, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _format_detection(r: Mapping) -> str:
    thr = r.get("iou_threshold", 0.5)
    lines = [
        f"face AP@{thr:g}  {_fmt(r['face_ap'])}    face recall  {_fmt(r['face_recall'])}",
        "",
        "face recall by size (sqrt(w*h) px):",
        f"  {'size':<8}{'n':>6}  {'recall':>6}",
    ]
    for label, v in r["face_recall_by_size"].items():
        lines.append(f"  {label:<8}{v['n']:>6}  {_fmt(v['recall']):>6}")
    width = max([5] + [len(c) for c in r["ap_per_class"]])
    lines += ["", f"  {'class':<{width}}  {'n_gt':>6}  {'AP':>6}"]
    for cls, ap in r["ap_per_class"].items():
        lines.append(f"  {cls:<{width}}  {r['n_gt_per_class'].get(cls, 0):>6}  {_fmt(ap):>6}")
    lines += ["", f"mAP  {_fmt(r['map'])}    mAP(mask, no_mask)  {_fmt(r['map_two_class'])}"]
    return "\n".join(lines)


def _format_classification(r: Mapping) -> str:
    labels = list(r["per_class"])
    width = max([5] + [len(lab) for lab in labels])
    lines = [
        f"accuracy  {_fmt(r['accuracy'])}    macro-F1  {_fmt(r['macro_f1'])}    n  {r.get('n', '')}",
        "",
        f"  {'class':<{width}}  {'prec':>6}  {'recall':>6}  {'f1':>6}  {'support':>7}  {'AUC':>6}",
    ]
    for lab in labels:
        m = r["per_class"][lab]
        lines.append(
            f"  {lab:<{width}}  {_fmt(m['precision']):>6}  {_fmt(m['recall']):>6}  "
            f"{_fmt(m['f1']):>6}  {m['support']:>7}  {_fmt(r['roc_auc'].get(lab)):>6}"
        )
    cell = max([width, 6] + [len(str(v)) for row in r["confusion"] for v in row])
    lines += [
        "",
        "confusion (rows true, cols predicted):",
        f"  {'':<{width}}" + "".join(f"  {lab:>{cell}}" for lab in labels),
    ]
    for lab, row in zip(labels, r["confusion"]):
        lines.append(f"  {lab:<{width}}" + "".join(f"  {v:>{cell}}" for v in row))
    return "\n".join(lines)


def format_report(report: Mapping) -> str:
    """Readable multi-line text table of a :func:`detection_report` or :func:`classification_report`.

    Example:
        >>> r = classification_report([0, 1], [[0.9, 0.1], [0.2, 0.8]], ["mask", "no_mask"])
        >>> print(format_report(r).splitlines()[0])
        accuracy  1.000    macro-F1  1.000    n  2
    """
    if "face_ap" in report:
        return _format_detection(report)
    if "accuracy" in report:
        return _format_classification(report)
    raise ValueError("not a detection or classification report")
