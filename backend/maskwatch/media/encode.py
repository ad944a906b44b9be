"""Browser-playable output video: H.264 in MP4 (yuv420p, faststart) through imageio-ffmpeg's own ffmpeg.

OpenCV's pip wheels cannot write H.264; imageio-ffmpeg ships an ffmpeg binary with libx264 in its wheel.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np


class H264Writer:
    """Write RGB frames of one size to an MP4 browsers play.

    Args:
        path: output .mp4 file.
        fps: frames per second, e.g. the source video's.
        size: (width, height) of the frames; odd sides are padded by one pixel (yuv420p needs even).
        crf: x264 quality, default 23 (lower is better and larger).
        preset: x264 speed preset, default "veryfast".
    Example: with H264Writer("out.mp4", 25, (640, 480)) as w: w.write(rgb)
    """

    def __init__(self, path: str | Path, fps: float, size: tuple[int, int], crf: int = 23, preset: str = "veryfast"):
        import imageio_ffmpeg

        self.width, self.height = size
        self.out_size = (self.width + self.width % 2, self.height + self.height % 2)
        self.frames = 0
        self._writer = imageio_ffmpeg.write_frames(
            str(path),
            self.out_size,
            fps=fps,
            codec="libx264",
            pix_fmt_in="rgb24",
            pix_fmt_out="yuv420p",
            quality=None,
            macro_block_size=2,
            ffmpeg_log_level="error",
            output_params=["-crf", str(crf), "-preset", preset, "-movflags", "+faststart", "-threads", "1"],
        )
        self._writer.send(None)

    def write(self, rgb: np.ndarray) -> None:
        if rgb.shape[:2] != (self.height, self.width):
            raise ValueError(f"frame is {rgb.shape[1]}x{rgb.shape[0]}, the video {self.width}x{self.height}")
        if self.out_size != (self.width, self.height):
            rgb = np.pad(
                rgb, ((0, self.out_size[1] - self.height), (0, self.out_size[0] - self.width), (0, 0)), mode="edge"
            )
        self._writer.send(np.ascontiguousarray(rgb, dtype=np.uint8))
        self.frames += 1

    def close(self) -> None:
        self._writer.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
