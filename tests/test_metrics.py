import json

import numpy as np
import pytest

from maskwatch.training.metrics import (
    FACE_SIZE_LABELS,
    auc,
    average_precision,
    classification_report,
    detection_report,
    face_size,
    format_report,
    iou_matrix,
    plot_confusion,
    plot_roc,
    recall_by_size,
    roc_curve,
)

FACE_A = [0, 0, 10, 10]
FACE_B = [20, 20, 30, 30]
FAR = [100, 100, 110, 110]


def preds(*pairs):
    """One image's (boxes, scores) from (box, score) pairs."""
    if not pairs:
        return np.zeros((0, 4)), np.zeros(0)
    return np.array([b for b, _ in pairs], float), np.array([s for _, s in pairs], float)


# ------------------------------------------------------------------------------------------- IoU


@pytest.mark.parametrize(
    "a, b, expected",
    [
        (FACE_A, FACE_A, 1.0),
        (FACE_A, [5, 0, 15, 10], 50 / 150),
        (FACE_A, [0, 0, 5, 5], 25 / 100),
        (FACE_A, [10, 0, 20, 10], 0.0),  # touching edges
        (FACE_A, FAR, 0.0),
        ([5, 5, 5, 5], [5, 5, 5, 5], 0.0),  # degenerate: no division by zero
    ],
)
def test_iou_known_boxes(a, b, expected):
    assert iou_matrix([a], [b])[0, 0] == pytest.approx(expected)
    assert iou_matrix([b], [a])[0, 0] == pytest.approx(expected)


def test_iou_matrix_shape_and_layout():
    m = iou_matrix([FACE_A, FACE_B], [FAR, FACE_B, FACE_A])
    assert m.shape == (2, 3)
    np.testing.assert_allclose(m, [[0, 0, 1], [0, 1, 0]])
    assert iou_matrix(np.zeros((0, 4)), [FACE_A]).shape == (0, 1)


# -------------------------------------------------------------------------------------------- AP

# Two faces 2 px apart; a prediction slightly nearer A takes A, and an exact box on A (already taken)
# must fall through to B (IoU 80/120) rather than become a false positive.
NEAR_A = [0, 0, 10, 10]
NEAR_B = [2, 0, 12, 10]


@pytest.mark.parametrize(
    "predictions, gts, expected_ap",
    [
        pytest.param([preds((FACE_A, 0.9), (FACE_B, 0.8))], [[FACE_A, FACE_B]], 1.0, id="perfect"),
        pytest.param([preds((FAR, 0.9), (FACE_A, 0.8))], [[FACE_A]], 0.5, id="fp-above-only-tp"),
        pytest.param([preds((FACE_A, 0.9), (FAR, 0.8))], [[FACE_A]], 1.0, id="fp-below-tp"),
        pytest.param([preds((FACE_A, 0.9))], [[FACE_A, FACE_B]], 0.5, id="missed-face"),
        # TP, duplicate of A (FP), TP: 0.5 * 1 + 0.5 * 2/3
        pytest.param(
            [preds((FACE_A, 0.9), ([0, 0, 10, 11], 0.8), (FACE_B, 0.7))],
            [[FACE_A, FACE_B]],
            5 / 6,
            id="duplicate-is-fp",
        ),
        # a box matching GT of another image does not count
        pytest.param([preds(), preds((FACE_A, 0.9))], [[FACE_A], []], 0.0, id="other-image"),
        pytest.param([preds((FACE_A, 0.5)), preds((FACE_B, 0.9))], [[FACE_A], [FACE_B]], 1.0, id="two-images"),
        pytest.param([preds((FACE_A, 0.9)), preds()], [[FACE_A], [FACE_B]], 0.5, id="empty-image"),
        pytest.param(
            [preds(([0.5, 0, 10.5, 10], 0.9), (NEAR_A, 0.8))], [[NEAR_A, NEAR_B]], 1.0, id="greedy-next-unmatched"
        ),
        pytest.param([preds()], [[FACE_A]], 0.0, id="no-predictions"),
    ],
)
def test_average_precision(predictions, gts, expected_ap):
    result = average_precision(predictions, [np.array(g, float).reshape(-1, 4) for g in gts])
    assert result.ap == pytest.approx(expected_ap)


def test_duplicate_detection_curves_and_matches():
    r = average_precision(
        [preds((FACE_A, 0.9), ([0, 0, 10, 11], 0.8), (FACE_B, 0.7))], [np.array([FACE_A, FACE_B, FAR], float)]
    )
    np.testing.assert_allclose(r.precision, [1, 1 / 2, 2 / 3])
    np.testing.assert_allclose(r.recall, [1 / 3, 1 / 3, 2 / 3])
    assert r.n_gt == 3
    assert r.matched_gt[0].tolist() == [True, True, False]


@pytest.mark.parametrize("threshold, expected_ap", [(0.3, 1.0), (0.5, 0.0)])
def test_iou_threshold(threshold, expected_ap):
    r = average_precision([preds(([5, 0, 15, 10], 0.9))], [np.array([FACE_A], float)], iou_threshold=threshold)
    assert r.ap == pytest.approx(expected_ap)


def test_no_ground_truth_gives_none():
    r = average_precision([preds((FACE_A, 0.9))], [np.zeros((0, 4))])
    assert r.ap is None and r.n_gt == 0


def test_ap_uses_precision_envelope():
    # TP FP FP TP over 2 GT: precision [1, .5, .33, .5]; envelope at recall 1 is 0.5, not 0.33
    r = average_precision(
        [preds((FACE_A, 0.9), (FAR, 0.8), ([200, 200, 210, 210], 0.7), (FACE_B, 0.6))],
        [np.array([FACE_A, FACE_B], float)],
    )
    assert r.ap == pytest.approx(0.5 * 1 + 0.5 * 0.5)


# --------------------------------------------------------------------------------- recall by size


def test_face_size_is_geometric_mean_of_sides():
    np.testing.assert_allclose(face_size([[0, 0, 8, 32], [10, 10, 20, 20]]), [16, 10])


def test_recall_by_size_buckets():
    gts = [
        np.array(
            [
                [0, 0, 10, 10],  # 10   <16   matched
                [0, 0, 8, 32],  # 16   16-32 (bin edge goes up; max side would say 32)
                [0, 0, 20, 20],
            ],
            float,
        ),  # 20 16-32 matched
        np.array(
            [
                [0, 0, 40, 40],  # 40   32-64
                [0, 0, 100, 100],  # 100  >=64  matched
                [0, 0, 64, 64],
            ],
            float,
        ),
    ]  # 64 >=64
    matched = [np.array([True, False, True]), np.array([False, True, False])]
    assert recall_by_size(gts, matched) == {
        "<16": {"n": 1, "recall": 1.0},
        "16-32": {"n": 2, "recall": 0.5},
        "32-64": {"n": 1, "recall": 0.0},
        ">=64": {"n": 2, "recall": 0.5},
    }


def test_recall_by_size_empty_bin_is_none():
    out = recall_by_size([np.array([[0, 0, 10, 10]], float)], [np.array([False])])
    assert list(out) == list(FACE_SIZE_LABELS)
    assert out["<16"] == {"n": 1, "recall": 0.0}
    assert out[">=64"] == {"n": 0, "recall": None}


# ----------------------------------------------------------------------------- detection report


def _det(boxes, scores, labels, class_scores):
    return {
        "boxes": np.array(boxes, float).reshape(-1, 4),
        "scores": np.array(scores, float),
        "labels": labels,
        "class_scores": np.array(class_scores, float),
    }


def _gt(boxes, labels):
    return {"boxes": np.array(boxes, float).reshape(-1, 4), "labels": labels}


def test_detection_report_hand_computed():
    gts = [
        _gt([[0, 0, 20, 20], [50, 50, 80, 80]], ["mask", "no_mask"]),
        _gt([[10, 10, 40, 40], [60, 60, 90, 90]], ["mask", "incorrect"]),
    ]
    predictions = [
        # the no_mask face is found but labelled mask: a mask FP, and no_mask gets no detection
        _det([[0, 0, 20, 20], [50, 50, 80, 80]], [0.99, 0.95], ["mask", "mask"], [0.9, 0.6]),
        _det(
            [[10, 10, 40, 40], [60, 60, 90, 90], [100, 100, 120, 120]],
            [0.9, 0.85, 0.3],
            ["mask", "incorrect", "incorrect"],
            [0.5, 0.7, 0.8],
        ),
    ]
    r = detection_report(predictions, gts)
    assert r["face_ap"] == pytest.approx(1.0)  # 4 TPs, then the FP
    assert r["face_recall"] == pytest.approx(1.0)
    # mask ranked by class score: TP .9, FP .6, TP .5
    assert r["ap_per_class"]["mask"] == pytest.approx(5 / 6)
    assert r["ap_per_class"]["no_mask"] == pytest.approx(0.0)
    # incorrect: FP .8 above TP .7 over 1 GT
    assert r["ap_per_class"]["incorrect"] == pytest.approx(0.5)
    assert r["map"] == pytest.approx((5 / 6 + 0 + 0.5) / 3)
    assert r["map_two_class"] == pytest.approx((5 / 6 + 0) / 2)
    assert r["n_gt_per_class"] == {"mask": 2, "no_mask": 1, "incorrect": 1}
    assert r["face_recall_by_size"]["16-32"] == {"n": 4, "recall": 1.0}
    json.dumps(r)


def test_detection_report_class_without_gt_is_left_out_of_mean():
    gts = [_gt([[0, 0, 20, 20], [50, 50, 80, 80]], ["mask", "no_mask"])]
    predictions = [_det([[0, 0, 20, 20], [100, 100, 130, 130]], [0.9, 0.8], ["mask", "incorrect"], [0.9, 0.9])]
    r = detection_report(predictions, gts)
    assert r["ap_per_class"] == {"mask": 1.0, "no_mask": 0.0, "incorrect": None}
    assert r["map"] == pytest.approx(0.5)
    assert r["map_two_class"] == pytest.approx(0.5)
    assert r["face_recall"] == pytest.approx(0.5)
    assert r["face_ap"] == pytest.approx(0.5)


# ------------------------------------------------------------------------------------------- ROC


@pytest.mark.parametrize(
    "y, scores, expected",
    [
        pytest.param([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9], 1.0, id="separable"),
        pytest.param([1, 1, 0, 0], [0.1, 0.2, 0.8, 0.9], 0.0, id="inverted"),
        pytest.param([0, 1, 0, 1], [0.5, 0.5, 0.5, 0.5], 0.5, id="all-tied"),
        # pairs (pos, neg): .9>.5, .9>.1, .5=.5 (half), .5>.1 -> 3.5 / 4
        pytest.param([1, 0, 1, 0], [0.9, 0.5, 0.5, 0.1], 0.875, id="partly-tied"),
    ],
)
def test_roc_auc(y, scores, expected):
    fpr, tpr, _ = roc_curve(y, scores)
    assert auc(fpr, tpr) == pytest.approx(expected)


def test_roc_curve_ties_form_one_point():
    fpr, tpr, thr = roc_curve([1, 0, 1, 0], [0.9, 0.5, 0.5, 0.1])
    np.testing.assert_allclose(fpr, [0, 0, 0.5, 1])
    np.testing.assert_allclose(tpr, [0, 0.5, 1, 1])
    np.testing.assert_allclose(thr, [np.inf, 0.9, 0.5, 0.1])


def test_roc_auc_equals_pairwise_probability_with_ties():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 300)
    scores = np.round(rng.normal(y * 0.7, 1.0), 1)  # rounding makes many ties
    pos, neg = scores[y == 1], scores[y == 0]
    diff = pos[:, None] - neg[None, :]
    expected = ((diff > 0).sum() + 0.5 * (diff == 0).sum()) / diff.size
    fpr, tpr, _ = roc_curve(y, scores)
    assert auc(fpr, tpr) == pytest.approx(expected)


@pytest.mark.parametrize("y", [[1, 1, 1], [0, 0, 0]])
def test_roc_curve_needs_both_classes(y):
    with pytest.raises(ValueError):
        roc_curve(y, [0.1, 0.2, 0.3])


@pytest.mark.parametrize(
    "x, y, expected",
    [
        ([0, 1], [0, 1], 0.5),
        ([0, 0.5, 1], [1, 1, 1], 1.0),
        ([1, 0.5, 0], [1, 1, 0], 0.75),  # decreasing x
    ],
)
def test_auc_trapezoid(x, y, expected):
    assert auc(x, y) == pytest.approx(expected)


# -------------------------------------------------------------------------------- classification

LABELS = ["mask", "no_mask", "incorrect"]
Y_TRUE = [0, 0, 0, 1, 1, 2, 2, 2, 2]
Y_PRED = [0, 0, 1, 1, 1, 2, 2, 2, 0]


def _probs(pred, n_classes=3):
    return np.eye(n_classes)[pred] * 0.8 + 0.1


def test_classification_report_by_hand():
    r = classification_report(Y_TRUE, _probs(Y_PRED), LABELS)
    assert r["confusion"] == [[2, 1, 0], [0, 2, 0], [1, 0, 3]]
    assert r["accuracy"] == pytest.approx(7 / 9)
    expected = {  # precision, recall, f1, support
        "mask": (2 / 3, 2 / 3, 2 / 3, 3),
        "no_mask": (2 / 3, 1.0, 0.8, 2),
        "incorrect": (1.0, 3 / 4, 6 / 7, 4),
    }
    for lab, (p, rec, f1, support) in expected.items():
        m = r["per_class"][lab]
        assert (m["precision"], m["recall"], m["f1"]) == pytest.approx((p, rec, f1))
        assert m["support"] == support
    assert r["macro_f1"] == pytest.approx((2 / 3 + 0.8 + 6 / 7) / 3)
    json.dumps(r)


def test_confusion_rows_are_true_cols_are_predicted():
    r = classification_report([0, 0, 1], _probs([1, 1, 1], 2), ["mask", "no_mask"])
    assert r["confusion"] == [[0, 2], [0, 1]]
    assert r["per_class"]["mask"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 2}
    assert r["per_class"]["no_mask"]["precision"] == pytest.approx(1 / 3)


def test_macro_f1_skips_classes_without_support():
    r = classification_report([0, 1, 1], _probs([0, 1, 0]), LABELS)
    assert r["per_class"]["incorrect"]["support"] == 0
    f1_mask = 2 * 0.5 * 1.0 / 1.5
    f1_no_mask = 2 * 1.0 * 0.5 / 1.5
    assert r["macro_f1"] == pytest.approx((f1_mask + f1_no_mask) / 2)
    assert r["roc_auc"]["incorrect"] is None


def test_roc_auc_per_class_one_vs_rest():
    probs = np.array([[0.7, 0.2, 0.1], [0.6, 0.3, 0.1], [0.2, 0.7, 0.1], [0.5, 0.4, 0.1]])
    r = classification_report([0, 0, 1, 1], probs, LABELS)
    assert r["roc_auc"]["mask"] == pytest.approx(1.0)  # 0.7, 0.6 above 0.2, 0.5
    assert r["roc_auc"]["no_mask"] == pytest.approx(1.0)  # 0.7, 0.4 above 0.2, 0.3
    assert r["roc_auc"]["incorrect"] is None


# ------------------------------------------------------------------------------------ plots, text


@pytest.mark.parametrize("plot", ["roc", "confusion"])
def test_plots_write_png(tmp_path, plot):
    path = tmp_path / "sub" / f"{plot}.png"
    if plot == "roc":
        out = plot_roc(Y_TRUE, _probs(Y_PRED) + np.linspace(0, 0.05, 9)[:, None], LABELS, path, title="ROC")
    else:
        out = plot_confusion(
            classification_report(Y_TRUE, _probs(Y_PRED), LABELS)["confusion"], LABELS, path, title="confusion"
        )
    assert out == path
    data = path.read_bytes()
    assert data.startswith(b"\x89PNG") and len(data) > 1000


def test_format_report_classification():
    text = format_report(classification_report(Y_TRUE, _probs(Y_PRED), LABELS))
    assert "accuracy  0.778" in text
    assert "macro-F1  0.775" in text
    assert all(lab in text for lab in LABELS)
    assert "rows true, cols predicted" in text


def test_format_report_detection():
    gts = [_gt([[0, 0, 20, 20]], ["mask"])]
    text = format_report(detection_report([_det([[0, 0, 20, 20]], [0.9], ["mask"], [0.8])], gts))
    assert "face AP@0.5  1.000" in text
    assert all(label in text for label in FACE_SIZE_LABELS)
    assert "incorrect" in text and " -" in text  # AP None is shown as "-"


def test_format_report_rejects_other_dicts():
    with pytest.raises(ValueError):
        format_report({"loss": 0.1})
