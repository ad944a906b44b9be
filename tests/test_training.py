"""Training pieces on small made-up data: splits, class weights, the loop, the weights file."""

import json

import numpy as np
import pytest
import torch

from maskwatch.detection import MaskClassifier
from maskwatch.detection.classifier import build_network
from maskwatch.training import train_classifier
from maskwatch.training.crop_sets import CropTable
from maskwatch.training.scenes import in_test_split, load_scenes, split_scenes

VOC = """<annotation><filename>{name}</filename><size><width>64</width><height>48</height></size>
{objects}</annotation>"""
OBJECT = "<object><name>{label}</name><bndbox><xmin>{x1}</xmin><ymin>4</ymin><xmax>{x2}</xmax><ymax>30</ymax></bndbox></object>"


def write_scene_set(root, n_scenes):
    import cv2

    (root / "images").mkdir(parents=True)
    (root / "annotations").mkdir()
    rng = np.random.default_rng(1)
    base = None
    for i in range(n_scenes):
        name = f"scene{i}.jpg"
        # every other scene is a re-encoded near-copy of the one before: one group
        base = rng.integers(0, 255, (6, 8, 3)).astype(np.uint8) if i % 2 == 0 else base
        cv2.imwrite(str(root / "images" / name), cv2.resize(base, (64, 48), interpolation=cv2.INTER_NEAREST))
        objects = OBJECT.format(label="with_mask", x1=2, x2=20) + OBJECT.format(
            label="mask_weared_incorrect", x1=30, x2=50
        )
        (root / "annotations" / f"scene{i}.xml").write_text(VOC.format(name=name, objects=objects))


def test_scenes_parse_and_split_keeps_near_duplicates_together(tmp_path):
    write_scene_set(tmp_path, 40)
    scenes = load_scenes(tmp_path)
    assert len(scenes) == 40
    assert scenes[0].labels == ["mask", "incorrect"]
    assert scenes[0].boxes.tolist() == [[2, 4, 20, 30], [30, 4, 50, 30]]
    train, test = split_scenes(scenes)
    assert len(train) + len(test) == 40 and test and train
    test_names = {s.image.name for s in test}
    for i in range(0, 40, 2):
        assert (f"scene{i}.jpg" in test_names) == (f"scene{i + 1}.jpg" in test_names)


def test_hash_split_is_stable_and_near_its_share():
    keys = [f"img{i}.jpg" for i in range(5000)]
    picked = [in_test_split(k, 0.2) for k in keys]
    assert picked == [in_test_split(k, 0.2) for k in keys]
    assert 0.17 < np.mean(picked) < 0.23


def test_class_weights_are_one_minus_share():
    weights = train_classifier.class_weights(np.array([0] * 5 + [1] * 4 + [2]))
    assert weights.tolist() == pytest.approx([0.5, 0.6, 0.9])


def coloured_table(n_per_class: int) -> CropTable:
    """Class = which colour channel is bright: a task any working training loop learns at once."""
    rng = np.random.default_rng(0)
    images, labels = [], []
    for label in range(3):
        for _ in range(n_per_class):
            img = rng.integers(0, 60, (32, 32, 3)).astype(np.uint8)
            img[..., label] = rng.integers(180, 255)
            images.append(img)
            labels.append(label)
    n = len(labels)
    sources = np.array(["synth" if i % 4 == 0 else "t" for i in range(n)])
    groups = np.array([f"face{i // 2}" for i in range(n)])  # pairs: an original and its synthetic copy
    return CropTable(np.stack(images), np.array(labels), sources, np.array(["train"] * n), np.full(n, 32.0), groups)


def test_training_loop_learns_and_writes_loadable_weights(tmp_path):
    table = coloured_table(40)
    table.save(tmp_path / "crops.npz")
    out = tmp_path / "model.pt"
    result = train_classifier.main(
        [
            "--arch",
            "report_cnn",
            "--input-size",
            "32",
            "--epochs",
            "3",
            "--lr",
            "1e-3",
            "--batch-size",
            "16",
            "--threads",
            "1",
            "--cache",
            str(tmp_path / "crops.npz"),
            "--work",
            str(tmp_path / "work"),
            "--out",
            str(out),
        ]
    )
    assert result["history"][-1]["accuracy"] > 0.9
    assert (tmp_path / "work" / "report_cnn" / "checkpoint.pt").exists()
    classifier = MaskClassifier.from_file(out)
    assert classifier.arch == "report_cnn" and classifier.input_size == 32
    probs = classifier.predict_crops(list(table.images))
    assert (probs.argmax(1) == table.labels).mean() > 0.9


def test_crop_table_round_trips_through_a_file(tmp_path):
    table = coloured_table(3)
    table.save(tmp_path / "t.npz")
    loaded = CropTable.load(tmp_path / "t.npz")
    assert np.array_equal(loaded.images, table.images) and loaded.groups.tolist() == table.groups.tolist()
    both = CropTable.concat([table, loaded])
    assert len(both) == 18 and len(both.where(source="synth")) == 2 * len(table.where(source="synth"))


def test_folds_keep_groups_together_and_are_stable():
    groups = np.array([f"g{i // 3}" for i in range(300)])
    folds = train_classifier.fold_of(groups, 5)
    assert np.array_equal(folds, train_classifier.fold_of(groups, 5))
    for g in np.unique(groups):
        assert len(set(folds[groups == g])) == 1
    assert set(folds) == set(range(5))


def test_cross_validation_scores_every_fold_without_synthetic_crops(tmp_path):
    table = coloured_table(30)
    table.save(tmp_path / "crops.npz")
    result = train_classifier.main(
        [
            "--arch",
            "report_cnn",
            "--input-size",
            "32",
            "--epochs",
            "2",
            "--lr",
            "1e-3",
            "--batch-size",
            "16",
            "--threads",
            "1",
            "--folds",
            "3",
            "--cache",
            str(tmp_path / "crops.npz"),
            "--work",
            str(tmp_path / "work"),
        ]
    )
    assert len(result["reports"]) == 3
    scored = sum(r["n"] for r in result["reports"])
    assert scored == len(table.where(source="t"))  # every real crop scored once, no synthetic one
    assert result["summary"]["accuracy"]["mean"] > 0.8
    assert (tmp_path / "work" / "report_cnn" / "cross_validation.json").exists()


def test_weights_file_holds_tensors_only(tmp_path):
    network = build_network("mobilenet_v3_small", 64)
    args = type("Args", (), {"arch": "mobilenet_v3_small", "input_size": 64})
    train_classifier.save_weights(tmp_path / "w.pt", network, args, {"note": json.dumps({"a": 1})})
    saved = torch.load(tmp_path / "w.pt", weights_only=True)
    assert saved["labels"] == ["mask", "no_mask", "incorrect"]
    loaded = MaskClassifier.from_file(tmp_path / "w.pt")
    x = np.random.default_rng(0).integers(0, 255, (2, 64, 64, 3)).astype(np.uint8)
    network.eval()
    with torch.inference_mode():
        from maskwatch.detection.crops import to_tensor

        expected = torch.softmax(network(to_tensor(x)), 1).numpy()
    assert np.allclose(loaded.predict_crops(list(x)), expected, atol=1e-5)


def test_missing_weights_file_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="classifier weights not found"):
        MaskClassifier.from_file(tmp_path / "nothing.pt")


def test_balanced_order_draws_every_class_about_equally():
    labels = np.array([0] * 900 + [1] * 90 + [2] * 10)
    drawn = np.bincount(labels[train_classifier.balanced_order(labels, np.random.default_rng(0))], minlength=3)
    assert drawn.sum() == 1000 and (np.abs(drawn - 333) < 60).all()


def test_training_calibrates_on_the_validation_faces_and_the_weights_carry_it(tmp_path):
    table = coloured_table(40)
    table.splits[np.arange(len(table)) % 5 == 0] = "val"
    table.save(tmp_path / "crops.npz")
    out = tmp_path / "model.pt"
    result = train_classifier.main(
        [
            "--arch",
            "report_cnn",
            "--input-size",
            "32",
            "--epochs",
            "2",
            "--lr",
            "1e-3",
            "--batch-size",
            "16",
            "--threads",
            "1",
            "--cache",
            str(tmp_path / "crops.npz"),
            "--work",
            str(tmp_path / "work"),
            "--out",
            str(out),
        ]
    )
    calibration = result["calibration"]
    assert calibration["n_val"] == 24 and calibration["temperature"] > 0
    assert calibration["ece_after"] <= calibration["ece_before"] + 1e-6
    classifier = MaskClassifier.from_file(out)
    assert classifier.temperature == pytest.approx(calibration["temperature"])
    assert classifier.unknown_below == pytest.approx(calibration["unknown_below"])
    assert classifier.class_bias.tolist() == pytest.approx(calibration["class_bias"])
    threshold = classifier.unknown_below
    assert classifier.verdict(np.array([threshold - 0.01, 0.0, 0.0]))[0] == "unknown"
    assert classifier.verdict(np.array([0.0, 1.0, 0.0])) == ("no_mask", 1.0)
