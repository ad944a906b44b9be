"""Hypothesis settings and strategies shared by the fuzz tests (tests/test_fuzz_media.py,
tests/web/test_fuzz_api.py) and benchmarks/fuzz.py.

Two profiles, chosen by HYPOTHESIS_PROFILE:
- "ci" (default): a moderate number of examples, derandomized (the same inputs every run, so CI is
  deterministic), no example database;
- "long": HYPOTHESIS_LONG_FACTOR (default 50) times more examples, random, failures kept in
  build/hypothesis so a rerun tries them first.

Example:
    @fuzz(examples=40)
    @given(data=mutated_bytes())
    def test_x(data): ...
"""

from __future__ import annotations

import io
import os

import numpy as np
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.database import DirectoryBasedExampleDatabase
from PIL import Image

from maskwatch.paths import REPO_ROOT

#: Every reason a decoder may give (maskwatch.media.MediaError.code).
MEDIA_ERROR_CODES = {"not_found", "empty", "too_large", "unsupported_type", "corrupt", "too_many_pixels", "too_long"}
_QUIET = [
    HealthCheck.too_slow,
    HealthCheck.data_too_large,
    HealthCheck.function_scoped_fixture,
    HealthCheck.filter_too_much,
]

settings.register_profile(
    "ci", deadline=None, derandomize=True, database=None, print_blob=True, suppress_health_check=_QUIET
)
settings.register_profile(
    "long",
    deadline=None,
    derandomize=False,
    print_blob=True,
    suppress_health_check=_QUIET,
    database=DirectoryBasedExampleDatabase(str(REPO_ROOT / "build" / "hypothesis")),
)
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")
LONG_FACTOR = int(os.environ.get("HYPOTHESIS_LONG_FACTOR", "50"))


def fuzz(examples: int) -> settings:
    """Settings of the active profile with `examples` examples (times LONG_FACTOR in the long profile)."""
    profile = settings.get_profile(PROFILE if PROFILE in ("ci", "long") else "ci")
    return settings(profile, max_examples=examples * (LONG_FACTOR if PROFILE == "long" else 1))


# --- seeds: small real files of each format ------------------------------------------------------


def gradient(width: int = 32, height: int = 24) -> np.ndarray:
    y, x = np.mgrid[0:height, 0:width]
    return np.stack([x * 8 % 256, y * 10 % 256, (x * y) % 256], -1).astype(np.uint8)


def _save(image: Image.Image, fmt: str, **params) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format=fmt, **params)
    return buf.getvalue()


def _exif(tags: dict) -> Image.Exif:
    exif = Image.Exif()
    exif.update(tags)
    return exif


def image_seeds() -> dict[str, bytes]:
    """Real JPEG, PNG, WebP files in the variants the decoders take different paths for."""
    rgb = Image.fromarray(gradient())
    second = Image.fromarray(gradient()[::-1].copy())
    return {
        "jpeg": _save(rgb, "JPEG", quality=80),
        "jpeg_progressive": _save(rgb, "JPEG", progressive=True),
        "jpeg_exif": _save(rgb, "JPEG", exif=_exif({0x0112: 6, 0x010F: "fuzz"})),
        "mpo": _save(rgb, "MPO", save_all=True, append_images=[second]),
        "png": _save(rgb, "PNG"),
        "png_palette": _save(rgb.convert("P"), "PNG"),
        "png_16bit": _save(Image.fromarray(gradient()[..., 0].astype(np.uint16) * 257), "PNG"),
        "apng": _save(rgb, "PNG", save_all=True, append_images=[second]),
        "webp": _save(rgb, "WEBP", quality=60),
        "webp_lossless": _save(rgb, "WEBP", lossless=True),
        "webp_animated": _save(rgb, "WEBP", save_all=True, append_images=[second]),
    }


IMAGE_MAGIC = [
    b"\xff\xd8\xff",
    b"\xff\xd8\xff\xe0\x00\x10JFIF\x00",
    b"\x89PNG\r\n\x1a\n",
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR",
    b"RIFF\x00\x00\x00\x00WEBPVP8 ",
    b"RIFF\xff\xff\xff\xffWEBPVP8X",
    b"RIFF\x10\x00\x00\x00WEBPVP8L",
]
VIDEO_MAGIC = [
    b"\x00\x00\x00\x18ftypmp42",
    b"\x00\x00\x00\x20ftypisom",
    b"\x1a\x45\xdf\xa3",
    b"RIFF\x00\x00\x00\x00AVI ",
]

#: Values that break length and size fields more often than random ones do.
_SPECIAL = [
    b"\x00",
    b"\xff",
    b"\x00\x00\x00\x00",
    b"\xff\xff\xff\xff",
    b"\x7f\xff\xff\xff",
    b"\x80\x00\x00\x00",
    b"\x00\x00\xff\xff",
    b"\xff\xd9",
    b"\xff\xd8",
    b"IEND",
    b"IDAT",
    b"VP8X",
    b"moov",
    b"mdat",
]


def mutate(seed: bytes, edits: list[tuple[str, int, bytes]]) -> bytes:
    data = bytearray(seed)
    for op, where, chunk in edits:
        at = where % (len(data) + 1)
        if op == "overwrite":
            data[at : at + len(chunk)] = chunk
        elif op == "insert":
            data[at:at] = chunk
        elif op == "delete":
            del data[at : at + 1 + len(chunk) * 8]
        elif op == "truncate":
            del data[at:]
        elif op == "flip" and data:
            data[at % len(data)] ^= 1 << (chunk[0] % 8 if chunk else 0)
    return bytes(data)


def edits() -> st.SearchStrategy[list[tuple[str, int, bytes]]]:
    """A few byte-level edits: overwrite, insert, delete, truncate, bit flip; at any offset."""
    chunk = st.one_of(st.binary(min_size=1, max_size=16), st.sampled_from(_SPECIAL))
    edit = st.tuples(
        st.sampled_from(["overwrite", "insert", "delete", "truncate", "flip"]), st.integers(0, 1 << 20), chunk
    )
    return st.lists(edit, min_size=1, max_size=6)


def mutated_bytes(seeds: dict[str, bytes] | list[bytes]) -> st.SearchStrategy[bytes]:
    """A seed with a few edits (sometimes the seed itself)."""
    values = list(seeds.values()) if isinstance(seeds, dict) else list(seeds)
    return st.builds(mutate, st.sampled_from(values), st.one_of(st.just([]), edits()))


def magic_then_noise(magics: list[bytes]) -> st.SearchStrategy[bytes]:
    """Right magic bytes, then anything: the sniffing passes, the parser gets garbage."""
    return st.builds(lambda m, tail: m + tail, st.sampled_from(magics), st.binary(max_size=2048))


def any_image_bytes() -> st.SearchStrategy[bytes]:
    return st.one_of(st.binary(max_size=2048), magic_then_noise(IMAGE_MAGIC), mutated_bytes(image_seeds()))


def socket_values() -> st.SearchStrategy:
    """Anything a Socket.IO client can send as an event argument (JSON values and bytes, nested)."""
    leaves = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(allow_nan=False),
        st.text(max_size=64),
        st.binary(max_size=256),
        st.sampled_from(["data:image/jpeg;base64,", "data:,@@", "////"]),
    )
    return st.recursive(
        leaves,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4), st.dictionaries(st.sampled_from(["image", "x", ""]), inner, max_size=3)
        ),
        max_leaves=8,
    )
