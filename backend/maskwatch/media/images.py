"""Images checked by content (magic bytes, not the file name), size and pixel count, then decoded."""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import numpy as np
from PIL import Image

from .errors import MediaError

DEFAULT_MAX_BYTES = 25 * 1024 * 1024
#: 40 megapixels: more than any camera frame, far less than a decompression bomb.
DEFAULT_MAX_PIXELS = 40_000_000
IMAGE_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}


def sniff_image_type(data: bytes) -> str | None:
    """MIME type from the first bytes, or None if it is not a JPEG, PNG or WebP."""
    if data[:3] == b"\xff\xd8\xff":
        return "image/jpeg"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "image/png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def decode_image(data: bytes, max_bytes: int = DEFAULT_MAX_BYTES, max_pixels: int = DEFAULT_MAX_PIXELS) -> np.ndarray:
    """RGB uint8 array (H, W, 3) from JPEG/PNG/WebP bytes; MediaError for anything else.

    Example: decode_image(open("photo.jpg", "rb").read()).shape == (720, 1280, 3)
    """
    if not data:
        raise MediaError("empty", "the file is empty")
    if len(data) > max_bytes:
        raise MediaError("too_large", f"the file is {len(data) / 2**20:.1f} MB, over the {max_bytes / 2**20:.0f} MB limit")
    if sniff_image_type(data) is None:
        raise MediaError("unsupported_type", "not a JPEG, PNG or WebP image")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.format not in IMAGE_FORMATS:
                raise MediaError("unsupported_type", f"{image.format} images are not supported")
            width, height = image.size
            if width * height > max_pixels:
                raise MediaError("too_many_pixels", f"the image is {width}x{height} pixels, over the limit of {max_pixels:,}")
            image.load()
            rgb = image.convert("RGB")
    except MediaError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise MediaError("too_many_pixels", f"the image has too many pixels: {exc}") from exc
    except (OSError, ValueError, SyntaxError, Image.UnidentifiedImageError) as exc:
        raise MediaError("corrupt", f"the image is damaged or truncated ({exc})") from exc
    return np.asarray(rgb)


def read_image(path: str | Path, max_bytes: int = DEFAULT_MAX_BYTES, max_pixels: int = DEFAULT_MAX_PIXELS) -> np.ndarray:
    """decode_image of a file, after checking it exists and is not over max_bytes."""
    path = Path(path)
    if not path.is_file():
        raise MediaError("not_found", "no such file")
    size = path.stat().st_size
    if size > max_bytes:
        raise MediaError("too_large", f"the file is {size / 2**20:.1f} MB, over the {max_bytes / 2**20:.0f} MB limit")
    return decode_image(path.read_bytes(), max_bytes, max_pixels)
