import cv2
import numpy as np
import pytest

from maskwatch.media import MediaError, decode_image, image_size, probe_video, read_image
from maskwatch.media.images import fitted_size

from .conftest import encode


def png_header_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims a huge canvas: a decompression bomb in a few bytes."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_decodes_supported_formats(astronaut, fmt):
    image = decode_image(encode(astronaut, fmt))
    assert image.shape == astronaut.shape and image.dtype == np.uint8


def test_decoded_pixels_are_rgb(astronaut):
    decoded = decode_image(encode(astronaut, "PNG"))
    assert np.array_equal(decoded, astronaut)


@pytest.mark.parametrize(
    "data, code",
    [
        (b"", "empty"),
        (b"hello, this is text pretending to be a photo", "unsupported_type"),
        (b"GIF89a" + b"\0" * 100, "unsupported_type"),
        (png_header_claiming(30000, 30000), "too_many_pixels"),
    ],
)
def test_rejects_bad_bytes_with_a_reason(data, code):
    with pytest.raises(MediaError) as info:
        decode_image(data)
    assert info.value.code == code
    assert info.value.message


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_a_picture_over_max_side_comes_back_scaled_down(astronaut, fmt):
    wide = cv2.resize(astronaut, (2000, 1000), interpolation=cv2.INTER_LINEAR)
    data = encode(wide, fmt)
    assert image_size(data) == (2000, 1000)
    scaled = decode_image(data, max_side=600)
    assert scaled.shape == (300, 600, 3)
    reference = cv2.resize(wide, (600, 300), interpolation=cv2.INTER_AREA)
    assert np.abs(scaled.astype(int) - reference).mean() < 6  # the same picture, not just the same size
    assert decode_image(data, max_side=2000).shape == (1000, 2000, 3)  # not over: whole


def test_fitted_size_keeps_the_aspect_and_never_enlarges():
    assert fitted_size((8000, 6000), 4000) == (4000, 3000)
    assert fitted_size((1000, 3000), 1500) == (500, 1500)
    assert fitted_size((640, 480), 4000) == (640, 480)
    assert fitted_size((640, 480), None) == (640, 480)


def test_image_size_checks_like_decode_image():
    with pytest.raises(MediaError) as info:
        image_size(png_header_claiming(30000, 30000))
    assert info.value.code == "too_many_pixels"


def test_rejects_truncated_jpeg(astronaut):
    data = encode(astronaut, "JPEG")
    with pytest.raises(MediaError) as info:
        decode_image(data[: len(data) // 2])
    assert info.value.code == "corrupt"


def test_rejects_oversized_file(astronaut):
    with pytest.raises(MediaError) as info:
        decode_image(encode(astronaut, "PNG"), max_bytes=10_000)
    assert info.value.code == "too_large" and "MB" in info.value.message


def test_content_not_name_decides(tmp_path, astronaut):
    disguised = tmp_path / "photo.txt"
    disguised.write_bytes(encode(astronaut, "PNG"))
    assert read_image(disguised).shape == astronaut.shape
    fake = tmp_path / "photo.jpg"
    fake.write_text("not an image")
    with pytest.raises(MediaError, match="not a JPEG"):
        read_image(fake)


def test_missing_file(tmp_path):
    with pytest.raises(MediaError) as info:
        read_image(tmp_path / "nope.jpg")
    assert info.value.code == "not_found"


def test_video_probe_rejects_non_videos(tmp_path, astronaut):
    fake = tmp_path / "clip.mp4"
    fake.write_bytes(encode(astronaut, "JPEG"))
    with pytest.raises(MediaError) as info:
        probe_video(fake)
    assert info.value.code == "unsupported_type"


def test_video_frames_round_trip(tmp_path, astronaut):
    import cv2

    from maskwatch.media import iter_video_frames

    path = tmp_path / "clip.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10, (256, 256))
    for _ in range(12):
        writer.write(cv2.cvtColor(cv2.resize(astronaut, (256, 256)), cv2.COLOR_RGB2BGR))
    writer.release()
    info = probe_video(path)
    assert (info.width, info.height, info.frames) == (256, 256, 12)
    frames = list(iter_video_frames(path, every_n=3))
    assert [index for index, _, _ in frames] == [0, 3, 6, 9]
    assert frames[1][1] == pytest.approx(0.3)
    assert frames[0][2].shape == (256, 256, 3)
