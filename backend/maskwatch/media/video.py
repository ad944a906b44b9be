"""Video files: probe them and iterate their frames as RGB arrays with timestamps.

A probe trusts no header. The container is first read to its end in a separate ffmpeg process
(imageio-ffmpeg's, packets copied, nothing decoded), which counts the real frames and their time
span and reports the coded size: a huge resolution, a very long video or one without frames is
refused before this process decodes anything, and a crash or a hang on hostile data stays in that
process (killed after `timeout_s`). Only then does OpenCV open the file and decode its first frame.
"""

from __future__ import annotations

import math
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from .errors import MediaError

DEFAULT_MAX_VIDEO_PIXELS = 3840 * 2160
#: A container that claims more frames per second than this is lying (or not a camera's).
MAX_FPS = 240.0
SCAN_TIMEOUT_S = 60.0
#: FFmpeg demuxers of MP4/MOV, Matroska/WebM and AVI.
ACCEPTED_DEMUXERS = "mov,matroska,avi"
#: ftyp (MP4/MOV), RIFF....AVI, EBML (WebM/Matroska)
VIDEO_MAGIC = ((4, b"ftyp"), (0, b"\x1a\x45\xdf\xa3"))
#: ffmpeg's description of the input's video stream: "  Stream #0:0[0x1](und): Video: h264 ..., 640x480 [SAR..."
_INPUT_VIDEO_LINE = re.compile(r"^\s*Stream #0:\d+\S*: Video: (?P<rest>.*)$", re.MULTILINE)
_SIZE = re.compile(r"[ ,](\d{1,6})x(\d{1,6})(?=[ ,\[]|$)")


@dataclass
class VideoInfo:
    width: int
    height: int
    fps: float
    frames: int
    seconds: float = 0.0  # the time span of the frames' timestamps, from the container scan

    @property
    def duration(self) -> float:
        return self.frames / self.fps if self.fps else 0.0


@dataclass
class ContainerScan:
    """What ffmpeg found: the largest video stream's coded size; the first one's packets and time span."""

    width: int
    height: int
    frames: int
    seconds: float


def looks_like_video(head: bytes) -> bool:
    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return True
    return any(head[offset : offset + len(magic)] == magic for offset, magic in VIDEO_MAGIC)


def _progress_value(stdout: str, key: str) -> str | None:
    values = re.findall(rf"^{key}=(\S+)$", stdout, re.MULTILINE)
    return values[-1] if values else None


def scan_container(path: str | Path, timeout_s: float = SCAN_TIMEOUT_S) -> ContainerScan:
    """Read every packet of the first video stream with ffmpeg in its own process, decoding none.

    MediaError corrupt when ffmpeg finds no video stream or cannot read the container, or takes
    longer than timeout_s (default 60 s).
    Example: scan_container("clip.mp4") == ContainerScan(width=640, height=480, frames=300, seconds=9.96)
    """
    import imageio_ffmpeg

    # Only the containers we accept, only local files: a playlist or a reference to another file or URL inside
    # an upload is never followed.
    command = [
        imageio_ffmpeg.get_ffmpeg_exe(),
        "-hide_banner",
        "-nostdin",
        "-threads",
        "1",
        "-protocol_whitelist",
        "file",
        "-format_whitelist",
        ACCEPTED_DEMUXERS,
        "-i",
        str(path),
        "-map",
        "0:v:0",
        "-c",
        "copy",
        "-f",
        "null",
        "-progress",
        "pipe:1",
        "-nostats",
        "-",
    ]
    try:
        done = subprocess.run(command, capture_output=True, timeout=timeout_s)
    except subprocess.TimeoutExpired as exc:
        raise MediaError("corrupt", f"the video could not be read within {timeout_s:.0f} s") from exc
    input_part = done.stderr.decode("utf-8", "replace").split("Stream mapping:", 1)[0]
    streams = [_SIZE.search(" " + line.group("rest")) for line in _INPUT_VIDEO_LINE.finditer(input_part)]
    if not streams:
        raise MediaError("corrupt", "the file holds no video stream")
    stdout = done.stdout.decode("ascii", "replace")
    if done.returncode != 0 or None in streams or _progress_value(stdout, "progress") != "end":
        raise MediaError("corrupt", "the video container is damaged")
    # OpenCV may pick another video stream than the first: the largest one is the one to check
    width, height = max(((int(s.group(1)), int(s.group(2))) for s in streams), key=lambda size: size[0] * size[1])
    frames = _progress_value(stdout, "frame")
    micros = _progress_value(stdout, "out_time_us")
    return ContainerScan(
        width,
        height,
        int(frames) if frames and frames.isdigit() else 0,
        int(micros) / 1e6 if micros and micros.lstrip("-").isdigit() else 0.0,
    )


def _check_size(width: int, height: int, max_pixels: int) -> None:
    if width * height > max_pixels:
        raise MediaError("too_many_pixels", f"the video is {width}x{height}, over the limit of {max_pixels:,} pixels")


def _span(seconds: float) -> str:
    """1.5 -> "1.5 s", 7200 -> "120 min"."""
    return f"{seconds:.1f}".removesuffix(".0") + " s" if seconds < 120 else f"{seconds / 60:.0f} min"


def _check_length(seconds: float, frames: int, max_seconds: float | None) -> None:
    if max_seconds is not None and (seconds > max_seconds or frames > max_seconds * MAX_FPS):
        raise MediaError(
            "too_long", f"the video lasts {_span(seconds)} ({frames:,} frames), over the limit of {_span(max_seconds)}"
        )


def _frame_rate(header_fps: float, scan: ContainerScan) -> float:
    """The header's rate when plausible, else the one the timestamps give, else 25."""
    if 0 < header_fps <= MAX_FPS and math.isfinite(header_fps):
        return header_fps
    measured = (scan.frames - 1) / scan.seconds if scan.seconds > 0 and scan.frames > 1 else 0.0
    return measured if 0 < measured <= MAX_FPS else 25.0


def probe_video(
    path: str | Path, max_pixels: int = DEFAULT_MAX_VIDEO_PIXELS, max_seconds: float | None = None
) -> VideoInfo:
    """Check a video file by content, size, length, and that its first frame decodes; MediaError otherwise.

    Args:
        path: the file.
        max_pixels: larger frames get too_many_pixels, default 3840x2160.
        max_seconds: longer videos get too_long, default None (no limit; the web app sets MAX_VIDEO_SECONDS).
    Codes: not_found, empty, unsupported_type, corrupt (no video stream, no frame), too_many_pixels, too_long.
    Example: probe_video("clip.mp4") == VideoInfo(width=640, height=480, fps=30.0, frames=300, seconds=9.97)
    """
    path = Path(path)
    if not path.is_file():
        raise MediaError("not_found", "no such file")
    with path.open("rb") as f:
        head = f.read(16)
    if not head:
        raise MediaError("empty", "the file is empty")
    if not looks_like_video(head):
        raise MediaError("unsupported_type", "not an MP4, MOV, AVI or WebM video")
    scan = scan_container(path)
    _check_size(scan.width, scan.height, max_pixels)
    _check_length(scan.seconds, scan.frames, max_seconds)
    if scan.frames == 0:
        raise MediaError("corrupt", "the video has no frames")
    capture = cv2.VideoCapture(str(path))
    try:
        if not capture.isOpened():
            raise MediaError("corrupt", "the video has no readable frames")
        # OpenCV's own reading of the header, checked again before it decodes a frame of that size
        _check_size(int(capture.get(cv2.CAP_PROP_FRAME_WIDTH)), int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT)), max_pixels)
        ok, frame = capture.read()
        if not ok or frame is None:
            raise MediaError("corrupt", "the video has no readable frames")
        height, width = frame.shape[:2]
        _check_size(width, height, max_pixels)
        fps = _frame_rate(capture.get(cv2.CAP_PROP_FPS) or 0.0, scan)
        return VideoInfo(width, height, fps, scan.frames, scan.seconds)
    finally:
        capture.release()


def iter_video_frames(
    path: str | Path, every_n: int = 1, info: VideoInfo | None = None, max_seconds: float | None = None
) -> Iterator[tuple[int, float, np.ndarray]]:
    """(frame index, seconds, RGB frame) for every `every_n`-th frame; decoding skips the rest cheaply.

    Args:
        info: the file's probe_video result (default: probe it here).
        max_seconds: stop with MediaError too_long past this much video (a header may lie), default None.
    A frame of another size than the first ends the iteration with MediaError corrupt.
    """
    info = info or probe_video(path, max_seconds=max_seconds)
    max_frames = math.inf if max_seconds is None else math.ceil(max_seconds * info.fps) + 1
    capture = cv2.VideoCapture(str(path))
    try:
        index = 0
        while True:
            if index >= max_frames:
                raise MediaError("too_long", f"the video goes on past the limit of {_span(max_seconds)}")
            if index % every_n == 0:
                ok, frame = capture.read()
                if not ok:
                    break
                if frame.shape[:2] != (info.height, info.width):
                    raise MediaError("corrupt", f"the video changes size at frame {index}")
                yield index, index / info.fps, cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
            elif not capture.grab():
                break
            index += 1
    finally:
        capture.release()
