"""Upload round trip of one photo at 400x300 and at 4000x3000 (12 MP) against a real `maskwatch serve`,
with each face detector at its picture profile defaults: client-side seconds from request to answer,
the server's own detection ms, faces answered and the smallest face looked for.

The photo is the held-out kaggle test scene with the most faces, resized (so both sizes show the same
crowd). Run on an otherwise idle machine:

    .venv/bin/python benchmarks/upload_round_trip.py   # -> benchmarks/results/upload_round_trip.{json,md}
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import tempfile
import time
import urllib.request
from pathlib import Path

import cv2
from big_pictures import picture_request
from PIL import Image

from maskwatch.paths import data_root
from maskwatch.training.detector.data import load_detector_scenes
from maskwatch_testing.served import ServedApp

ROOT = Path(__file__).resolve().parents[1]

RESULTS = ROOT / "benchmarks" / "results"
SIZES = ((400, 300), (4000, 3000))


def crowd_photo() -> tuple[str, object]:
    scenes = [s for s in load_detector_scenes(data_root(), None) if s.split == "test" and s.source == "kaggle"]
    scene = max(scenes, key=lambda s: len(s.boxes))
    return scene.image.name, scene.read_rgb()


def jpeg(rgb, size) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(
        cv2.resize(rgb, size, interpolation=cv2.INTER_AREA if size[0] < rgb.shape[1] else cv2.INTER_CUBIC)
    ).save(buf, format="JPEG", quality=90)
    return buf.getvalue()


def upload(url: str, data: bytes) -> tuple[float, dict]:
    started = time.perf_counter()
    with urllib.request.urlopen(picture_request(url, data, "crowd.jpg"), timeout=600) as response:
        answer = json.loads(response.read())
    return time.perf_counter() - started, answer


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--detectors", default="mtcnn,pyramid")
    args = p.parse_args(argv)
    name, rgb = crowd_photo()
    photos = {f"{w}x{h}": jpeg(rgb, (w, h)) for w, h in SIZES}
    rows = []
    for detector in args.detectors.split(","):
        env = {"DETECTOR": detector, "TORCH_THREADS": "2", "MAX_UPLOAD_MB": "50"}
        with tempfile.TemporaryDirectory() as tmp, ServedApp(Path(tmp) / "instance", env=env) as server:
            upload(server.url, photos["400x300"])  # models loaded, code paths warm
            for size, data in photos.items():
                seconds, answers = [], []
                for _ in range(args.repeats):
                    took, answer = upload(server.url, data)
                    seconds.append(took)
                    answers.append(answer)
                rows.append(
                    {
                        "detector": detector,
                        "size": size,
                        "file_kb": round(len(data) / 1024),
                        "round_trip_ms_median": round(statistics.median(seconds) * 1000),
                        "server_ms_median": round(statistics.median(a["ms"] for a in answers)),
                        "faces": len(answers[-1]["faces"]),
                        "min_face_px": answers[-1].get("min_face_px"),
                    }
                )
                print(json.dumps(rows[-1]), flush=True)
    result = {"photo": name, "repeats": args.repeats, "rows": rows}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "upload_round_trip.json").write_text(json.dumps(result, indent=2) + "\n")
    lines = [
        f"# Upload round trip ({name}, held-out; median of {args.repeats})",
        "",
        "| detector | picture | file KB | round trip ms | server detect ms | faces | min_face_px |",
        "|---|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {r['detector']} | {r['size']} | {r['file_kb']} | {r['round_trip_ms_median']} | {r['server_ms_median']} | "
        f"{r['faces']} | {r['min_face_px']} |"
        for r in rows
    ]
    (RESULTS / "upload_round_trip.md").write_text("\n".join(lines) + "\n")
    return result


if __name__ == "__main__":
    main()
