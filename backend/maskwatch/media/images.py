"""Images checked by content (magic bytes, not the file name), size and pixel count, then decoded.

Hostile input is refused with a MediaError before it costs memory: the pixel count comes from the
header (Pillow's open reads only that) and is checked before a single pixel is decoded, and only
Pillow's JPEG, PNG and WebP plugins ever see the bytes. Multi-picture files give their first picture:
an MPO (a JPEG with more pictures after it, as phones write depth or gain maps) its primary photo, an
animated PNG or WebP its first frame.
"""

from __future__ import annotations

import io
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from PIL import Image

from .errors import MediaError

DEFAULT_MAX_BYTES = 25 * 1024 * 1024
#: 40 megapixels: more than most camera photos, far less than a decompression bomb. Decoding costs
#: about 10 bytes per pixel for JPEG and PNG and 17 for WebP (Pillow's WebP decoder keeps RGBA canvases),
#: measured with Pillow 13 for a 36 MP picture decoded whole.
DEFAULT_MAX_PIXELS = 40_000_000
#: Pillow format names -> MIME type; MPO is a JPEG with extra pictures appended.
IMAGE_FORMATS = {"JPEG": "image/jpeg", "MPO": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
#: The only Pillow plugins that may parse an upload (MPO comes through the JPEG plugin).
PILLOW_PLUGINS = ("JPEG", "PNG", "WEBP")
#: What Pillow's parsers raise on damaged data (struct.error is unpacking a short header, EOFError
#: running out of frames); anything else is a bug worth a stack trace.
DECODE_ERRORS = (OSError, ValueError, SyntaxError, EOFError, IndexError, KeyError, TypeError)


def sniff_image_type(data: bytes) -> str | None:
    """MIME type from the first bytes, or None if it is not a JPEG, PNG or WebP."""
    if data[:3] == b"\xff\xd8\xff":
        return "image/jpeg"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "image/png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def check_pixels(width: int, height: int, max_pixels: int) -> None:
    """MediaError too_many_pixels when width x height is over max_pixels."""
    if width * height > max_pixels:
        raise MediaError("too_many_pixels", f"the image is {width}x{height} pixels, over the limit of {max_pixels:,}")


def _open_checked(data: bytes, max_bytes: int, max_pixels: int) -> Image.Image:
    """The picture with only its header read, after the checks that need no pixels."""
    if not data:
        raise MediaError("empty", "the file is empty")
    if len(data) > max_bytes:
        raise MediaError(
            "too_large", f"the file is {len(data) / 2**20:.1f} MB, over the {max_bytes / 2**20:.0f} MB limit"
        )
    if sniff_image_type(data) is None:
        raise MediaError("unsupported_type", "not a JPEG, PNG or WebP image")
    with _decode_errors_as_media_errors():
        image = Image.open(io.BytesIO(data), formats=PILLOW_PLUGINS)  # reads the header only
        if image.format not in IMAGE_FORMATS:
            raise MediaError("unsupported_type", f"{image.format} images are not supported")
        check_pixels(*image.size, max_pixels)
        return image


def image_size(
    data: bytes, max_bytes: int = DEFAULT_MAX_BYTES, max_pixels: int = DEFAULT_MAX_PIXELS
) -> tuple[int, int]:
    """(width, height) from the header, with decode_image's checks short of decoding; MediaError as it."""
    return _open_checked(data, max_bytes, max_pixels).size


def decode_image(
    data: bytes, max_bytes: int = DEFAULT_MAX_BYTES, max_pixels: int = DEFAULT_MAX_PIXELS, max_side: int | None = None
) -> np.ndarray:
    """RGB uint8 array (H, W, 3) from JPEG/PNG/WebP bytes; MediaError for anything else.

    Args:
        data: the file's bytes.
        max_bytes: larger inputs get MediaError too_large, default 25 MB.
        max_pixels: images whose header claims more pixels get too_many_pixels, default 40 million.
        max_side: a picture whose longer side is over this comes back scaled down to it; None keeps it.
            A JPEG at least twice too big is decoded at a reduced scale, for a fraction of the memory.
    Codes: empty, too_large, unsupported_type, too_many_pixels, corrupt.
    Example: decode_image(open("photo.jpg", "rb").read()).shape == (720, 1280, 3)
    """
    image = _open_checked(data, max_bytes, max_pixels)
    target = fitted_size(image.size, max_side)
    with _decode_errors_as_media_errors():
        if target != image.size and image.format in ("JPEG", "MPO"):
            image.draft("RGB", target)  # libjpeg scales by 1/2, 1/4 or 1/8 while decoding, never below target
        image.load()  # the first picture or frame only
        if image.mode != "RGB":
            image = image.convert("RGB")
        if image.size != target:  # in Pillow: numpy never holds a full-size copy
            image = image.resize(target, Image.Resampling.BOX)
        return np.asarray(image)


def fitted_size(size: tuple[int, int], max_side: int | None) -> tuple[int, int]:
    """(width, height) scaled so the longer side is at most max_side. Example: fitted_size((8000, 6000), 4000) == (4000, 3000)."""
    width, height = size
    longer = max(width, height)
    if not max_side or longer <= max_side:
        return width, height
    scale = max_side / longer
    return max(1, round(width * scale)), max(1, round(height * scale))


@contextmanager
def _decode_errors_as_media_errors():
    try:
        yield
    except MediaError:
        raise
    except Image.DecompressionBombError as exc:  # Pillow's own, far larger, limit
        raise MediaError("too_many_pixels", f"the image has too many pixels: {exc}") from exc
    except Image.UnidentifiedImageError as exc:
        raise MediaError("corrupt", "the image is damaged: its header cannot be read") from exc
    except DECODE_ERRORS as exc:
        raise MediaError("corrupt", f"the image is damaged or truncated ({exc})") from exc


def read_image(
    path: str | Path, max_bytes: int = DEFAULT_MAX_BYTES, max_pixels: int = DEFAULT_MAX_PIXELS
) -> np.ndarray:
    """decode_image of a file, after checking it exists and is not over max_bytes."""
    path = Path(path)
    if not path.is_file():
        raise MediaError("not_found", "no such file")
    size = path.stat().st_size
    if size > max_bytes:
        raise MediaError("too_large", f"the file is {size / 2**20:.1f} MB, over the {max_bytes / 2**20:.0f} MB limit")
    return decode_image(path.read_bytes(), max_bytes, max_pixels)
