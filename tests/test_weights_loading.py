"""Weights are loaded as tensors only: a checkpoint that would run code when unpickled is refused, and the
code does not run."""

from __future__ import annotations

import pickle

import pytest
import torch

from maskwatch.detection import MaskClassifier
from maskwatch.detection.faces import load_mtcnn_weights


class RunsCode:
    """Unpickling this calls open(marker, "w"): the file appears only if the loader ran pickled code."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def hostile_checkpoint(path, marker):
    torch.save(
        {
            "arch": "mobilenet_v3_small",
            "input_size": 64,
            "labels": ["mask", "no_mask", "incorrect"],
            "state_dict": {},
            "payload": RunsCode(marker),
        },
        path,
    )
    return path


def test_the_classifier_refuses_a_checkpoint_that_runs_code(tmp_path):
    marker = tmp_path / "pwned"
    with pytest.raises(pickle.UnpicklingError, match="Weights only load failed"):
        MaskClassifier.from_file(hostile_checkpoint(tmp_path / "classifier.pt", marker))
    assert not marker.exists()


def test_the_mtcnn_weights_refuse_a_checkpoint_that_runs_code(tmp_path, face_detector):
    marker = tmp_path / "pwned"
    hostile_checkpoint(tmp_path / "pnet.pt", marker)
    with pytest.raises(pickle.UnpicklingError):
        load_mtcnn_weights(face_detector.mtcnn, tmp_path)
    assert not marker.exists()
