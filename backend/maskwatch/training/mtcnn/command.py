"""Fine-tune facenet-pytorch's MTCNN (P-Net, R-Net, O-Net) on the face detector's training scenes.

`maskwatch tune-mtcnn` (or `python -m maskwatch.training.mtcnn`): samples and fine-tunes the nets
named in --nets in cascade order, each from the stock weights (or what --work holds), then with
--bench compares stock and tuned on the validation scenes and ships the nets that help there (the
test scenes are never read: benchmarks/detector_bakeoff.py reports them).

The training scenes are those of `training.detector.data`: kaggle-scenes-train and scenes-adityap27
(masked and unmasked faces) and, where it was built, WIDER FACE (crowds of unmasked, tiny and profile
faces), so the nets learn unmasked faces as well as masked ones.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

from ...paths import REPO_ROOT, data_root
from ..detector.data import DEFAULT_WIDER, load_detector_scenes
from .bench import benchmark
from .fit import fit
from .nets import NETS, set_threads, stock_nets
from .report import finish
from .samples import cached, describe, mined_samples, pnet_samples, split_for_val

WORK_DIR = Path("build/mtcnn")


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="maskwatch tune-mtcnn", description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=str(data_root()), help="../shared/datasets")
    ap.add_argument("--wider", default=str(DEFAULT_WIDER), help="WIDER FACE built by ../shared/tools/wider_face.py")
    ap.add_argument(
        "--wider-limit",
        type=int,
        default=800,
        help="WIDER training scenes used (every n-th): its crowds make R/O-Net samples large",
    )
    ap.add_argument("--out", default=str(REPO_ROOT / "models/mtcnn"), help="folder for the shipped {net}.pt")
    ap.add_argument("--work", default=str(REPO_ROOT / WORK_DIR))
    ap.add_argument("--nets", default="pnet,rnet,onet")
    ap.add_argument("--epochs", type=int, default=6)
    ap.add_argument("--lr", type=float, default=5e-4)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument(
        "--onet-stage1-neg",
        type=int,
        default=0,
        help="O-Net: also this many P-Net-stage false positives per image and scale as negatives",
    )
    ap.add_argument(
        "--resume",
        action="store_true",
        help="go on from the last epoch checkpoint in --work of each net trained (sample sets are cached there too)",
    )
    ap.add_argument("--skip-train", action="store_true", help="only evaluate what is in --work")
    ap.add_argument("--results", default=str(REPO_ROOT / "benchmarks/results/mtcnn_tuning"))
    ap.add_argument(
        "--bench",
        action="store_true",
        help="after training, benchmark on the test scenes, "
        "write --results .json/.md and copy the chosen tuned nets to --out",
    )
    ap.add_argument(
        "--speed-factor",
        type=float,
        default=1.2,
        help="recommended setting: best AP within this factor of the stock default's ms/image",
    )
    return ap


def make_samples(name: str, scenes, nets, rng: np.random.Generator, onet_stage1_neg: int):
    """The sample set of one net from scenes (R/O-Net's mined with the current P/R-Nets)."""
    if name == "pnet":
        return pnet_samples(scenes, rng)
    extra = onet_stage1_neg if name == "onet" else 0
    return mined_samples(scenes, name, nets["pnet"], nets["rnet"], rng, stage1_neg=extra)


def train_nets(args, nets, fit_scenes, val_scenes, work: Path, log) -> dict:
    """Fine-tune the nets named in args.nets in cascade order (the others load from work if there);
    returns {"samples", "history", "best_epoch"}."""
    wanted = [n for n in args.nets.split(",") if n]
    info = {"samples": {}, "history": {}, "best_epoch": {}}
    for name in NETS:
        if name not in wanted or args.skip_train:
            if (work / f"{name}.pt").exists():
                nets[name].load_state_dict(torch.load(work / f"{name}.pt", weights_only=True))
            continue
        rng = np.random.default_rng(args.seed + NETS.index(name))
        t0 = time.time()
        tag = f"_n1{args.onet_stage1_neg}" if name == "onet" and args.onet_stage1_neg else ""
        with torch.no_grad():
            tr_data = cached(
                work / f"{name}_train_s{args.seed}{tag}",
                lambda: make_samples(name, fit_scenes, nets, rng, args.onet_stage1_neg),
            )
            va_data = cached(
                work / f"{name}_val_s{args.seed}{tag}",
                lambda: make_samples(name, val_scenes, nets, rng, args.onet_stage1_neg),
            )
        info["samples"][name] = {"train": describe(tr_data), "val": describe(va_data), "seconds": time.time() - t0}
        log(f"{name} samples {info['samples'][name]}")
        epochs = args.epochs if name != "onet" else max(1, args.epochs - 2)
        _, hist, best = fit(name, nets[name], tr_data, va_data, epochs, args.lr, args.seed, work, log, args.resume)
        info["history"][name] = hist
        info["best_epoch"][name] = best
        del tr_data, va_data
    return info


def main(argv=None):
    args = parser().parse_args(argv)
    set_threads()
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    log_path = work / "train_log.txt"

    def log(msg):
        line = f"{time.strftime('%H:%M:%S')} {msg}"
        print(line, flush=True)
        with open(log_path, "a") as fh:
            fh.write(line + "\n")

    scenes = load_detector_scenes(Path(args.data), Path(args.wider))
    train = [s for s in scenes if s.split == "train" and s.source != "wider"]
    wider = [s for s in scenes if s.split == "train" and s.source == "wider"]
    train += wider[:: max(1, len(wider) // args.wider_limit)][: args.wider_limit] if wider else []
    fit_scenes, sample_val = split_for_val(train)
    val = [s for s in scenes if s.split == "val"]
    log(
        f"scenes: train {len(train)} (fit {len(fit_scenes)}, sample validation {len(sample_val)}), "
        f"validation {len(val)} (chooses nets and settings)"
    )
    nets = stock_nets()
    info = train_nets(args, nets, fit_scenes, sample_val, work, log)
    if not args.skip_train:
        (work / "train_info.json").write_text(json.dumps(info, indent=1))
        log("training done")
    if not args.bench:
        return
    rows = benchmark(val, work, log=log)
    command = "python -m maskwatch.training.mtcnn " + " ".join(argv if argv is not None else sys.argv[1:])
    best, recommended = finish(rows, val, work, Path(args.out), Path(args.results), args.speed_factor, command)
    log(
        f"shipped {best['tuned']}; recommended min_face {recommended['min_face_size']} "
        f"up {recommended['upscale_below']} thresholds {recommended['thresholds']}"
    )
