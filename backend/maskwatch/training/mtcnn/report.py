"""What the benchmark means: which tuned nets to ship, the recommended setting, the results files."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from ..metrics import FACE_SIZE_LABELS
from .nets import NETS


def _fmt_recall(v) -> str:
    return "-" if v is None else f"{v:.2f}"


def markdown_table(rows: list[dict]) -> str:
    """One line per benchmark row (see bench.score)."""
    head = (
        "| min_face | upscale_below | thresholds | tuned nets | face AP@0.5 | recall | "
        + " | ".join(f"R {b}" for b in FACE_SIZE_LABELS)
        + " | mean IoU | R / P at score 0.9 | ms/img (1 thr) |"
    )
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in rows:
        lines.append(
            f"| {r['min_face_size']} | {r['upscale_below'] or '-'} | {'/'.join(f'{t:g}' for t in r['thresholds'])} | "
            f"{'+'.join(r['tuned']) or 'stock'} | "
            f"{r['ap']:.3f} | {r['recall']:.3f} | "
            + " | ".join(_fmt_recall(r["recall_by_size"][b]) for b in FACE_SIZE_LABELS)
            + f" | {r['mean_iou_matched']:.3f} | {r['at_min_score_0.9']['recall']:.2f} / "
            f"{r['at_min_score_0.9']['precision']:.2f} | {r['ms_per_image']:.1f} |"
        )
    return "\n".join(lines)


def choose(rows: list[dict], speed_factor: float = 1.2) -> tuple[dict, dict]:
    """(ship, recommend). ship: the weight combination with the best AP at the detector's defaults
    (min_face_size 20, no upscaling, thresholds 0.6/0.7/0.7) -- only nets that improve it are shipped.
    recommend: the best-AP row using the shipped nets whose time is within `speed_factor` x the stock
    default's (timings are relative, so this holds whatever the machine's load)."""
    default = [
        r
        for r in rows
        if r["min_face_size"] == 20 and r["upscale_below"] is None and r["thresholds"] == [0.6, 0.7, 0.7]
    ]
    ship = max(default, key=lambda r: r["ap"])
    stock = next(r for r in default if not r["tuned"])
    fast = [
        r for r in rows if r["tuned"] == ship["tuned"] and r["ms_per_image"] <= speed_factor * stock["ms_per_image"]
    ]
    return ship, max(fast, key=lambda r: r["ap"])


def finish(rows, scenes, work: Path, out: Path, results: Path, speed_factor: float, command: str):
    """Copy the shipped nets to `out` (and remove stale ones), write results .json and .md."""
    best, recommended = choose(rows, speed_factor)
    out.mkdir(parents=True, exist_ok=True)
    for n in NETS:
        (out / f"{n}.pt").unlink(missing_ok=True)
        if n in best["tuned"]:
            shutil.copy(work / f"{n}.pt", out / f"{n}.pt")
    results.parent.mkdir(parents=True, exist_ok=True)
    train_info = json.loads((work / "train_info.json").read_text()) if (work / "train_info.json").exists() else {}
    epochs = {n: len(h) - 1 for n, h in (train_info.get("history") or {}).items()}
    payload = {
        "choice_scenes": len(scenes),
        "choice_faces": int(sum(len(s.boxes) for s in scenes)),
        "threads": 1,
        "speed_factor": speed_factor,
        "shipped": best["tuned"],
        "best_at_defaults": best,
        "recommended": recommended,
        "rows": rows,
        "samples": train_info.get("samples"),
        "epochs": epochs,
        "best_epoch": train_info.get("best_epoch"),
        "command": command,
    }
    results.with_suffix(".json").write_text(json.dumps(payload, indent=1))
    stock = next(r for r in rows if not r["tuned"] and r["min_face_size"] == 20 and r["upscale_below"] is None)

    def desc(r):
        return (
            f"min_face_size {r['min_face_size']}, upscale_below {r['upscale_below']}, thresholds "
            f"{'/'.join(f'{t:g}' for t in r['thresholds'])}: face AP {r['ap']:.3f}, "
            f"{r['ms_per_image']:.0f} ms/image ({r['ms_per_image'] / stock['ms_per_image']:.2f}x stock default)"
        )

    samples = train_info.get("samples") or {}
    lines = [
        "# MTCNN fine-tuning on the face detector's training scenes (kaggle, adityap27, WIDER FACE)",
        "",
        f"Validation scenes (nets and settings are chosen here; test numbers are in detector_bakeoff.md): "
        f"{payload['choice_scenes']} images, {payload['choice_faces']} faces. "
        "Face AP@0.5 (VOC, `maskwatch.training.metrics`) with MtcnnFaceDetector(min_score=0.5); recall by "
        "face size sqrt(w*h) of the GT box; mean IoU of matched faces; recall / precision at the "
        "pipeline's default min_score 0.9; ms per image with 1 torch thread. All detectors ran image by "
        "image in turn, so the times compare with each other, but the machine was shared with another "
        "training job: read them as ratios, not absolute numbers.",
        "",
        f"- stock default: {desc(stock)}",
        f"- tuned nets shipped in models/mtcnn/: {', '.join(best['tuned']) or 'none'} ({desc(best)})",
        f"- best within {speed_factor:g}x the stock default's time: {desc(recommended)}",
        "- training samples (train / val split of the training scenes): "
        + "; ".join(
            f"{n} {v['train']['n']} (pos {v['train']['pos']}, part {v['train']['part']}, neg {v['train']['neg']})"
            for n, v in samples.items()
        ),
        f"- epochs: {epochs}; epoch kept: {train_info.get('best_epoch')}",
        f"- reproduce: `{command}`",
        "",
        markdown_table(rows),
        "",
    ]
    results.with_suffix(".md").write_text("\n".join(lines))
    return best, recommended
