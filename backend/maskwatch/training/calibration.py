"""Calibration of the mask classifier: temperature scaling fitted on validation logits, expected
calibration error and the reliability diagram's bins, per-class decision offsets, and the confidence
below which a verdict is `unknown`.

Temperature scaling (Guo et al., 2017) divides the logits by one scalar T > 0 chosen to minimise the
negative log-likelihood on validation data; it changes confidences, never the ranking of classes.
"""

from __future__ import annotations

import numpy as np
import torch
from torch.nn import functional as F


def fit_temperature(logits: np.ndarray, labels: np.ndarray, max_iter: int = 200) -> float:
    """The T > 0 that minimises the NLL of softmax(logits / T) on (logits, labels).

    Example: a confident model that is often wrong gets T > 1 (its probabilities are softened).
    """
    x = torch.as_tensor(logits, dtype=torch.float64)
    y = torch.as_tensor(labels, dtype=torch.long)
    log_t = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.LBFGS([log_t], lr=0.1, max_iter=max_iter, line_search_fn="strong_wolfe")

    def closure():
        optimizer.zero_grad()
        loss = F.cross_entropy(x / log_t.exp(), y)
        loss.backward()
        return loss

    optimizer.step(closure)
    return float(log_t.detach().exp())


def softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    z = np.asarray(logits, np.float64) / temperature
    z -= z.max(1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(1, keepdims=True)


def reliability_bins(probs: np.ndarray, labels: np.ndarray, bins: int = 10) -> list[dict]:
    """Per confidence bin [k/bins, (k+1)/bins): count, mean confidence and accuracy of the top class."""
    confidence = probs.max(1)
    correct = probs.argmax(1) == labels
    out = []
    for k in range(bins):
        low, high = k / bins, (k + 1) / bins
        inside = (confidence >= low) & ((confidence < high) if k < bins - 1 else (confidence <= high))
        n = int(inside.sum())
        out.append(
            {
                "low": low,
                "high": high,
                "n": n,
                "confidence": float(confidence[inside].mean()) if n else None,
                "accuracy": float(correct[inside].mean()) if n else None,
            }
        )
    return out


def expected_calibration_error(probs: np.ndarray, labels: np.ndarray, bins: int = 10) -> float:
    """Sum over bins of (share of samples) x |accuracy - mean confidence|.

    Example: expected_calibration_error(np.array([[0.9, 0.1]] * 10), np.array([0] * 9 + [1])) == 0.0
    """
    total = len(labels)
    return (
        float(
            sum(
                b["n"] / total * abs(b["accuracy"] - b["confidence"])
                for b in reliability_bins(probs, labels, bins)
                if b["n"]
            )
        )
        if total
        else 0.0
    )


def unknown_threshold(probs: np.ndarray, labels: np.ndarray, min_accuracy: float = 0.9) -> float:
    """The lowest confidence c such that verdicts with confidence >= c are right at least min_accuracy
    of the time (on validation faces); below it the product says `unknown`."""
    confidence = probs.max(1)
    correct = probs.argmax(1) == labels
    order = np.argsort(-confidence, kind="stable")
    running = np.cumsum(correct[order]) / np.arange(1, len(order) + 1)
    good = np.flatnonzero(running >= min_accuracy)
    if not len(good):
        return 1.0
    return float(confidence[order][good[-1]])


def with_bias(probs: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """probs re-weighted by exp(bias) per class and renormalised: a shift of the class priors."""
    shifted = np.asarray(probs, np.float64) * np.exp(np.asarray(bias, np.float64))[None, :]
    return shifted / shifted.sum(1, keepdims=True)


def macro_f1(predicted: np.ndarray, labels: np.ndarray, classes: int) -> float:
    """Mean F1 over the classes present in labels."""
    scores = []
    for c in range(classes):
        if not (labels == c).any():
            continue
        tp = float(((predicted == c) & (labels == c)).sum())
        fp, fn = float(((predicted == c) & (labels != c)).sum()), float(((predicted != c) & (labels == c)).sum())
        scores.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return float(np.mean(scores)) if scores else 0.0


BIAS_GRID = np.linspace(-2.0, 3.0, 26)


def fit_class_bias(probs: np.ndarray, labels: np.ndarray, grid: np.ndarray = BIAS_GRID, rounds: int = 2) -> np.ndarray:
    """Per-class log offsets (class 0 fixed at 0) that maximise macro-F1 of the argmax on validation
    faces: the per-class decision thresholds. A rare class the network under-calls (a badly worn mask)
    gets a positive offset. Coordinate ascent over the grid; ties keep the offset nearest 0.

    Example: fit_class_bias(probs, labels) -> array([0., 0.2, 1.4])
    """
    classes = probs.shape[1]
    bias = np.zeros(classes)
    best = macro_f1(with_bias(probs, bias).argmax(1), labels, classes)
    for _ in range(rounds):
        for c in range(1, classes):
            for value in sorted(grid, key=abs):
                trial = bias.copy()
                trial[c] = value
                score = macro_f1(with_bias(probs, trial).argmax(1), labels, classes)
                if score > best + 1e-9:
                    best, bias = score, trial
    return bias


def plot_reliability(bins: list[dict], path, title: str = "Reliability") -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(4, 4))
    filled = [b for b in bins if b["n"]]
    ax.bar(
        [(b["low"] + b["high"]) / 2 for b in filled],
        [b["accuracy"] for b in filled],
        width=1 / len(bins),
        edgecolor="black",
        alpha=0.7,
        label="accuracy",
    )
    ax.plot([0, 1], [0, 1], "k--", label="perfect calibration")
    ax.set(xlabel="confidence", ylabel="accuracy", title=title, xlim=(0, 1), ylim=(0, 1))
    ax.legend(loc="upper left")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
