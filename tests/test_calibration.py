"""Classifier calibration: temperature scaling, expected calibration error, the unknown threshold."""

import numpy as np
import pytest

from maskwatch.training.calibration import (
    expected_calibration_error,
    fit_class_bias,
    fit_temperature,
    macro_f1,
    plot_reliability,
    reliability_bins,
    softmax,
    unknown_threshold,
    with_bias,
)


def _overconfident(n=4000, seed=0):
    """Logits whose softmax says about 0.99 while the top class is right 80 % of the time."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 3, n)
    predicted = np.where(rng.random(n) < 0.8, labels, (labels + rng.integers(1, 3, n)) % 3)
    logits = rng.normal(0, 0.3, (n, 3))
    logits[np.arange(n), predicted] += 5.0
    return logits, labels


def test_temperature_scaling_softens_an_overconfident_model_and_keeps_its_ranking():
    logits, labels = _overconfident()
    t = fit_temperature(logits, labels)
    assert t > 1.5
    before, after = softmax(logits), softmax(logits, t)
    assert (before.argmax(1) == after.argmax(1)).all()
    assert expected_calibration_error(before, labels) > 0.15
    assert expected_calibration_error(after, labels) < 0.03


def test_a_calibrated_model_has_no_calibration_error():
    probs = np.array([[0.9, 0.1]] * 10)
    assert expected_calibration_error(probs, np.array([0] * 9 + [1])) == pytest.approx(0.0)
    bins = reliability_bins(probs, np.array([0] * 9 + [1]))
    assert sum(b["n"] for b in bins) == 10 and bins[9]["accuracy"] == pytest.approx(0.9)


def test_the_unknown_threshold_keeps_the_judged_verdicts_accurate():
    confidence = np.array([0.99, 0.95, 0.9, 0.8, 0.7, 0.6, 0.5])
    right = np.array([1, 1, 1, 1, 0, 0, 0], bool)
    probs = np.stack([confidence, 1 - confidence], 1)
    labels = np.where(right, 0, 1)
    assert unknown_threshold(probs, labels, min_accuracy=0.9) == pytest.approx(0.8)
    assert unknown_threshold(probs, labels, min_accuracy=0.75) == pytest.approx(0.7)


def test_the_reliability_diagram_is_written(tmp_path):
    logits, labels = _overconfident(500)
    plot_reliability(reliability_bins(softmax(logits), labels), tmp_path / "r.png")
    assert (tmp_path / "r.png").read_bytes()[:4] == b"\x89PNG"


def test_per_class_offsets_raise_a_rare_class_the_network_under_calls():
    rng = np.random.default_rng(1)
    labels = np.array([0] * 300 + [1] * 200 + [2] * 40)
    probs = np.full((len(labels), 3), 0.1)
    probs[labels == 0, 0], probs[labels == 1, 1] = 0.8, 0.8
    probs[labels == 2] = [0.5, 0.1, 0.4]  # the rare class comes second every time
    probs += rng.uniform(0, 0.05, probs.shape)
    probs /= probs.sum(1, keepdims=True)
    before = macro_f1(probs.argmax(1), labels, 3)
    bias = fit_class_bias(probs, labels)
    after = with_bias(probs, bias)
    assert bias[0] == 0 and bias[2] > 0.2
    assert (after.argmax(1)[labels == 2] == 2).mean() > 0.9 and (after.argmax(1)[labels == 0] == 0).mean() > 0.9
    assert macro_f1(after.argmax(1), labels, 3) > before + 0.2
    assert np.allclose(after.sum(1), 1.0)


def test_offsets_stay_zero_when_the_argmax_is_already_right():
    probs = np.eye(3)[[0, 1, 2, 0, 1, 2]] * 0.7 + 0.1
    assert (fit_class_bias(probs, np.array([0, 1, 2, 0, 1, 2])) == 0).all()


def test_detail_falls_with_blur_and_with_size():
    import cv2
    import skimage.data

    from maskwatch.detection.detail import face_detail

    photo, box = skimage.data.astronaut(), (180, 60, 270, 175)
    sharp = face_detail(photo, box)
    blurred = [face_detail(cv2.GaussianBlur(photo, (0, 0), s), box) for s in (1, 2, 4)]
    assert sharp > blurred[0] > blurred[1] > blurred[2]
    small = cv2.resize(photo, None, fx=0.15, fy=0.15, interpolation=cv2.INTER_AREA)
    assert face_detail(small, tuple(v * 0.15 for v in box)) < sharp
    assert face_detail(np.full((50, 50, 3), 128, np.uint8), (5, 5, 45, 45)) == 0.0


def test_the_detail_threshold_is_where_smoothed_accuracy_reaches_the_target():
    from maskwatch.training.detail_calibration import detail_threshold, isotonic

    assert isotonic([0.5, 0.9, 0.7, 1.0], [1, 1, 1, 1]) == pytest.approx([0.5, 0.8, 0.8, 1.0])
    rng = np.random.default_rng(0)
    details = rng.uniform(0, 1, 4000)
    right = rng.random(4000) < np.where(details < 0.3, 0.6, 0.97)  # below 0.3 a coin flip, above it good
    threshold, bins = detail_threshold(details, right, min_accuracy=0.9)
    assert 0.25 <= threshold <= 0.35
    assert all(b["accuracy_isotonic"] <= c["accuracy_isotonic"] for b, c in zip(bins, bins[1:]))
    assert detail_threshold(details, np.zeros(4000, bool), 0.9)[0] == float("inf")
