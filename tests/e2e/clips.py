"""Media the browser tests feed the app: a Y4M clip for Chromium's fake camera and a short MP4."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from maskwatch_testing.frames import FRAME_SIZE, scene


def write_y4m(path: Path, frames: list[np.ndarray], fps: int = 10) -> Path:
    """A YUV4MPEG2 file: a text header, then per frame "FRAME\\n" and the I420 planes (Y, U, V).

    Chromium's --use-file-for-fake-video-capture plays it as the camera, looping at the end.
    """
    height, width = frames[0].shape[:2]
    with Path(path).open("wb") as out:
        out.write(f"YUV4MPEG2 W{width} H{height} F{fps}:1 Ip A1:1 C420jpeg\n".encode("ascii"))
        for rgb in frames:
            out.write(b"FRAME\n")
            out.write(cv2.cvtColor(rgb, cv2.COLOR_RGB2YUV_I420).tobytes())
    return Path(path)


def write_mp4(path: Path, frames: list[np.ndarray], fps: int = 10) -> Path:
    height, width = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (width, height))
    for rgb in frames:
        writer.write(cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    writer.release()
    return Path(path)


def unmasked_then_masked(
    bare: np.ndarray, masked: np.ndarray, seconds: float = 4.0, gap_s: float = 3.0, fps: int = 10
) -> list[np.ndarray]:
    """The same head bare for `seconds`, nobody for `gap_s` (the track ends), then masked for `seconds`."""
    n, gap = round(seconds * fps), round(gap_s * fps)
    x, y = (FRAME_SIZE[1] - bare.shape[1]) // 2, (FRAME_SIZE[0] - bare.shape[0]) // 2
    return (
        [scene([(bare, x + (i % 3), y)]) for i in range(n)]
        + [scene([]) for _ in range(gap)]
        + [scene([(masked, x + (i % 3), y)]) for i in range(n)]
    )
