"""The kaggle-scenes-train set: PASCAL VOC boxes, and a fixed split by scene.

Near-duplicate scenes (the same photo resized or re-encoded) are grouped by a perceptual hash so a
group never straddles the split.
"""

from __future__ import annotations

import hashlib
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

VOC_LABELS = {
    "with_mask": "mask",
    "without_mask": "no_mask",
    "mask_weared_incorrect": "incorrect",
    # WIDER FACE (../shared/tools/wider_face.py): a face whose mask state nobody labelled
    "face": "face",
    "face_maybe_masked": "face",
}
TEST_SHARE = 0.2
NEAR_DUPLICATE_BITS = 6


@dataclass
class Scene:
    image: Path
    boxes: np.ndarray  # (N, 4) float32 x1, y1, x2, y2
    labels: list[str]  # per box, from VOC_LABELS values

    def read_rgb(self) -> np.ndarray:
        bgr = cv2.imread(str(self.image), cv2.IMREAD_COLOR)
        if bgr is None:
            raise ValueError(f"cannot read {self.image}")
        return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def parse_voc(xml_path: Path, images_dir: Path) -> Scene:
    root = ET.parse(xml_path).getroot()
    boxes, labels = [], []
    for obj in root.iter("object"):
        bb = obj.find("bndbox")
        boxes.append([float(bb.find(k).text) for k in ("xmin", "ymin", "xmax", "ymax")])
        labels.append(VOC_LABELS[obj.find("name").text.strip()])
    return Scene(images_dir / root.find("filename").text.strip(), np.asarray(boxes, np.float32).reshape(-1, 4), labels)


def load_scenes(root: Path) -> list[Scene]:
    """All scenes of a VOC folder with images/ and annotations/, sorted by image name."""
    root = Path(root)
    scenes = [parse_voc(p, root / "images") for p in sorted((root / "annotations").glob("*.xml"))]
    return sorted(scenes, key=lambda s: s.image.name)


def average_hash(path: Path, size: int = 8) -> int:
    gray = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
    small = cv2.resize(gray, (size, size), interpolation=cv2.INTER_AREA)
    bits = (small > small.mean()).flatten()
    return int("".join("1" if b else "0" for b in bits), 2)


def near_duplicate_groups(paths: list[Path], max_bits: int = NEAR_DUPLICATE_BITS) -> list[int]:
    """A group id per path; paths whose hashes differ in at most `max_bits` bits share a group."""
    hashes = [average_hash(p) for p in paths]
    parent = list(range(len(paths)))

    def find(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i in range(len(paths)):
        for j in range(i + 1, len(paths)):
            if bin(hashes[i] ^ hashes[j]).count("1") <= max_bits:
                parent[find(i)] = find(j)
    return [find(i) for i in range(len(paths))]


def in_test_split(key: str, share: float = TEST_SHARE) -> bool:
    """Stable assignment by a hash of the key, independent of how many items there are."""
    digest = hashlib.sha256(key.encode()).digest()
    return int.from_bytes(digest[:4], "big") / 2**32 < share


def scene_group_keys(scenes: list[Scene]) -> list[str]:
    """Per scene, the image name of the first scene in its near-duplicate group."""
    groups = near_duplicate_groups([s.image for s in scenes])
    first_name: dict[int, str] = {}
    for scene, group in zip(scenes, groups):
        first_name.setdefault(group, scene.image.name)
    return [first_name[group] for group in groups]


def scene_splits(scenes: list[Scene], share: float = TEST_SHARE) -> list[tuple[str, str]]:
    """Per scene (group key, "train" or "test"): whole near-duplicate groups go one way."""
    return [(key, "test" if in_test_split(key, share) else "train") for key in scene_group_keys(scenes)]


def split_scenes(scenes: list[Scene], share: float = TEST_SHARE) -> tuple[list[Scene], list[Scene]]:
    """(train, test) lists of scenes, as scene_splits assigns them."""
    train, test = [], []
    for scene, (_, split) in zip(scenes, scene_splits(scenes, share)):
        (test if split == "test" else train).append(scene)
    return train, test
