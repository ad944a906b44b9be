"""Concurrent big picture uploads against a real `maskwatch serve`: the server's peak memory with the
defaults (pictures scaled to PICTURE_MAX_SIDE before detection, IMAGE_PIXELS_AT_ONCE one picture of
MAX_IMAGE_PIXELS at a time), with the scaling but no cap, and with neither (how it was before both).

Each run starts a fresh server, sends `--clients` uploads of the same large photo at once (a real face
photo scaled up to `--megapixels`, JPEG and WebP) and records every answer's status and time, and the
server's peak RSS (VmHWM) before and after.

    .venv/bin/python benchmarks/big_pictures.py [--clients 4] [--megapixels 36]
    -> benchmarks/results/big_pictures.json
"""

from __future__ import annotations

import argparse
import io
import json
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import cv2
from PIL import Image

from maskwatch_testing.served import ServedApp

ROOT = Path(__file__).resolve().parents[1]

RESULTS = ROOT / "benchmarks" / "results"
NO_CAP = 10**12


def big_photo(megapixels: float, fmt: str) -> bytes:
    import skimage.data

    rgb = skimage.data.astronaut()
    scale = (megapixels * 1e6 / (rgb.shape[0] * rgb.shape[1])) ** 0.5
    big = cv2.resize(rgb, (round(rgb.shape[1] * scale), round(rgb.shape[0] * scale)), interpolation=cv2.INTER_CUBIC)
    buf = io.BytesIO()
    Image.fromarray(big).save(buf, format=fmt, quality=85)
    return buf.getvalue()


def picture_request(url: str, data: bytes, name: str) -> urllib.request.Request:
    """POST /api/images of the picture `data` as the multipart file `name`."""
    boundary = uuid.uuid4().hex
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return urllib.request.Request(
        url + "/api/images",
        data=body,
        method="POST",
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )


def post_picture(url: str, data: bytes, name: str) -> tuple[int, float]:
    request = picture_request(url, data, name)
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=600) as response:
            response.read()
            status = response.status
    except urllib.error.HTTPError as error:
        status = error.code
    return status, round(time.perf_counter() - started, 2)


#: name -> settings of the server; the defaults are what `maskwatch serve` runs with.
SETTINGS = {
    "defaults": {},
    "scaled, no cap": {"IMAGE_PIXELS_AT_ONCE": str(NO_CAP)},
    "whole, no cap": {"IMAGE_PIXELS_AT_ONCE": str(NO_CAP), "PICTURE_MAX_SIDE": "0"},
}


def run(fmt: str, data: bytes, clients: int, settings: str) -> dict:
    env = {"TORCH_THREADS": "1", "MAX_UPLOAD_MB": "100", "IMAGE_WAIT_S": "600", **SETTINGS[settings]}
    with tempfile.TemporaryDirectory() as tmp, ServedApp(Path(tmp) / "instance", env=env) as server:
        post_picture(server.url, big_photo(1, fmt), f"warm.{fmt.lower()}")  # model and code paths warm
        before = server.rss_mb("VmHWM")
        with ThreadPoolExecutor(clients) as pool:
            answers = list(pool.map(lambda i: post_picture(server.url, data, f"big{i}.{fmt.lower()}"), range(clients)))
        return {
            "format": fmt,
            "clients": clients,
            "settings": settings,
            "statuses": [a[0] for a in answers],
            "seconds": [a[1] for a in answers],
            "peak_rss_before_mb": round(before, 1),
            "peak_rss_after_mb": round(server.rss_mb("VmHWM"), 1),
        }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--megapixels", type=float, default=36)
    parser.add_argument("--out", type=Path, default=RESULTS / "big_pictures.json")
    args = parser.parse_args()
    runs = []
    for fmt in ("JPEG", "WEBP"):
        data = big_photo(args.megapixels, fmt)
        for settings in SETTINGS:
            report = run(fmt, data, args.clients, settings)
            report["file_mb"] = round(len(data) / 2**20, 1)
            print(json.dumps(report), flush=True)
            runs.append(report)
    args.out.write_text(json.dumps({"megapixels": args.megapixels, "runs": runs}, indent=2) + "\n")
    return 0 if all(s == 200 for r in runs for s in r["statuses"]) else 1


if __name__ == "__main__":
    raise SystemExit(main())
