"""Bake-off of the face detectors on the held-out test scenes, in one table: our PyramidFaceDetector
and MTCNN (fine-tuned) at several settings, with the mask classifier on top.

Per setting and test set (kaggle test split, adityap27 test split, WIDER FACE val test part): face
AP@0.5 over the full ranking, recall by face size and by verdict, per-class AP and two-class mAP
with the classifier (where verdicts are labelled), median ms per image; and ms per 640x480 and
1280x720 composite frame at 1 and 2 threads. Nothing here chooses a setting: operating thresholds
come from validation scenes (maskwatch export-detector). Run on an otherwise idle machine:

    .venv/bin/python benchmarks/detector_bakeoff.py   # -> benchmarks/results/detector_bakeoff.{json,md}
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch
from speed import composite, time_ms

from maskwatch.config import Config
from maskwatch.detection import LABELS, MaskClassifier, MaskDetector
from maskwatch.detection.factory import build_face_detector
from maskwatch.detection.profiles import profiles_from_config
from maskwatch.paths import data_root, default_classifier_path
from maskwatch.training.detector.data import DEFAULT_WIDER, load_detector_scenes
from maskwatch.training.detector.evaluate import face_report
from maskwatch.training.evaluate import detect_scenes
from maskwatch.training.metrics import detection_report

RESULTS = Path(__file__).parent / "results"
#: Our detector's candidates from this score are ranked for AP (its operating threshold is about 0.45).
RANKING_SCORE = 0.1
#: (name, detector, options); min_score is low so AP sees the whole ranking.
SETTINGS = [
    ("pyramid mf20", "pyramid", {"min_score": RANKING_SCORE, "min_face_size": 20}),
    ("pyramid mf8, up to 1280", "pyramid", {"min_score": RANKING_SCORE, "min_face_size": 8, "upscale_below": 1280}),
    ("mtcnn mf40", "mtcnn", {"min_score": 0.5, "min_face_size": 40}),
    ("mtcnn mf20", "mtcnn", {"min_score": 0.5, "min_face_size": 20}),
    ("mtcnn mf12", "mtcnn", {"min_score": 0.5, "min_face_size": 12}),
    ("mtcnn mf20, up to 800", "mtcnn", {"min_score": 0.5, "min_face_size": 20, "upscale_below": 800}),
]


def profile_settings() -> list[tuple[str, str, dict]]:
    """The product's two detection profiles at their defaults (config.py), with the default detector."""
    config = Config()
    return [
        (
            f"{config.DETECTOR}, {name} profile",
            config.DETECTOR,
            {"min_score": RANKING_SCORE if config.DETECTOR == "pyramid" else 0.5, **profile.detector_options()},
        )
        for name, profile in profiles_from_config(vars(config)).items()
    ]


def evaluate_setting(ranking: MaskDetector, product: MaskDetector | None, scenes) -> dict:
    """AP and recall from `ranking` (every candidate down to a low score, each classified); ms per image
    from `product`, the same setting at its operating threshold (what a user waits for), or from ranking
    when product is None (MTCNN: its cascade costs the same whatever score it stops at)."""
    class_predictions, times = detect_scenes(ranking, scenes)
    if product is not None:
        _, times = detect_scenes(product, scenes)
    report = face_report(scenes, [(p["boxes"], p["scores"]) for p in class_predictions], times)
    if any(label in LABELS for s in scenes for label in s.labels):
        classes = detection_report(class_predictions, [{"boxes": s.boxes, "labels": s.labels} for s in scenes], LABELS)
        report["class_ap"] = classes["ap_per_class"]
        report["two_class_map"] = classes["map_two_class"]
    return report


def speed_rows(settings, repeats: int) -> list[dict]:
    frames = {"640x480": composite(640, 480, 4), "1280x720": composite(1280, 720, 10)}
    rows = []
    for threads in (1, 2):
        torch.set_num_threads(threads)
        for name, kind, options in settings:
            faces = build_face_detector(kind, threads=threads, **{k: v for k, v in options.items() if k != "min_score"})
            for frame_name, frame in frames.items():
                rows.append(
                    {
                        "setting": name,
                        "threads": threads,
                        "frame": frame_name,
                        **time_ms(lambda: faces.detect(frame), repeats),
                    }
                )
                print(json.dumps(rows[-1]), flush=True)
    return rows


def markdown(results: dict) -> str:
    lines = ["# Face detector bake-off (held-out test scenes; nothing was chosen on them)", ""]
    for test_set, rows in results["accuracy"].items():
        lines += [
            f"## {test_set}",
            "",
            "| setting | face AP | <16 | 16-32 | 32-64 | >=64 | mask | no_mask | incorrect | AP mask | AP no_mask | 2-class mAP | ms/image |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        for name, r in rows.items():
            size = [r["recall_by_size"][k]["recall"] for k in ("<16", "16-32", "32-64", ">=64")]
            verdict = [r["recall_by_verdict"][k]["recall"] for k in ("mask", "no_mask", "incorrect")]
            ap = r.get("class_ap") or {}
            cells = [
                r["face_ap"],
                *size,
                *verdict,
                ap.get("mask"),
                ap.get("no_mask"),
                r.get("two_class_map"),
                r["ms_per_image_median"],
            ]
            lines.append(
                f"| {name} | "
                + " | ".join("–" if v is None else f"{v:.3f}" if v < 10 else f"{v:.0f}" for v in cells)
                + " |"
            )
        lines.append("")
        if any(r["recall_by_verdict"]["no_mask"]["n"] for r in rows.values()):
            sizes = ("<16", "16-32", "32-64", ">=64")
            lines += [
                f"Recall by size, masked / unmasked faces ({test_set}):",
                "",
                "| setting | " + " | ".join(sizes) + " |",
                "|---|" + "---|" * len(sizes),
            ]
            for name, r in rows.items():
                cells = []
                for size in sizes:
                    pair = [r["recall_by_verdict"][v]["by_size"][size]["recall"] for v in ("mask", "no_mask")]
                    cells.append(" / ".join("–" if v is None else f"{v:.2f}" for v in pair))
                lines.append(f"| {name} | " + " | ".join(cells) + " |")
            lines.append("")
    lines += [
        "## Speed (composite frames of the fixture faces, median ms)",
        "",
        "| setting | threads | frame | median ms | p90 ms |",
        "|---|---|---|---|---|",
    ]
    lines += [
        f"| {r['setting']} | {r['threads']} | {r['frame']} | {r['median_ms']} | {r['p90_ms']} |"
        for r in results["speed"]
    ]
    return "\n".join(lines) + "\n"


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--wider", default=str(DEFAULT_WIDER))
    p.add_argument("--wider-limit", type=int, default=300, help="WIDER test images used (every n-th, in order)")
    p.add_argument("--settings", default=None, help="setting names separated by ; (default: all)")
    p.add_argument("--repeats", type=int, default=15)
    p.add_argument("--scene-limit", type=int, default=None, help="at most this many scenes per test set (a smoke run)")
    p.add_argument("--threads", type=int, default=2, help="threads for the accuracy runs")
    args = p.parse_args(argv)
    settings = [s for s in SETTINGS + profile_settings() if args.settings is None or s[0] in args.settings.split(";")]
    scenes = [s for s in load_detector_scenes(data_root(), Path(args.wider)) if s.split == "test"]
    test_sets = {source: [s for s in scenes if s.source == source] for source in ("kaggle", "adityap27", "wider")}
    wider = test_sets["wider"]
    if len(wider) > args.wider_limit:
        test_sets["wider"] = wider[:: max(1, len(wider) // args.wider_limit)][: args.wider_limit]
    if args.scene_limit:
        test_sets = {name: group[: args.scene_limit] for name, group in test_sets.items()}
    classifier = MaskClassifier.from_file(default_classifier_path())
    results: dict = {"accuracy": {name: {} for name in test_sets}, "speed": []}
    torch.set_num_threads(args.threads)
    for name, kind, options in settings:
        ranking = MaskDetector(build_face_detector(kind, threads=args.threads, **options), classifier)
        product = (
            MaskDetector(build_face_detector(kind, threads=args.threads, **{**options, "min_score": None}), classifier)
            if kind == "pyramid"
            else None
        )
        for test_set, group in test_sets.items():
            results["accuracy"][test_set][name] = evaluate_setting(ranking, product, group)
            print(test_set, name, round(results["accuracy"][test_set][name]["face_ap"], 4), flush=True)
    results["speed"] = speed_rows(settings, args.repeats)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "detector_bakeoff.json").write_text(json.dumps(results, indent=2))
    (RESULTS / "detector_bakeoff.md").write_text(markdown(results))
    return results


if __name__ == "__main__":
    main()
