"""maskwatch synth: synthetic masks on unmasked training faces, with a JSON-lines manifest.

By default the inputs are the faces-12k `without_mask` images of the training split only, so no
synthetic variant of a validation or test face exists.

Example: maskwatch synth --out build/synth --per-image 1
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ..detection import MtcnnFaceDetector
from ..paths import REPO_ROOT, data_root
from .crop_sets import twelve_k_split
from .synth import PLACEMENTS, load_templates, load_textures, synthesize_files


def training_inputs(root: Path) -> list[Path]:
    return [p for p in sorted((root / "faces-12k" / "without_mask").glob("*.jpg")) if twelve_k_split(p.name) == "train"]


def main(argv=None) -> list[dict]:
    p = argparse.ArgumentParser(prog="maskwatch synth", description=__doc__.split("\n")[0])
    p.add_argument("inputs", nargs="*", help="images of unmasked faces (default: faces-12k without_mask, train split)")
    p.add_argument("--data", default=str(data_root()))
    p.add_argument("--out", default=str(REPO_ROOT / "build" / "synth"))
    p.add_argument("--placements", default=",".join(PLACEMENTS))
    p.add_argument("--per-image", type=int, default=1)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args(argv)

    masks_dir = Path(args.data) / "masktheface"
    inputs = [Path(i) for i in args.inputs] or training_inputs(Path(args.data))
    # Crop-set images are small; enlarging them makes MTCNN's landmarks steadier.
    detector = MtcnnFaceDetector(min_face_size=20, threads=args.threads, upscale_below=256)
    rows = synthesize_files(
        inputs,
        Path(args.out),
        detector,
        load_templates(masks_dir),
        load_textures(masks_dir),
        placements=tuple(args.placements.split(",")),
        per_image=args.per_image,
        seed=args.seed,
    )
    manifest = Path(args.out) / "manifest.jsonl"
    manifest.write_text("".join(json.dumps(row) + "\n" for row in rows))
    print(f"{len(rows)} synthetic faces from {len(inputs)} inputs -> {manifest}")
    return rows
