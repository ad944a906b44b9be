"""Video files: probe them and iterate their frames as RGB arrays with timestamps."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import cv2
import numpy as np

from .errors import MediaError

DEFAULT_MAX_VIDEO_PIXELS = 3840 * 2160
#: ftyp (MP4/MOV), RIFF....AVI, EBML (WebM/Matroska)
VIDEO_MAGIC = ((4, b"ftyp"), (0, b"\x1a\x45\xdf\xa3"))


@dataclass
class VideoInfo:
    width: int
    height: int
    fps: float
    frames: int

    @property
    def duration(self) -> float:
        return self.frames / self.fps if self.fps else 0.0


def looks_like_video(head: bytes) -> bool:
    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return True
    return any(head[offset:offset + len(magic)] == magic for offset, magic in VIDEO_MAGIC)


def probe_video(path: str | Path, max_pixels: int = DEFAULT_MAX_VIDEO_PIXELS) -> VideoInfo:
    """Check a video file by content and that it decodes; MediaError otherwise."""
    path = Path(path)
    if not path.is_file():
        raise MediaError("not_found", "no such file")
    with path.open("rb") as f:
        head = f.read(16)
    if not head:
        raise MediaError("empty", "the file is empty")
    if not looks_like_video(head):
        raise MediaError("unsupported_type", "not an MP4, MOV, AVI or WebM video")
    capture = cv2.VideoCapture(str(path))
    try:
        ok, frame = capture.read() if capture.isOpened() else (False, None)
        if not ok or frame is None:
            raise MediaError("corrupt", "the video has no readable frames")
        height, width = frame.shape[:2]
        if width * height > max_pixels:
            raise MediaError("too_many_pixels", f"the video is {width}x{height}, over the limit of {max_pixels:,} pixels")
        fps = capture.get(cv2.CAP_PROP_FPS) or 0.0
        frames = int(capture.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
        return VideoInfo(width, height, fps if 0 < fps < 1000 else 25.0, max(frames, 1))
    finally:
        capture.release()


def iter_video_frames(path: str | Path, every_n: int = 1) -> Iterator[tuple[int, float, np.ndarray]]:
    """(frame index, seconds, RGB frame) for every `every_n`-th frame; decoding skips the rest cheaply."""
    info = probe_video(path)
    capture = cv2.VideoCapture(str(path))
    try:
        index = 0
        while True:
            if index % every_n == 0:
                ok, frame = capture.read()
                if not ok:
                    break
                yield index, index / info.fps, cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
            elif not capture.grab():
                break
            index += 1
    finally:
        capture.release()
