"""Decoding and validating media: images, videos (later: cameras, encoders)."""

from .errors import MediaError
from .images import decode_image, image_size, read_image
from .pixel_budget import PixelBudget
from .video import iter_video_frames, probe_video

__all__ = ["MediaError", "PixelBudget", "decode_image", "image_size", "read_image", "iter_video_frames", "probe_video"]
