"""Fuzzing the decoders with hypothesis: on any bytes they give a frame or a MediaError, nothing else.

Short and deterministic in CI (maskwatch_testing.fuzzing, profile "ci"); benchmarks/fuzz.py runs the long profile.
"""

from __future__ import annotations

import subprocess

import cv2
import imageio_ffmpeg
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from maskwatch.media import MediaError, decode_image, iter_video_frames, probe_video
from maskwatch.media.video import DEFAULT_MAX_VIDEO_PIXELS, MAX_FPS
from maskwatch.web.live import frame_bytes
from maskwatch_testing.fuzzing import (
    MEDIA_ERROR_CODES,
    VIDEO_MAGIC,
    any_image_bytes,
    edits,
    fuzz,
    gradient,
    magic_then_noise,
    mutate,
    mutated_bytes,
    socket_values,
)

MAX_PIXELS = 1_000_000  # small enough that a fuzzed header claiming more is refused, not decoded


def assert_frame_or_media_error(decode, *args):
    """decode(*args) is an RGB uint8 frame within MAX_PIXELS, or raises MediaError with a known code."""
    try:
        rgb = decode(*args)
    except MediaError as exc:
        assert exc.code in MEDIA_ERROR_CODES and exc.message
        return exc.code
    assert rgb.dtype == np.uint8 and rgb.ndim == 3 and rgb.shape[2] == 3
    assert 0 < rgb.shape[0] * rgb.shape[1] <= MAX_PIXELS
    return "ok"


@fuzz(examples=150)
@given(data=any_image_bytes())
def test_decode_image_gives_a_frame_or_a_media_error(data):
    assert_frame_or_media_error(decode_image, data, 2**20, MAX_PIXELS)


@fuzz(examples=40)
@given(data=mutated_bytes({"seed": b""}) | st.binary(max_size=64))
def test_tiny_inputs(data):
    assert_frame_or_media_error(decode_image, data, 2**20, MAX_PIXELS)


@fuzz(examples=80)
@given(message=socket_values())
def test_frame_bytes_gives_bytes_or_a_media_error(message):
    try:
        data = frame_bytes(message, max_bytes=4096)
    except MediaError as exc:
        assert exc.code in {"empty", "corrupt", "too_large"} and exc.message
        return
    assert isinstance(data, bytes) and len(data) <= 4096


# --- videos: mutated real files written to disk --------------------------------------------------


def ffmpeg_clip(path, *codec: str) -> bytes:
    subprocess.run(
        [
            imageio_ffmpeg.get_ffmpeg_exe(),
            "-hide_banner",
            "-loglevel",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            "testsrc=s=32x24:r=5:d=1",
            *codec,
            str(path),
        ],
        check=True,
    )
    return path.read_bytes()


@pytest.fixture(scope="module")
def video_seeds(tmp_path_factory) -> list[bytes]:
    """1 s, 32x24, 5 fps: H.264 MP4, MPEG-4 MP4 (as OpenCV writes), MJPEG AVI, VP8 WebM."""
    folder = tmp_path_factory.mktemp("seeds")
    avi = folder / "cv.avi"
    writer = cv2.VideoWriter(str(avi), cv2.VideoWriter_fourcc(*"MJPG"), 5, (32, 24))
    for i in range(5):
        writer.write(np.roll(gradient(), i, axis=1))
    writer.release()
    return [
        ffmpeg_clip(folder / "a.mp4", "-c:v", "libx264", "-preset", "ultrafast"),
        ffmpeg_clip(folder / "b.mp4", "-c:v", "mpeg4"),
        ffmpeg_clip(folder / "c.webm", "-c:v", "libvpx", "-b:v", "50k"),
        avi.read_bytes(),
    ]


def probe_and_read(path) -> str:
    """probe_video, then the first frames; a frame must have the probed size."""
    info = probe_video(path, max_seconds=60)
    assert info.width * info.height <= DEFAULT_MAX_VIDEO_PIXELS and info.frames > 0 and 0 < info.fps <= MAX_FPS
    for index, _, rgb in iter_video_frames(path, info=info, max_seconds=60):
        assert rgb.shape == (info.height, info.width, 3)
        if index >= 3:
            break
    return "ok"


@fuzz(examples=30)
@given(seed=st.integers(0, 3), changes=st.one_of(st.just([]), edits()))
def test_probe_video_on_mutated_videos(video_seeds, tmp_path, seed, changes):
    path = tmp_path / "upload.video"
    path.write_bytes(mutate(video_seeds[seed], changes))
    try:
        probe_and_read(path)
    except MediaError as exc:
        assert exc.code in MEDIA_ERROR_CODES and exc.message


@fuzz(examples=15)
@given(data=magic_then_noise(VIDEO_MAGIC) | st.binary(max_size=512))
def test_probe_video_on_noise(tmp_path, data):
    path = tmp_path / "noise.video"
    path.write_bytes(data)
    with pytest.raises(MediaError) as caught:
        probe_video(path)
    assert caught.value.code in {"empty", "unsupported_type", "corrupt"}
