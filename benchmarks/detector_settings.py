"""The settings of our face detector's two profiles, chosen on the validation scenes (never the test
scenes, which benchmarks/detector_bakeoff.py reports).

For each enlargement (`upscale_below`: frames whose longer side is under it are enlarged to it) and
smallest face (`min_face_size`, in pixels of the enlarged frame) the shipped detector runs over the
validation scenes of kaggle, adityap27 and WIDER FACE: face AP per source and their mean, recall of
faces under 16 px, and median ms per picture; plus ms for a 640x480 frame. The picture profile takes
the best mean AP within 150 ms per 640x480 picture (2 threads); the stream profile never enlarges
(frame rate first) and takes the smallest face with the best mean AP there. Run on an otherwise idle machine:

    .venv/bin/python benchmarks/detector_settings.py   # -> benchmarks/results/detector_settings.{json,md}
"""

from __future__ import annotations

import argparse
import itertools
import json
from pathlib import Path

import numpy as np
import torch
from speed import composite, time_ms

from maskwatch.detection.factory import build_face_detector
from maskwatch.paths import data_root
from maskwatch.training.detector.data import DEFAULT_WIDER, load_detector_scenes
from maskwatch.training.detector.evaluate import evaluate_by_source

RESULTS = Path(__file__).parent / "results"
ENLARGEMENTS = (None, 800, 1024, 1280, 1600)
MIN_FACE_SIZES = (8, 16)
PICTURE_BUDGET_MS = 150.0


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--wider", default=str(DEFAULT_WIDER))
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--repeats", type=int, default=15)
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    val = [s for s in load_detector_scenes(data_root(), Path(args.wider)) if s.split == "val"]
    frame = composite(640, 480, 4)
    rows = []
    for upscale, min_face in itertools.product(ENLARGEMENTS, MIN_FACE_SIZES):
        detector = build_face_detector(
            "pyramid", min_score=0.05, upscale_below=upscale, min_face_size=min_face, threads=args.threads
        )
        report = evaluate_by_source(detector, val)
        aps = [r["face_ap"] for r in report.values()]
        rows.append(
            {
                "upscale_below": upscale,
                "min_face_size": min_face,
                "mean_ap": float(np.mean(aps)),
                "face_ap": {k: r["face_ap"] for k, r in report.items()},
                "recall_under_16": {k: r["recall_by_size"]["<16"]["recall"] for k, r in report.items()},
                "ms_per_image_median": {k: r["ms_per_image_median"] for k, r in report.items()},
                "ms_640x480": time_ms(lambda: detector.detect(frame), args.repeats)["median_ms"],
            }
        )
        print(json.dumps(rows[-1]), flush=True)
    within = [r for r in rows if r["ms_640x480"] <= PICTURE_BUDGET_MS]
    picture = max(within or rows[:1], key=lambda r: r["mean_ap"])
    stream = max((r for r in rows if r["upscale_below"] is None), key=lambda r: r["mean_ap"])
    result = {
        "validation_scenes": len(val),
        "rows": rows,
        "chosen": {
            "picture": {"upscale_below": picture["upscale_below"], "min_face_size": picture["min_face_size"]},
            "stream": {"upscale_below": None, "min_face_size": stream["min_face_size"]},
        },
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "detector_settings.json").write_text(json.dumps(result, indent=2))
    lines = [
        f"# Face detector settings, chosen on {len(val)} validation scenes",
        "",
        "| upscale_below | min_face_size | mean face AP | AP kaggle | AP adityap27 | AP WIDER | recall <16 WIDER | ms 640x480 |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['upscale_below'] or '-'} | {r['min_face_size']} | {r['mean_ap']:.3f} | {r['face_ap']['kaggle']:.3f} | "
            f"{r['face_ap']['adityap27']:.3f} | {r['face_ap']['wider']:.3f} | "
            f"{(r['recall_under_16']['wider'] or 0):.3f} | {r['ms_640x480']:.0f} |"
        )
    lines += [
        "",
        f"Picture profile: upscale_below {picture['upscale_below']}, min_face_size {picture['min_face_size']} "
        f"(best mean AP within {PICTURE_BUDGET_MS:.0f} ms per 640x480 picture). Stream profile: no enlargement, "
        f"min_face_size {stream['min_face_size']}.",
    ]
    (RESULTS / "detector_settings.md").write_text("\n".join(lines) + "\n")
    return result


if __name__ == "__main__":
    main()
