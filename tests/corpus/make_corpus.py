"""Write the regression corpus: small hostile or broken files, each with the answer it must get.

    .venv/bin/python tests/corpus/make_corpus.py      # rewrites tests/corpus/files/ and manifest.json

Every file is a few KB at most. manifest.json lists, per file: kind (image or video), the MediaError
code the decoder gives ("ok" when it decodes), the HTTP status of its upload, and why it is here.
"regression" marks inputs that once broke something (found by fuzzing or schemathesis).
tests/web/test_hostile_input.py feeds each one through the decoders, the upload routes and /live.
"""

from __future__ import annotations

import io
import json
import struct
import subprocess
import zipfile
import zlib
from pathlib import Path

import numpy as np
from PIL import Image

HERE = Path(__file__).resolve().parent
FILES = HERE / "files"


def picture(width: int = 64, height: int = 48) -> np.ndarray:
    """A smooth RGB gradient (compresses well, decodes the same everywhere)."""
    y, x = np.mgrid[0:height, 0:width]
    return np.stack([x * 255 // max(1, width - 1), y * 255 // max(1, height - 1), (x + y) % 256], -1).astype(np.uint8)


def encode(image, fmt: str, **params) -> bytes:
    buf = io.BytesIO()
    (image if isinstance(image, Image.Image) else Image.fromarray(image)).save(buf, format=fmt, **params)
    return buf.getvalue()


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_claiming(width: int, height: int) -> bytes:
    """A valid-looking PNG header over a few bytes of data: a decompression bomb."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", ihdr)
        + png_chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + png_chunk(b"IEND", b"")
    )


def jpeg_claiming(width: int, height: int) -> bytes:
    """A small real JPEG whose frame header (SOF0) says width x height."""
    data = bytearray(encode(picture(), "JPEG", quality=50))
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def webp_canvas(width: int, height: int) -> bytes:
    """An animated WebP whose extended header (VP8X) claims a width x height canvas."""
    frames = [Image.fromarray(picture(16, 16)), Image.fromarray(255 - picture(16, 16))]
    data = bytearray(encode(frames[0], "WEBP", save_all=True, append_images=frames[1:], lossless=True))
    vp8x = data.index(b"VP8X")
    data[vp8x + 12 : vp8x + 15] = (width - 1).to_bytes(3, "little")
    data[vp8x + 15 : vp8x + 18] = (height - 1).to_bytes(3, "little")
    return bytes(data)


def png_with_ztxt_bomb() -> bytes:
    """A real PNG with a compressed text chunk that inflates to 2 MB (over Pillow's 1 MB text limit)."""
    png = encode(picture(), "PNG")
    bomb = png_chunk(b"zTXt", b"comment\0\0" + zlib.compress(b"A" * 2_000_000, 9))
    return png[:33] + bomb + png[33:]  # right after IHDR


def multi(fmt: str) -> bytes:
    frames = [Image.fromarray(picture()), Image.fromarray(picture()[::-1].copy())]
    return encode(frames[0], fmt, save_all=True, append_images=frames[1:])


def images() -> list[tuple[str, bytes, str, int, str]]:
    """(file name, bytes, decoder code, upload status, why)."""
    jpeg, png, webp = encode(picture(), "JPEG"), encode(picture(), "PNG"), encode(picture(), "WEBP")
    zip_file = io.BytesIO()
    with zipfile.ZipFile(zip_file, "w") as z:
        z.writestr("payload.html", "<script>alert(1)</script>")
    return [
        ("empty.jpg", b"", "empty", 400, "zero bytes"),
        ("text.jpg", b"just some text, named like a photo\n", "unsupported_type", 415, "wrong extension: text"),
        ("gif_named.jpg", encode(picture(), "GIF"), "unsupported_type", 415, "a GIF renamed .jpg: content decides"),
        ("bmp_named.jpg", encode(picture(16, 12), "BMP"), "unsupported_type", 415, "a BMP renamed .jpg"),
        ("tiff_named.jpg", encode(picture(16, 12), "TIFF"), "unsupported_type", 415, "a TIFF renamed .jpg"),
        (
            "svg_named.jpg",
            b'<svg xmlns="http://www.w3.org/2000/svg" width="100000" height="100000"><script>alert(1)</script></svg>',
            "unsupported_type",
            415,
            "an SVG (with script) renamed .jpg",
        ),
        (
            "html_after_jpeg_magic.jpg",
            b"\xff\xd8\xff<html><script>alert(1)</script></html>",
            "corrupt",
            400,
            "polyglot: JPEG magic bytes, then HTML",
        ),
        (
            "jpeg_then_zip.jpg",
            jpeg + zip_file.getvalue(),
            "ok",
            200,
            "polyglot: a whole JPEG with a ZIP appended; only its pixels are used, the rest is never stored",
        ),
        ("png_claims_100000x100000.png", png_claiming(100_000, 100_000), "too_many_pixels", 413, "decompression bomb"),
        ("png_claims_2147483647x1.png", png_claiming(2**31 - 1, 1), "too_many_pixels", 413, "giant width"),
        (
            "png_claims_7000x7000.png",
            png_claiming(7000, 7000),
            "too_many_pixels",
            413,
            "49 MP: under Pillow's own bomb limit, refused by ours from the header",
        ),
        (
            "jpeg_claims_65535x65535.jpg",
            jpeg_claiming(65535, 65535),
            "too_many_pixels",
            413,
            "JPEG SOF with huge dimensions",
        ),
        (
            "jpeg_claims_8000x6000.jpg",
            jpeg_claiming(8000, 6000),
            "too_many_pixels",
            413,
            "48 MP JPEG header over 2 KB of data: refused before decoding",
        ),
        (
            "webp_canvas_16383x16383.webp",
            webp_canvas(16383, 16383),
            "too_many_pixels",
            413,
            "animated WebP canvas bomb",
        ),
        (
            "webp_canvas_7000x7000.webp",
            webp_canvas(7000, 7000),
            "too_many_pixels",
            413,
            "WebP canvas under Pillow's limit; decoding would take 1.1 GB",
        ),
        ("png_ztxt_bomb.png", png_with_ztxt_bomb(), "corrupt", 400, "zTXt chunk inflating to 2 MB"),
        ("jpeg_truncated.jpg", jpeg[: len(jpeg) // 2], "corrupt", 400, "truncated"),
        ("png_truncated.png", png[: len(png) // 2], "corrupt", 400, "truncated"),
        ("webp_truncated.webp", webp[: len(webp) // 2], "corrupt", 400, "truncated"),
        ("png_signature_only.png", png[:8], "corrupt", 400, "nothing after the magic bytes"),
        ("png_zero_size.png", png_claiming(0, 0), "corrupt", 400, "0x0 pixels"),
        (
            "mpo_two_pictures.jpg",
            multi("MPO"),
            "ok",
            200,
            "regression: a JPEG with a second picture (MPO, as phones write) was refused with 415",
        ),
        ("apng_two_frames.png", multi("PNG"), "ok", 200, "animated PNG: its first frame is used"),
        ("webp_animated.webp", multi("WEBP"), "ok", 200, "animated WebP: its first frame is used"),
        (
            "png_16bit_gray.png",
            encode((picture()[..., 0].astype(np.uint16) * 257), "PNG"),
            "ok",
            200,
            "16-bit greyscale",
        ),
        ("jpeg_cmyk.jpg", encode(Image.fromarray(picture()).convert("CMYK"), "JPEG"), "ok", 200, "CMYK JPEG"),
        (
            "webp_1x1.webp",
            encode(picture(1, 1), "WEBP", lossless=True),
            "ok",
            200,
            "regression: an image smaller than the smallest face made MTCNN fail (500); found by schemathesis",
        ),
        (
            "png_banner_600x20.png",
            encode(picture(600, 20), "PNG"),
            "ok",
            200,
            "regression: the same 500 for any image less tall than MIN_FACE_SIZE",
        ),
    ]


def ffmpeg(*args: str, out: Path) -> bytes:
    import imageio_ffmpeg

    subprocess.run(
        [
            imageio_ffmpeg.get_ffmpeg_exe(),
            "-hide_banner",
            "-loglevel",
            "error",
            "-y",
            *args,
            "-fflags",
            "+bitexact",
            "-map_metadata",
            "-1",
            str(out),
        ],
        check=True,
    )
    data = out.read_bytes()
    out.unlink()
    return data


HLS_PLAYLIST = b"#EXTM3U\n#EXT-X-MEDIA-SEQUENCE:0\n#EXTINF:10.0,\nfile:///etc/passwd\n#EXT-X-ENDLIST\n"


def garbage_frames(mp4: bytes) -> bytes:
    """The same container with every frame's bytes replaced: it opens, nothing decodes."""
    data = bytearray(mp4)
    mdat = data.index(b"mdat")
    size = struct.unpack(">I", data[mdat - 4 : mdat])[0]
    data[mdat + 4 : mdat - 4 + size] = b"\x5a" * (size - 8)
    return bytes(data)


def lying_avi(avi: bytes) -> bytes:
    """An MJPEG AVI of 20 frames at 10 fps whose headers claim a million fps and 2^31 frames."""
    data = bytearray(avi)
    avih = data.index(b"avih")
    data[avih + 8 : avih + 12] = struct.pack("<I", 1)  # microseconds per frame
    data[avih + 24 : avih + 28] = struct.pack("<I", 0xFFFFFFFF)  # total frames
    strh = data.index(b"strh")
    data[strh + 28 : strh + 36] = struct.pack("<II", 1, 1_000_000)  # scale, rate: 1e6 fps
    data[strh + 40 : strh + 44] = struct.pack("<I", 0x7FFFFFFF)  # length
    return bytes(data)


def videos(work: Path) -> list[tuple[str, bytes, str, int, str]]:
    gray = ["-f", "lavfi", "-i", "color=gray:s=64x48:r=10:d=1"]
    mp4 = ffmpeg(*gray, "-c:v", "libx264", "-preset", "ultrafast", out=work / "a.mp4")
    avi = ffmpeg("-f", "lavfi", "-i", "color=gray:s=64x48:r=10:d=2", "-c:v", "mjpeg", "-q:v", "31", out=work / "a.avi")
    huge = ffmpeg(
        "-f",
        "lavfi",
        "-i",
        "color=black:s=4096x4096:r=1:d=1",
        "-frames:v",
        "1",
        "-c:v",
        "libx265",
        "-preset",
        "ultrafast",
        "-x265-params",
        "log-level=error",
        "-tag:v",
        "hvc1",
        out=work / "d.mp4",
    )
    (work / "small.mp4").write_bytes(mp4)
    (work / "huge.mp4").write_bytes(huge)
    two_streams = ffmpeg(
        "-i",
        str(work / "small.mp4"),
        "-i",
        str(work / "huge.mp4"),
        "-map",
        "0:v",
        "-map",
        "1:v",
        "-c",
        "copy",
        out=work / "f.mp4",
    )
    (work / "small.mp4").unlink()
    (work / "huge.mp4").unlink()
    return [
        ("video_empty.mp4", b"", "empty", 400, "zero bytes"),
        ("video_text.mp4", b"not a video, just text\n", "unsupported_type", 415, "not a video"),
        ("video_is_a_jpeg.mp4", encode(picture(), "JPEG"), "unsupported_type", 415, "a picture renamed .mp4"),
        (
            "video_hls_playlist.mp4",
            HLS_PLAYLIST,
            "unsupported_type",
            415,
            "an HLS playlist naming a local file (the classic ffmpeg file-read attack) renamed .mp4",
        ),
        (
            "video_ftyp_then_hls_playlist.mp4",
            b"\x00\x00\x00\x18ftypmp42" + HLS_PLAYLIST,
            "corrupt",
            400,
            "MP4 magic, then a playlist: only the MP4/Matroska/AVI demuxers and local files may be used",
        ),
        ("video_ftyp_then_zeros.mp4", b"\x00\x00\x00\x18ftypmp42" + bytes(2000), "corrupt", 400, "MP4 magic, no boxes"),
        ("video_truncated.mp4", mp4[: len(mp4) // 2], "corrupt", 400, "truncated (its moov box is lost)"),
        (
            "video_audio_only.mp4",
            ffmpeg("-f", "lavfi", "-i", "anullsrc=d=1", "-c:a", "aac", out=work / "b.mp4"),
            "corrupt",
            400,
            "a valid MP4 with no video stream",
        ),
        (
            "video_zero_frames.mp4",
            ffmpeg(*gray, "-frames:v", "0", "-c:v", "libx264", out=work / "c.mp4"),
            "corrupt",
            400,
            "an MP4 written with zero frames",
        ),
        ("video_frames_garbage.mp4", garbage_frames(mp4), "corrupt", 400, "container fine, no decodable frame"),
        (
            "video_hevc_4096x4096.mp4",
            huge,
            "too_many_pixels",
            413,
            "huge resolution in 7 KB: refused before this process decodes a frame",
        ),
        (
            "video_small_stream_then_huge_one.mp4",
            two_streams,
            "too_many_pixels",
            413,
            "a 64x48 first stream hiding a 4096x4096 second one (OpenCV may pick either)",
        ),
        (
            "video_two_hours.mp4",
            ffmpeg(
                "-f",
                "lavfi",
                "-i",
                "color=gray:s=16x16:r=1/60:d=7200",
                "-c:v",
                "libx264",
                "-preset",
                "ultrafast",
                out=work / "e.mp4",
            ),
            "too_long",
            413,
            "two hours (one frame a minute): over MAX_VIDEO_SECONDS",
        ),
        (
            "video_header_lies.avi",
            lying_avi(avi),
            "ok",
            202,
            "headers claim a million fps and 2^31 frames; the 20 real frames are counted and processed",
        ),
    ]


def main() -> None:
    FILES.mkdir(exist_ok=True)
    for old in FILES.iterdir():
        old.unlink()
    manifest = []
    for kind, entries in (("image", images()), ("video", videos(FILES))):
        for name, data, code, status, why in entries:
            (FILES / name).write_bytes(data)
            manifest.append({"file": name, "kind": kind, "code": code, "status": status, "why": why})
    (HERE / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    total = sum(f.stat().st_size for f in FILES.iterdir())
    print(f"{len(manifest)} files, {total / 1024:.0f} KB in {FILES}")


if __name__ == "__main__":
    main()
