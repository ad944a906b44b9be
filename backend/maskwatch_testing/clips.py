"""The two-face 640x480 frames the benchmarks and the load test send: real fixture faces (skimage's
astronaut, matplotlib's Grace Hopper) drifting on a grey frame, as JPEG frames or as an MP4 clip.

Example: frames = live_frames(30); write_clip(tmp / "clip.mp4", seconds=5)
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np


def heads() -> list[np.ndarray]:
    """The two head patches, 150 px wide (the same pixels in every benchmark since issue 3)."""
    import matplotlib.cbook
    import skimage.data
    from PIL import Image

    with matplotlib.cbook.get_sample_data("grace_hopper.jpg") as f:
        grace = np.asarray(Image.open(f).convert("RGB"))
    patches = [skimage.data.astronaut()[20:230, 130:320], grace[60:400, 120:410]]
    return [cv2.resize(p, (150, round(p.shape[0] * 150 / p.shape[1])), interpolation=cv2.INTER_AREA) for p in patches]


def frame(i: int, patches, size=(480, 640)) -> np.ndarray:
    """Frame i (RGB) of the scene: the patches side by side, moving a few pixels per frame."""
    out = np.full((*size, 3), 128, np.uint8)
    for k, patch in enumerate(patches):
        x, y = 60 + 300 * k + (i * 4) % 60, 120 + (i * 2) % 30
        out[y : y + patch.shape[0], x : x + patch.shape[1]] = patch
    return out


def jpeg(rgb: np.ndarray, quality: int = 80) -> bytes:
    return cv2.imencode(".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, quality])[1].tobytes()


def live_frames(count: int = 30) -> list[bytes]:
    """`count` consecutive frames as JPEG bytes, what a webcam on the live page sends."""
    patches = heads()
    return [jpeg(frame(i, patches)) for i in range(count)]


def write_clip(path: Path, seconds: int, fps: int = 30) -> Path:
    """An MP4 (mp4v) of the scene, 640x480 at `fps`, `seconds` long; returns path."""
    patches = heads()
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (640, 480))
    for i in range(seconds * fps):
        writer.write(cv2.cvtColor(frame(i, patches), cv2.COLOR_RGB2BGR))
    writer.release()
    return path
