"""Train the mask classifier on face crops.

Example: maskwatch train --arch mobilenet_v3_small --input-size 64 --epochs 10 --out models/mask_classifier.pt
         maskwatch train --folds 5   # cross-validation only
"""

from __future__ import annotations

import argparse
import hashlib
import json
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

from ..detection.classifier import build_network
from ..detection.crops import DEFAULT_MARGIN, to_tensor
from ..detection.types import LABELS
from ..paths import REPO_ROOT, data_root, default_classifier_path
from .augment import augment, resize_for_eval
from .calibration import (
    expected_calibration_error,
    fit_class_bias,
    fit_temperature,
    macro_f1,
    reliability_bins,
    softmax,
    unknown_threshold,
    with_bias,
)
from .crop_sets import CropTable, build_crop_table
from .metrics import classification_report


def class_weights(labels: np.ndarray, num_classes: int = len(LABELS)) -> torch.Tensor:
    """weight = 1 - class share, as in the original report. Example: shares (.5,.4,.1) -> (.5,.6,.9)."""
    share = np.bincount(labels, minlength=num_classes) / max(len(labels), 1)
    return torch.tensor(1.0 - share, dtype=torch.float32)


def balanced_order(labels: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """len(labels) indices drawn with replacement so every class is drawn equally often."""
    counts = np.bincount(labels, minlength=len(LABELS)).astype(np.float64)
    weights = 1.0 / counts[labels]
    return rng.choice(len(labels), size=len(labels), replace=True, p=weights / weights.sum())


def batches(
    table: CropTable, input_size: int, batch_size: int, rng: np.random.Generator | None, balanced: bool = False
):
    """Yield (inputs, labels); with rng: shuffled (class-balanced if asked) and augmented, else in order
    and only resized."""
    if rng is None:
        order = np.arange(len(table))
    else:
        order = balanced_order(table.labels, rng) if balanced else rng.permutation(len(table))
    for start in range(0, len(order), batch_size):
        idx = order[start : start + batch_size]
        if rng is not None:
            crops = [augment(table.images[i], rng, input_size) for i in idx]
        else:
            crops = [resize_for_eval(table.images[i], input_size) for i in idx]
        yield to_tensor(crops), torch.from_numpy(table.labels[idx])


def train_one_epoch(model, optimizer, scheduler, criterion, table, args, rng) -> dict:
    model.train()
    total, correct, loss_sum, started = 0, 0, 0.0, time.time()
    for inputs, labels in batches(table, args.input_size, args.batch_size, rng, args.balanced):
        optimizer.zero_grad()
        logits = model(inputs)
        loss = criterion(logits, labels)
        loss.backward()
        optimizer.step()
        scheduler.step()
        total += len(labels)
        correct += int((logits.argmax(1) == labels).sum())
        loss_sum += loss.item() * len(labels)
    seconds = time.time() - started
    return {"loss": loss_sum / total, "accuracy": correct / total, "images_per_s": total / seconds}


def predict_logits(model, table: CropTable, input_size: int, batch_size: int = 128) -> np.ndarray:
    """Logits (N, classes) under inference mode."""
    model.eval()
    outputs = []
    with torch.inference_mode():
        for inputs, _ in batches(table, input_size, batch_size, None):
            outputs.append(model(inputs).numpy())
    return np.concatenate(outputs) if outputs else np.zeros((0, len(LABELS)), np.float32)


def predict(model, table: CropTable, input_size: int, batch_size: int = 128) -> np.ndarray:
    """Softmax probabilities (N, classes) under inference mode."""
    return softmax(predict_logits(model, table, input_size, batch_size))


#: Offsets searched for the per-class decision thresholds: a coarse grid, since the real scene
#: validation faces hold only about a dozen badly worn masks.
BIAS_GRID = np.linspace(-1.5, 1.5, 13)


def calibrate(model, val: CropTable, input_size: int, min_accuracy: float) -> dict:
    """From validation faces: the temperature (all of them); per-class offsets, the decision thresholds,
    that maximise macro-F1 on the real scene faces among them (the product's pictures; the cut-out
    faces of faces-12k would dominate otherwise); then the confidence below which a verdict is unknown
    (all of them). ECE and reliability bins before and after."""
    logits = predict_logits(model, val, input_size)
    temperature = fit_temperature(logits, val.labels)
    before, scaled = softmax(logits), softmax(logits, temperature)
    scenes = val.sources == "scenes"
    bias = fit_class_bias(scaled[scenes], val.labels[scenes], BIAS_GRID) if scenes.any() else np.zeros(len(LABELS))
    after = with_bias(scaled, bias)
    classes = len(LABELS)
    return {
        "temperature": temperature,
        "class_bias": [float(b) for b in bias],
        "unknown_below": unknown_threshold(after, val.labels, min_accuracy),
        "n_val": len(val),
        "n_val_scenes": int(scenes.sum()),
        "ece_before": expected_calibration_error(before, val.labels),
        "ece_after": expected_calibration_error(after, val.labels),
        "scenes_macro_f1_before": macro_f1(scaled[scenes].argmax(1), val.labels[scenes], classes),
        "scenes_macro_f1_after": macro_f1(after[scenes].argmax(1), val.labels[scenes], classes),
        "reliability_after": reliability_bins(after, val.labels),
    }


def evaluate(model, table: CropTable, input_size: int) -> dict:
    probs = predict(model, table, input_size)
    predicted = probs.argmax(1)
    return {"n": len(table), "accuracy": float((predicted == table.labels).mean()) if len(table) else None}


def save_weights(path: Path, model, args, metrics: dict, calibration: dict | None = None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    extra = {k: calibration[k] for k in ("temperature", "class_bias", "unknown_below")} if calibration else {}
    torch.save(
        {
            "arch": args.arch,
            "input_size": args.input_size,
            "margin": DEFAULT_MARGIN,
            "labels": list(LABELS),
            "state_dict": model.state_dict(),
            "metrics": metrics,
            **extra,
        },
        path,
    )


def load_table(args) -> CropTable:
    cache = Path(args.cache)
    if cache.exists():
        return CropTable.load(cache)
    table = build_crop_table(Path(args.data), [Path(m) for m in args.synth_manifests])
    cache.parent.mkdir(parents=True, exist_ok=True)
    table.save(cache)
    return table


def train_model(train: CropTable, checks: dict[str, CropTable], args, work: Path):
    """A fresh network trained on `train`, accuracy on each of `checks` logged per epoch; a checkpoint
    dict (model, optimizer, scheduler, epoch, args, history) is written to work/ after every epoch."""
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    print(
        f"train crops: {len(train)} per class {np.bincount(train.labels, minlength=len(LABELS)).tolist()}", flush=True
    )
    model = build_network(args.arch, args.input_size)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    steps = args.epochs * ((len(train) + args.batch_size - 1) // args.batch_size)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=args.lr, total_steps=steps, pct_start=0.15)
    criterion = nn.CrossEntropyLoss(weight=class_weights(train.labels))
    work.mkdir(parents=True, exist_ok=True)
    start_epoch, history = 0, []
    checkpoint_path = work / "checkpoint.pt"
    if args.resume and checkpoint_path.exists():
        checkpoint = torch.load(checkpoint_path, map_location="cpu", weights_only=True)
        model.load_state_dict(checkpoint["model"])
        optimizer.load_state_dict(checkpoint["optimizer"])
        scheduler.load_state_dict(checkpoint["scheduler"])
        start_epoch, history = checkpoint["epoch"] + 1, json.loads(checkpoint["history"])

    for epoch in range(start_epoch, args.epochs):
        stats = train_one_epoch(model, optimizer, scheduler, criterion, train, args, rng)
        stats.update({name: evaluate(model, part, args.input_size)["accuracy"] for name, part in checks.items()})
        stats["epoch"] = epoch
        history.append(stats)
        print(json.dumps(stats), flush=True)
        torch.save(
            {
                "model": model.state_dict(),
                "optimizer": optimizer.state_dict(),
                "scheduler": scheduler.state_dict(),
                "epoch": epoch,
                "args": json.dumps(vars(args)),
                "history": json.dumps(history),
            },
            checkpoint_path,
        )
    return model, history


def fold_of(groups: np.ndarray, folds: int) -> np.ndarray:
    """A stable fold number per group key, so a scene and every synthetic copy of a face share a fold."""
    return np.array([int.from_bytes(hashlib.sha256(str(g).encode()).digest()[:4], "big") % folds for g in groups])


def cross_validate(table: CropTable, args) -> dict:
    """k-fold cross-validation over the training pool; synthetic crops are trained on, never scored."""
    pool = table.where(split="train")
    folds = fold_of(pool.groups, args.folds)
    reports = []
    for fold in range(args.folds):
        held = pool.select((folds == fold) & (pool.sources != "synth"))
        model, _ = train_model(
            pool.select(folds != fold), {f"fold {fold}": held}, args, Path(args.work) / args.arch / f"fold{fold}"
        )
        reports.append(classification_report(held.labels, predict(model, held, args.input_size), list(LABELS)))
    summary = {
        name: {"mean": float(np.mean([r[name] for r in reports])), "std": float(np.std([r[name] for r in reports]))}
        for name in ("accuracy", "macro_f1")
    }
    result = {"folds": args.folds, "summary": summary, "reports": reports}
    (Path(args.work) / args.arch / "cross_validation.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(summary), flush=True)
    return result


def main(argv=None) -> dict:
    args = parser().parse_args(argv)
    torch.set_num_threads(args.threads)
    table = load_table(args)
    if args.folds:
        return cross_validate(table, args)
    val = table.where(split="val")  # real faces: the scenes' validation part and faces-12k's
    checks = {"faces-12k val": val.where(source="faces-12k"), "scenes val": val.where(source="scenes")}
    model, history = train_model(table.where(split="train"), checks, args, Path(args.work) / args.arch)
    calibration = calibrate(model, val, args.input_size, args.judged_accuracy) if len(val) else None
    if calibration:
        print(json.dumps({k: v for k, v in calibration.items() if k != "reliability_after"}), flush=True)
    save_weights(Path(args.out), model, args, {"history": history, "calibration": calibration}, calibration)
    return {"history": history, "calibration": calibration}


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="maskwatch train", description="Train the 3-class mask classifier.")
    p.add_argument("--arch", default="mobilenet_v3_small", choices=["mobilenet_v3_small", "report_cnn"])
    p.add_argument("--input-size", type=int, default=64)
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--weight-decay", type=float, default=1e-4)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--data", default=str(data_root()), help="../shared/datasets")
    p.add_argument(
        "--synth-manifests",
        nargs="*",
        default=[str(REPO_ROOT / "build" / d / "manifest.jsonl") for d in ("synth", "synth_incorrect")],
        help="manifests written by maskwatch synth",
    )
    p.add_argument("--cache", default=str(REPO_ROOT / "build" / "crops.npz"), help="crop table cache")
    p.add_argument("--work", default=str(REPO_ROOT / "build" / "classifier"), help="checkpoints")
    p.add_argument("--out", default=str(default_classifier_path()))
    p.add_argument("--resume", action="store_true")
    p.add_argument(
        "--balanced",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="draw every class equally often (default on)",
    )
    p.add_argument(
        "--judged-accuracy",
        type=float,
        default=0.95,
        help="verdicts must be right this often on validation faces; less confident ones are unknown",
    )
    p.add_argument(
        "--folds",
        type=int,
        default=0,
        help="k-fold cross-validation over the training pool instead "
        "of training the shipped model (writes WORK/ARCH/cross_validation.json)",
    )
    return p
