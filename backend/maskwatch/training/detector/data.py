"""Scenes for the face detector, with train / val / test splits that never share a scene.

Sources and how they are split (every split is a stable hash of a scene key, independent of how many
scenes there are; near-duplicate groups stay on one side):
- kaggle-scenes-train: test is the classifier's scene test split (`scenes.split_scenes`, 20 %);
  val is 15 % of the rest.
- scenes-adityap27: test 30 %, val 15 % of the rest: a held-out set from other photographers.
- WIDER FACE (built by ../shared/tools/wider_face.py into .cache/wider-face): its train part is all
  training; of its val part 30 % of the images are our held-out test, 5 % validation, the rest training.

Landmarks: none of these sets label them, so MTCNN's O-Net (stock weights from facenet-pytorch)
labels each ground-truth face of 20 px and up; faces it does not call a face get none.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from ...paths import REPO_ROOT
from ..scenes import Scene, in_test_split, load_scenes, parse_voc, scene_group_keys, scene_splits

SPLITS = ("train", "val", "test")
DEFAULT_WIDER = REPO_ROOT / ".cache" / "wider-face"
LANDMARK_MIN_FACE = 20
LANDMARK_MIN_PROB = 0.8


@dataclass
class DetectorScene(Scene):
    """A scene with where it comes from and which split it is in (labels may be "face": verdict not labelled)."""

    source: str = ""  # kaggle, adityap27, wider
    split: str = "train"  # train, val, test
    key: str = ""  # stable name, used for the landmark cache
    landmarks: np.ndarray | None = None  # (N, 5, 2) float32, NaN where unknown


def _split3(key: str, test_share: float, val_share: float) -> str:
    if in_test_split(key, test_share):
        return "test"
    return "val" if in_test_split(key + ":val", val_share) else "train"


def kaggle_scenes(root: Path) -> list[DetectorScene]:
    scenes = load_scenes(root)
    out = []
    for scene, (key, split) in zip(scenes, scene_splits(scenes)):
        if split == "train" and in_test_split(key + ":val", 0.15):
            split = "val"
        out.append(DetectorScene(scene.image, scene.boxes, scene.labels, "kaggle", split, f"kaggle/{scene.image.name}"))
    return out


def adityap27_scenes(root: Path) -> list[DetectorScene]:
    scenes = load_scenes(root)
    return [
        DetectorScene(s.image, s.boxes, s.labels, "adityap27", _split3(key, 0.30, 0.15), f"adityap27/{s.image.name}")
        for s, key in zip(scenes, scene_group_keys(scenes))
    ]


def wider_scenes(root: Path) -> list[DetectorScene]:
    out = []
    for part in ("train", "val"):
        for xml in sorted((Path(root) / part / "annotations").glob("*/*.xml")):
            scene = parse_voc(xml, Path(root) / part / "images" / xml.parent.name)
            split = "train" if part == "train" else _split3(xml.stem, 0.30, 0.05 / 0.70)
            out.append(
                DetectorScene(scene.image, scene.boxes, scene.labels, "wider", split, f"wider-{part}/{xml.stem}")
            )
    return out


def load_detector_scenes(data_root: Path, wider_root: Path | None = DEFAULT_WIDER) -> list[DetectorScene]:
    """Every scene of every source that is present; WIDER is skipped when it was not built."""
    scenes = kaggle_scenes(Path(data_root) / "kaggle-scenes-train")
    adit = Path(data_root) / "scenes-adityap27"
    if adit.exists():
        scenes += adityap27_scenes(adit)
    if wider_root and (Path(wider_root) / "val").exists():
        scenes += wider_scenes(Path(wider_root))
    return scenes


def onet_landmarks(image: np.ndarray, boxes: np.ndarray, onet) -> np.ndarray:
    """(N, 5, 2) landmarks from MTCNN's O-Net run on each box's square crop; NaN where the face is too
    small or O-Net does not call it a face."""
    import torch

    out = np.full((len(boxes), 5, 2), np.nan, np.float32)
    crops, rows, squares = [], [], []
    for i, (x1, y1, x2, y2) in enumerate(boxes):
        w, h = x2 - x1, y2 - y1
        if min(w, h) < LANDMARK_MIN_FACE:
            continue
        side = max(w, h)
        sx, sy = (x1 + x2 - side) / 2, (y1 + y2 - side) / 2
        m = cv2.getAffineTransform(
            np.float32([[sx, sy], [sx + side, sy], [sx, sy + side]]), np.float32([[0, 0], [48, 0], [0, 48]])
        )
        crops.append(cv2.warpAffine(image, m, (48, 48), flags=cv2.INTER_AREA, borderMode=cv2.BORDER_REPLICATE))
        rows.append(i)
        squares.append((sx, sy, side))
    if not crops:
        return out
    batch = torch.from_numpy(np.stack(crops)).permute(0, 3, 1, 2).float().sub_(127.5).mul_(0.0078125)
    with torch.inference_mode():
        _, points, prob = onet(batch)
    points, prob = points.numpy(), prob.numpy()[:, 1]  # O-Net ends in a softmax
    for (sx, sy, side), i, p, pr in zip(squares, rows, points, prob):
        if pr < LANDMARK_MIN_PROB:
            continue
        out[i, :, 0] = sx + p[0:5] * side
        out[i, :, 1] = sy + p[5:10] * side
    return out


def attach_landmarks(scenes: list[DetectorScene], cache: Path) -> None:
    """Fill each training/validation scene's landmarks, from `cache` (an .npz by scene key) or O-Net."""
    cache = Path(cache)
    known = dict(np.load(cache)) if cache.exists() else {}
    missing = [s for s in scenes if s.key not in known]
    if missing:
        from facenet_pytorch.models.mtcnn import ONet

        onet = ONet().eval()  # stock weights ship inside the wheel
        for n, scene in enumerate(missing):
            known[scene.key] = onet_landmarks(scene.read_rgb(), scene.boxes, onet)
            if n % 500 == 0:
                print(f"landmarks: {n}/{len(missing)}", flush=True)
        cache.parent.mkdir(parents=True, exist_ok=True)
        np.savez(cache, **known)
    for scene in scenes:
        scene.landmarks = known[scene.key]
