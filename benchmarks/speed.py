"""Speed of the detection core on 2 CPU cores: whole-frame detect at 640x480 and 1280x720 with
several faces, by thread count and MTCNN min_face_size, and classifier milliseconds per face.

Frames are composites of the fixture faces (skimage astronaut, matplotlib grace_hopper) pasted at
different sizes, so the benchmark needs no data set. Run on an otherwise idle machine:

    .venv/bin/python benchmarks/speed.py            # -> benchmarks/results/speed.json and speed.md
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import cv2
import numpy as np
import torch

from maskwatch.detection import MaskClassifier, MaskDetector, MtcnnFaceDetector
from maskwatch.paths import default_classifier_path, default_mtcnn_dir

RESULTS = Path(__file__).parent / "results"


def fixture_faces() -> list[np.ndarray]:
    import matplotlib.cbook
    import skimage.data
    from PIL import Image

    with matplotlib.cbook.get_sample_data("grace_hopper.jpg") as f:
        grace = np.asarray(Image.open(f).convert("RGB"))
    astronaut = skimage.data.astronaut()
    return [astronaut[40:200, 160:290], grace[90:370, 150:380]]


def composite(width: int, height: int, n_faces: int, seed: int = 0) -> np.ndarray:
    """A grey frame with n_faces pasted on a grid, face heights between 60 and 110 px."""
    rng = np.random.default_rng(seed)
    frame = np.full((height, width, 3), 110, np.uint8)
    faces = fixture_faces()
    cols = int(np.ceil(np.sqrt(n_faces * width / height)))
    rows = int(np.ceil(n_faces / cols))
    cell_w, cell_h = width // cols, height // rows
    for k in range(n_faces):
        face = faces[k % len(faces)]
        side = int(min(rng.uniform(60, 110), cell_h - 4, cell_w - 4))
        patch = cv2.resize(face, (int(side * face.shape[1] / face.shape[0]), side))
        r, c = divmod(k, cols)
        y, x = r * cell_h + (cell_h - patch.shape[0]) // 2, c * cell_w + (cell_w - patch.shape[1]) // 2
        frame[y : y + patch.shape[0], x : x + patch.shape[1]] = patch[:cell_h, :cell_w]
    return frame


def time_ms(fn, repeats: int, warmup: int = 2) -> dict:
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return {
        "median_ms": round(statistics.median(samples), 1),
        "p90_ms": round(samples[int(0.9 * (len(samples) - 1))], 1),
    }


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--repeats", type=int, default=15)
    p.add_argument("--threads", default="1,2")
    p.add_argument("--min-face-sizes", default="20,40,80")
    args = p.parse_args(argv)

    classifier = MaskClassifier.from_file(default_classifier_path())
    frames = {"640x480 (4 faces)": composite(640, 480, 4), "1280x720 (10 faces)": composite(1280, 720, 10)}
    results = {
        "classifier": {"arch": classifier.arch, "input_size": classifier.input_size},
        "detect": [],
        "classifier_ms_per_face": {},
    }
    for threads in map(int, args.threads.split(",")):
        torch.set_num_threads(threads)
        for min_face in map(int, args.min_face_sizes.split(",")):
            detector = MaskDetector(
                MtcnnFaceDetector(min_face_size=min_face, weights_dir=default_mtcnn_dir()), classifier
            )
            for name, frame in frames.items():
                found = len(detector.detect(frame))
                row = {
                    "threads": threads,
                    "min_face_size": min_face,
                    "frame": name,
                    "faces_found": found,
                    **time_ms(lambda: detector.detect(frame), args.repeats),
                }
                results["detect"].append(row)
                print(json.dumps(row), flush=True)
        crops = [cv2.resize(fixture_faces()[0], (classifier.input_size,) * 2)] * 8
        for batch in (1, 8):
            timing = time_ms(lambda: classifier.predict_crops(crops[:batch]), args.repeats * 4)
            results["classifier_ms_per_face"][f"threads={threads} batch={batch}"] = round(
                timing["median_ms"] / batch, 2
            )
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "speed.json").write_text(json.dumps(results, indent=2))
    lines = ["| threads | min_face_size | frame | faces found | median ms | p90 ms |", "|---|---|---|---|---|---|"]
    lines += [
        f"| {r['threads']} | {r['min_face_size']} | {r['frame']} | {r['faces_found']} | {r['median_ms']} | {r['p90_ms']} |"
        for r in results["detect"]
    ]
    lines += ["", "| classifier | ms per face |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in results["classifier_ms_per_face"].items()]
    (RESULTS / "speed.md").write_text("\n".join(lines) + "\n")
    return results


if __name__ == "__main__":
    main()
