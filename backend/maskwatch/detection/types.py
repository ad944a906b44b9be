"""Plain data passed between detection stages."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

#: Classifier output order. Index i of a probability vector is LABELS[i].
LABELS: tuple[str, ...] = ("mask", "no_mask", "incorrect")
#: The verdict of a face (or a person) too unsure or too blurred to judge.
UNKNOWN = "unknown"


@dataclass
class Face:
    """A face found by a face detector.

    box: (x1, y1, x2, y2) in pixels of the frame given to the detector.
    score: detector confidence in [0, 1].
    landmarks: 5x2 array (left eye, right eye, nose, left mouth corner, right mouth corner) or None.
    """

    box: tuple[float, float, float, float]
    score: float
    landmarks: np.ndarray | None = None

    @property
    def size(self) -> float:
        """The shorter side of the box, the figure that decides whether a face is 'small'."""
        x1, y1, x2, y2 = self.box
        return float(min(x2 - x1, y2 - y1))


@dataclass
class Detection:
    """A face with its mask verdict: label is one of LABELS, or `unknown` when the classifier is unsure
    (score, the top class's probability, below its calibrated threshold); probs has every class."""

    face: Face
    label: str
    score: float
    probs: dict[str, float] = field(default_factory=dict)
    #: A cheap appearance signature of the face (unit vector, kept in memory only), or None.
    signature: np.ndarray | None = None

    @property
    def box(self) -> tuple[float, float, float, float]:
        return self.face.box

    @property
    def top_label(self) -> str:
        """The most probable class, even where label is unknown: rankings for AP use it."""
        return max(self.probs, key=self.probs.__getitem__) if self.probs else self.label

    def to_dict(self) -> dict:
        return {
            "box": [round(float(v), 1) for v in self.face.box],
            "label": self.label,
            "score": round(float(self.score), 4),
            "face_score": round(float(self.face.score), 4),
        }
