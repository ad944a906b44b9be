"""Accuracy of the shipped models on held-out data, in the settings worth comparing.

Crops (held-out scenes, faces-12k validation part, faces-chandrikadeb7 never trained on) once, then
the held-out scenes through the whole pipeline for each detector setting. Needs ../shared/datasets.

    .venv/bin/python benchmarks/accuracy.py     # -> benchmarks/results/accuracy.json and accuracy.md
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from maskwatch.training.evaluate import main as evaluate

RESULTS = Path(__file__).parent / "results"
SETTINGS = {
    "stock MTCNN, min_face 20": ["--stock-mtcnn", "--min-face-size", "20"],
    "stock MTCNN, min_face 20, upscale to 1024": ["--stock-mtcnn", "--min-face-size", "20", "--upscale-below", "1024"],
    "tuned MTCNN, min_face 20": ["--min-face-size", "20"],
    "tuned MTCNN, min_face 12": ["--min-face-size", "12"],
    "tuned MTCNN, min_face 20, upscale to 1024": ["--min-face-size", "20", "--upscale-below", "1024"],
}


def fmt(value) -> str:
    return "-" if value is None else f"{value:.3f}"


def main(argv=None) -> dict:
    extra = list(argv if argv is not None else sys.argv[1:])
    out = {"crops": evaluate(["--skip-scenes", "--plots", "--name", "accuracy_crops", *extra])["crops"], "scenes": {}}
    for name, flags in SETTINGS.items():
        out["scenes"][name] = evaluate(["--skip-crops", "--name", "accuracy_scenes_tmp", *flags, *extra])["scenes"]
    (RESULTS / "accuracy_scenes_tmp.json").unlink(missing_ok=True)
    (RESULTS / "accuracy.json").write_text(json.dumps(out, indent=2))

    lines = [
        "## Crops",
        "",
        "| set | n | accuracy | two-class acc | macro-F1 | F1 mask | F1 no_mask | F1 incorrect |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, r in out["crops"].items():
        f1 = {k: v["f1"] if v["support"] else None for k, v in r["per_class"].items()}
        lines.append(
            f"| {name} | {r['n']} | {fmt(r['accuracy'])} | {fmt(r['two_class_accuracy'])} | {fmt(r['macro_f1'])} | "
            f"{fmt(f1['mask'])} | {fmt(f1['no_mask'])} | {fmt(f1['incorrect'])} |"
        )
    lines += [
        "",
        "## Held-out scenes (whole pipeline, AP@0.5)",
        "",
        "| setting | face AP | AP mask | AP no_mask | AP incorrect | mAP (3) | mAP (2) | recall <16 | 16-32 | 32-64 | >=64 | ms/image |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, r in out["scenes"].items():
        by_size = r["face_recall_by_size"]
        lines.append(
            f"| {name} | {fmt(r['face_ap'])} | {fmt(r['ap_per_class']['mask'])} | {fmt(r['ap_per_class']['no_mask'])} | "
            f"{fmt(r['ap_per_class']['incorrect'])} | {fmt(r['map'])} | {fmt(r['map_two_class'])} | "
            + " | ".join(fmt(by_size[k]["recall"]) for k in ("<16", "16-32", "32-64", ">=64"))
            + f" | {r['ms_per_image_median']:.0f} |"
        )
    (RESULTS / "accuracy.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return out


if __name__ == "__main__":
    main()
