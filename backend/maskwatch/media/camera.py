"""IP cameras read with OpenCV: RTSP, HTTP MJPEG, or (for tests and demos) a video file played in real time.

A `CameraStream` yields RGB frames and raises `CameraError` when the stream cannot be opened or drops;
reconnecting is the caller's business (the camera worker backs off and retries).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np

from .urls import mask_text

#: How long OpenCV's FFmpeg backend waits to open a stream or for the next packet before giving up.
OPEN_TIMEOUT_MS = 5000
READ_TIMEOUT_MS = 5000


class CameraError(Exception):
    """The stream would not open or stopped giving frames; the message never holds the password."""


def file_path(url: str) -> Path | None:
    """The local path of a file:// URL (or a bare path), None for network URLs."""
    if url.startswith("file://"):
        return Path(url[len("file://") :])
    if "://" not in url:
        return Path(url)
    return None


class CameraStream:
    """One open stream. Files are paced to their frame rate so they behave like a live camera.

    Args:
        url: rtsp://, http(s):// (MJPEG) or file:// URL.
        open_timeout_ms / read_timeout_ms: FFmpeg timeouts, default 5000 each.
    Example:
        with CameraStream("rtsp://user:pw@cam/stream") as stream:
            for seconds, rgb in stream.frames(): ...
    """

    def __init__(self, url: str, open_timeout_ms: int = OPEN_TIMEOUT_MS, read_timeout_ms: int = READ_TIMEOUT_MS):
        self.url = url
        self.path = file_path(url)
        self.capture: cv2.VideoCapture | None = None
        self.open_timeout_ms, self.read_timeout_ms = open_timeout_ms, read_timeout_ms
        self.fps = 0.0

    def open(self) -> CameraStream:
        if self.path is not None and not self.path.is_file():
            raise CameraError(f"no such file: {self.path.name}")
        source = str(self.path) if self.path is not None else self.url
        if self.url.startswith("rtsp://"):
            # TCP: UDP over lossy networks gives grey smeared frames and no error.
            os.environ.setdefault("OPENCV_FFMPEG_CAPTURE_OPTIONS", "rtsp_transport;tcp")
        params = [
            cv2.CAP_PROP_OPEN_TIMEOUT_MSEC,
            self.open_timeout_ms,
            cv2.CAP_PROP_READ_TIMEOUT_MSEC,
            self.read_timeout_ms,
        ]
        capture = cv2.VideoCapture(source, cv2.CAP_FFMPEG, params)
        if not capture.isOpened():
            capture.release()
            raise CameraError(mask_text(f"could not open {self.url}", self.url))
        self.capture = capture
        fps = capture.get(cv2.CAP_PROP_FPS) or 0.0
        self.fps = fps if 0 < fps < 240 else 25.0
        return self

    def frames(self) -> Iterator[tuple[float, np.ndarray]]:
        """(seconds since open, RGB frame) until the stream ends or drops (then CameraError)."""
        if self.capture is None:
            self.open()
        started = time.monotonic()
        index = 0
        while True:
            ok, frame = self.capture.read()
            if not ok or frame is None:
                raise CameraError("the stream ended" if self.path is not None else "the stream dropped (no frame)")
            if self.path is not None:  # a file: wait until this frame's time, like a live camera
                delay = started + index / self.fps - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
            index += 1
            yield time.monotonic() - started, cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)

    def close(self) -> None:
        if self.capture is not None:
            self.capture.release()
            self.capture = None

    def __enter__(self):
        return self.open()

    def __exit__(self, *exc):
        self.close()
