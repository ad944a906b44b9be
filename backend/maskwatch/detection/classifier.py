"""Mask classifier networks and the loader for their weights files.

A weights file is a plain dict (loadable with weights_only=True):
{"arch": str, "input_size": int, "margin": float, "labels": [str], "state_dict": {...}, "metrics": {...},
 "temperature": float, "class_bias": [float], "unknown_below": float, "min_detail": float}; the last four
(from validation faces) may be missing in older files.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch import nn

from .crops import DEFAULT_MARGIN, crop_face, to_tensor
from .types import LABELS, UNKNOWN


class ReportCNN(nn.Module):
    """The design of the original report: 3 conv layers (3x3, padding 1, max-pool 2x2), 2 linear."""

    def __init__(self, num_classes: int = len(LABELS), input_size: int = 64):
        super().__init__()
        layers, channels = [], 3
        for out in (32, 64, 128):
            layers += [nn.Conv2d(channels, out, 3, padding=1), nn.ReLU(inplace=True), nn.MaxPool2d(2)]
            channels = out
        self.features = nn.Sequential(*layers)
        flat = 128 * (input_size // 8) ** 2
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Dropout(0.3), nn.Linear(flat, 1024), nn.ReLU(inplace=True), nn.Linear(1024, num_classes)
        )
        for module in self.modules():
            if isinstance(module, (nn.Conv2d, nn.Linear)):
                nn.init.xavier_uniform_(module.weight)
                if module.bias is not None:  # always: built with bias
                    nn.init.zeros_(module.bias)

    def forward(self, x):
        return self.classifier(self.features(x))


def build_network(arch: str, input_size: int, num_classes: int = len(LABELS)) -> nn.Module:
    """A fresh, untrained network. arch: 'mobilenet_v3_small' or 'report_cnn'."""
    if arch == "report_cnn":
        return ReportCNN(num_classes, input_size)
    if arch == "mobilenet_v3_small":
        from torchvision.models import mobilenet_v3_small

        network = mobilenet_v3_small(weights=None, num_classes=num_classes)
        # torchvision's BN momentum of 0.01 suits fine-tuning; from scratch the running statistics
        # lag the fast-moving weights by hundreds of steps and eval-mode outputs collapse to one class.
        for module in network.modules():
            if isinstance(module, nn.BatchNorm2d):
                module.momentum = 0.1
        return network
    raise ValueError(f"unknown classifier architecture {arch!r}")


#: A verdict less confident than this is `unknown` when the weights carry no calibrated threshold.
UNCALIBRATED_UNKNOWN_BELOW = 0.6


class MaskClassifier:
    """Labels face crops `mask`, `no_mask` or `incorrect`.

    Example: MaskClassifier.from_file("models/mask_classifier.pt").classify(frame, [box1, box2])
    """

    def __init__(
        self,
        network: nn.Module,
        input_size: int,
        margin: float = DEFAULT_MARGIN,
        labels: tuple[str, ...] = LABELS,
        arch: str = "",
        metrics: dict | None = None,
        temperature: float = 1.0,
        unknown_below: float | None = None,
        class_bias=None,
        min_detail: float = 0.0,
    ):
        self.network = network.eval()
        #: logits are divided by this before the softmax (temperature scaling, fitted on validation faces)
        self.temperature = float(temperature)
        #: added to the scaled logits per class: the decision thresholds chosen on validation faces
        self.class_bias = (
            torch.zeros(len(labels)) if class_bias is None else torch.tensor(class_bias, dtype=torch.float32)
        )
        #: a verdict less confident than this is `unknown` (chosen on validation faces); None: not calibrated
        self.unknown_below = unknown_below
        #: a face with less detail than this (detection.detail.face_detail) is `unknown` (chosen on validation faces)
        self.min_detail = float(min_detail)
        self.input_size = input_size
        self.margin = margin
        self.labels = tuple(labels)
        self.arch = arch
        self.metrics = metrics or {}

    @classmethod
    def from_file(cls, path: str | Path) -> MaskClassifier:
        path = Path(path)
        if not path.exists():
            raise FileNotFoundError(f"classifier weights not found: {path}")
        saved = torch.load(path, map_location="cpu", weights_only=True)
        network = build_network(saved["arch"], saved["input_size"], len(saved["labels"]))
        network.load_state_dict(saved["state_dict"])
        return cls(
            network,
            saved["input_size"],
            saved.get("margin", DEFAULT_MARGIN),
            tuple(saved["labels"]),
            saved["arch"],
            saved.get("metrics"),
            saved.get("temperature", 1.0),
            saved.get("unknown_below"),
            saved.get("class_bias"),
            saved.get("min_detail", 0.0),
        )

    def crops(self, frame: np.ndarray, boxes) -> list[np.ndarray]:
        return [crop_face(frame, box, self.input_size, self.margin) for box in boxes]

    def predict_crops(self, crops: list[np.ndarray]) -> np.ndarray:
        """Class probabilities (N, len(labels)) for crops already cut at input_size."""
        if len(crops) == 0:
            return np.zeros((0, len(self.labels)), np.float32)
        with torch.inference_mode():
            logits = self.network(to_tensor(crops))
            return torch.softmax(logits / self.temperature + self.class_bias, dim=1).numpy()

    def verdict(self, probs: np.ndarray, detail: float | None = None) -> tuple[str, float]:
        """(label, confidence) of one probability vector; the label is `unknown` below the calibrated
        confidence, or when the face's detail (if given) is below min_detail."""
        best = int(np.argmax(probs))
        threshold = UNCALIBRATED_UNKNOWN_BELOW if self.unknown_below is None else self.unknown_below
        judged = probs[best] >= threshold and (detail is None or detail >= self.min_detail)
        return (self.labels[best] if judged else UNKNOWN), float(probs[best])

    def classify(self, frame: np.ndarray, boxes) -> np.ndarray:
        """Probabilities for each face box of an RGB frame, all crops in one batch."""
        return self.predict_crops(self.crops(frame, boxes))
