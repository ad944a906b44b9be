"""Decoding and validating media: images, videos (later: cameras, encoders)."""

from .errors import MediaError
from .images import decode_image, read_image
from .video import iter_video_frames, probe_video

__all__ = ["MediaError", "decode_image", "read_image", "iter_video_frames", "probe_video"]
