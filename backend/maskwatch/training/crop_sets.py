"""Face crops for the classifier, cut the way the detector cuts them at run time, with their splits.

Sources (see ../shared/datasets/README.md):
- kaggle-scenes-train: crops from the VOC boxes; the scene split of `scenes.split_scenes`
  (train / test), so no scene is on both sides.
- faces-12k: train, with a fixed 10 % validation part chosen by file-name hash.
- faces-chandrikadeb7: never trained on; the cross-source test set ("xsource").
- synthetic masks (`maskwatch synth` manifest): train only, made from faces-12k train images.
- maskedfacenet: real faces with fitted masks (nose_uncovered and chin_only are `incorrect`, correct and
  chin_uncovered `mask`); synthetic masks, so never a test: 10 % by name hash is "synth_val", reported apart.
Scenes: 15 % of the training scenes (by the same hash the face detector uses) are "val", for choosing
thresholds and the calibration.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from pathlib import Path

import cv2
import numpy as np

from ..detection.crops import DEFAULT_MARGIN, crop_face
from ..detection.types import LABELS
from .scenes import in_test_split, load_scenes, scene_splits

CROP_SET_LABELS = {"with_mask": "mask", "without_mask": "no_mask"}
SYNTH_LABELS = {"correct": "mask", "nose_uncovered": "incorrect", "chin": "incorrect"}
MASKEDFACENET_LABELS = {
    "correct": "mask",
    "chin_uncovered": "mask",
    "nose_uncovered": "incorrect",
    "chin_only": "incorrect",
}
SCENE_VAL_SHARE = 0.15
VAL_SHARE = 0.1
STORE_SIZE = 112


@dataclass
class CropTable:
    images: np.ndarray  # (N, S, S, 3) uint8 RGB
    labels: np.ndarray  # (N,) int index into LABELS
    sources: np.ndarray  # (N,) str: scenes, faces-12k, chandrikadeb7, synth
    splits: np.ndarray  # (N,) str: train, val, test, xsource
    sizes: np.ndarray  # (N,) float face size sqrt(w*h) in the original image
    groups: np.ndarray  # (N,) str: crops sharing a key must stay on one side of any split (scene, original face)

    def select(self, mask: np.ndarray) -> CropTable:
        return CropTable(*(getattr(self, f.name)[mask] for f in fields(self)))

    def where(self, split: str | None = None, source: str | None = None) -> CropTable:
        keep = np.ones(len(self.labels), bool)
        if split:
            keep &= self.splits == split
        if source:
            keep &= self.sources == source
        return self.select(keep)

    def __len__(self) -> int:
        return len(self.labels)

    def save(self, path: Path) -> None:
        np.savez(path, **{f.name: getattr(self, f.name) for f in fields(self)})

    @classmethod
    def load(cls, path: Path) -> CropTable:
        data = np.load(path)
        return cls(*(data[f.name] for f in fields(cls)))

    @classmethod
    def concat(cls, tables: list[CropTable]) -> CropTable:
        return cls(*(np.concatenate([getattr(t, f.name) for t in tables]) for f in fields(cls)))


def _read_rgb(path: Path) -> np.ndarray | None:
    bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
    return None if bgr is None else cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def _table(rows: list[tuple[np.ndarray, str, str, str, float, str]]) -> CropTable:
    """rows of (crop, label name, source, split, face size, group key)."""
    if not rows:
        return CropTable(
            np.zeros((0, STORE_SIZE, STORE_SIZE, 3), np.uint8),
            np.zeros(0, np.int64),
            np.zeros(0, "<U16"),
            np.zeros(0, "<U8"),
            np.zeros(0, np.float32),
            np.zeros(0, "<U32"),
        )
    images, labels, sources, splits, sizes, groups = zip(*rows)
    return CropTable(
        np.stack(images),
        np.array([LABELS.index(label) for label in labels]),
        np.array(sources),
        np.array(splits),
        np.array(sizes, np.float32),
        np.array(groups),
    )


def scene_crops(root: Path, size: int = STORE_SIZE) -> CropTable:
    scenes = load_scenes(root)
    rows = []
    for scene, (key, split) in zip(scenes, scene_splits(scenes)):
        if split == "train" and in_test_split(key + ":val", SCENE_VAL_SHARE):
            split = "val"
        image = scene.read_rgb()
        for box, label in zip(scene.boxes, scene.labels):
            face = float(np.sqrt(max(box[2] - box[0], 1) * max(box[3] - box[1], 1)))
            rows.append((crop_face(image, box, size, DEFAULT_MARGIN), label, "scenes", split, face, key))
    return _table(rows)


def folder_crops(
    root: Path, source: str, split_for, size: int = STORE_SIZE, folders: dict[str, str] = CROP_SET_LABELS
) -> CropTable:
    """Crop-set images are already faces: the whole image is the face box."""
    rows = []
    for folder, label in folders.items():
        for path in sorted((Path(root) / folder).glob("*.jpg")):
            image = _read_rgb(path)
            if image is None:
                continue
            h, w = image.shape[:2]
            rows.append(
                (
                    crop_face(image, (0, 0, w, h), size, 0.0),
                    label,
                    source,
                    split_for(path.name),
                    float(np.sqrt(h * w)),
                    path.name,
                )
            )
    return _table(rows)


def synth_crops(manifests: list[Path], size: int = STORE_SIZE) -> CropTable:
    """Synthetic faces framed like their crop-set originals (the whole image), so framing and the
    edge padding of a detector box cannot give the class away."""
    rows = []
    for manifest in manifests:
        for line in Path(manifest).read_text().splitlines():
            row = json.loads(line)
            image = _read_rgb(Path(row["output"]))
            if image is None:
                continue
            h, w = image.shape[:2]
            rows.append(
                (
                    crop_face(image, (0, 0, w, h), size, 0.0),
                    SYNTH_LABELS[row["placement"]],
                    "synth",
                    "train",
                    float(np.sqrt(h * w)),
                    Path(row["source"]).name,
                )
            )
    return _table(rows)


def twelve_k_split(name: str) -> str:
    return "val" if in_test_split(name, VAL_SHARE) else "train"


def build_crop_table(data_root: Path, synth_manifests: list[Path] = ()) -> CropTable:
    data_root = Path(data_root)
    tables = [
        scene_crops(data_root / "kaggle-scenes-train"),
        folder_crops(data_root / "faces-12k", "faces-12k", twelve_k_split),
        folder_crops(data_root / "faces-chandrikadeb7", "chandrikadeb7", lambda name: "xsource"),
    ]
    if (data_root / "maskedfacenet").exists():
        tables.append(
            folder_crops(
                data_root / "maskedfacenet",
                "maskedfacenet",
                lambda name: "synth_val" if in_test_split(name, VAL_SHARE) else "train",
                folders=MASKEDFACENET_LABELS,
            )
        )
    existing = [Path(m) for m in synth_manifests if Path(m).exists()]
    if existing:
        tables.append(synth_crops(existing))
    return CropTable.concat(tables)
