"""maskwatch train-detector: train our face detector (PyramidFaceNet) from scratch on CPU.

Each epoch draws a fixed number of training views (kaggle, adityap27 and WIDER scenes by share),
checkpoints to OUT/last.pt, measures face AP on the validation scenes every `--val-every` epochs and
keeps the best by mean validation AP in OUT/best.pt. `--resume` continues from OUT/last.pt. The test
scenes are never read here.

Example: maskwatch train-detector --out build/detector/run --epochs 32 --resume
"""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path

import numpy as np
import torch

from ...detection.faces import PyramidFaceDetector
from ...detection.pyramid_net import PyramidFaceNet, to_input
from ...paths import REPO_ROOT, data_root
from .augment import FacePool, flip, photometric, random_crop
from .data import DEFAULT_WIDER, attach_landmarks, load_detector_scenes
from .evaluate import evaluate_by_source
from .targets import all_points, assign, detector_loss

SOURCE_SHARES = {"kaggle": 0.35, "adityap27": 0.2, "wider": 0.45}


class TrainingViews(torch.utils.data.Dataset):
    """Index i of epoch e is one augmented view, the same for the same (seed, e, i)."""

    def __init__(self, scenes, pool: FacePool | None, size: int, seed: int, paste_prob: float = 0.5):
        self.scenes, self.pool, self.size, self.seed, self.paste_prob = scenes, pool, size, seed, paste_prob
        self.points = all_points(size)
        self.epoch = 0

    def __len__(self) -> int:
        return len(self.scenes)

    def __getitem__(self, index: int):
        rng = np.random.default_rng((self.seed, self.epoch, index))
        scene = self.scenes[index]
        view, boxes, landmarks, ignored = random_crop(scene.read_rgb(), scene.boxes, scene.landmarks, self.size, rng)
        if rng.random() < 0.5:
            view, boxes, landmarks = flip(view, boxes, landmarks)
            ignored = ignored.copy()
            ignored[:, [0, 2]] = self.size - ignored[:, [2, 0]]
        if self.pool is not None and len(self.pool) and rng.random() < self.paste_prob:
            view, boxes, landmarks = self.pool.paste(view, boxes, landmarks, rng, int(rng.integers(1, 5)))
        view = photometric(view, rng)
        assigned, ignore = assign(self.points, boxes, ignored)
        target_boxes = np.zeros((len(self.points), 4), np.float32)
        target_landmarks = np.full((len(self.points), 10), np.nan, np.float32)
        pos = assigned >= 0
        if pos.any():
            target_boxes[pos] = boxes[assigned[pos]]
            lm = landmarks[assigned[pos]]
            target_landmarks[pos] = np.concatenate([lm[..., 0], lm[..., 1]], 1)
        return (
            torch.from_numpy(np.ascontiguousarray(view)),
            torch.from_numpy(target_boxes),
            torch.from_numpy(target_landmarks),
            torch.from_numpy(pos),
            torch.from_numpy(ignore),
        )


def sample_weights(scenes) -> torch.Tensor:
    """Per scene, its source's share (SOURCE_SHARES, renormalised over the sources present: training
    without WIDER FACE, say) split evenly over that source's scenes."""
    counts = {s: sum(1 for sc in scenes if sc.source == s) for s in SOURCE_SHARES}
    total = sum(share for source, share in SOURCE_SHARES.items() if counts[source])
    return torch.tensor([SOURCE_SHARES[sc.source] / total / counts[sc.source] for sc in scenes], dtype=torch.double)


def learning_rate(step: int, total: int, base: float, warmup: int) -> float:
    if step < warmup:
        return base * (step + 1) / warmup
    return base * 0.5 * (1 + math.cos(math.pi * (step - warmup) / max(1, total - warmup)))


def train_one_epoch(net, loader, optimizer, points, epoch, args, log) -> dict:
    net.train()
    sums, n = {}, 0
    started = time.perf_counter()
    for i, (views, target_boxes, target_landmarks, positive, ignore) in enumerate(loader):
        step = epoch * args.iters + i
        for group in optimizer.param_groups:
            group["lr"] = learning_rate(step, args.epochs * args.iters, args.lr, args.warmup)
        raw = torch.cat(net(to_input(views.numpy())), 1)
        terms = detector_loss(raw, points, target_boxes, target_landmarks, positive, ignore)
        optimizer.zero_grad(set_to_none=True)
        terms["loss"].backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 10.0)
        optimizer.step()
        for k, v in terms.items():
            sums[k] = sums.get(k, 0.0) + float(v.detach())
        n += 1
        if i % 20 == 0:
            rate = (i + 1) * args.batch / (time.perf_counter() - started)
            log(
                f"epoch {epoch} iter {i}/{args.iters} "
                + " ".join(f"{k} {v / n:.4f}" for k, v in sums.items())
                + f" lr {optimizer.param_groups[0]['lr']:.5f} {rate:.1f} img/s"
            )
    return {k: v / n for k, v in sums.items()}


def validate(net, scenes) -> dict:
    detector = PyramidFaceDetector(None, net=net, min_score=0.05)
    report = evaluate_by_source(detector, scenes)
    aps = [r["face_ap"] for r in report.values() if r["face_ap"] is not None]
    return {"by_source": report, "mean_ap": float(np.mean(aps)) if aps else 0.0}


def main(argv=None) -> None:
    args = parser().parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    log_file = open(out / "train.log", "a")

    def log(line: str) -> None:
        print(line, flush=True)
        log_file.write(line + "\n")
        log_file.flush()

    scenes = [
        s for s in load_detector_scenes(Path(args.data), Path(args.wider) if args.wider else None) if s.split != "test"
    ]
    attach_landmarks(scenes, Path(args.landmarks))
    train = [s for s in scenes if s.split == "train"]
    val = [s for s in scenes if s.split == "val"]
    log(f"{len(train)} training scenes, {len(val)} validation scenes")
    pool = FacePool(Path(args.data)) if args.paste_prob > 0 else None
    views = TrainingViews(train, pool, args.size, args.seed, args.paste_prob)
    net = PyramidFaceNet()
    optimizer = torch.optim.AdamW(net.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    start_epoch, best = 0, -1.0
    last = out / "last.pt"
    if args.resume and last.exists():
        checkpoint = torch.load(last, map_location="cpu", weights_only=True)
        net.load_state_dict(checkpoint["model"])
        optimizer.load_state_dict(checkpoint["optimizer"])
        start_epoch, best = checkpoint["epoch"] + 1, checkpoint["best_val_ap"]
        log(f"resumed after epoch {checkpoint['epoch']} (best val AP {best:.4f})")
    points = torch.from_numpy(views.points)
    for epoch in range(start_epoch, args.epochs):
        views.epoch = epoch
        sampler = torch.utils.data.WeightedRandomSampler(
            sample_weights(train),
            args.iters * args.batch,
            generator=torch.Generator().manual_seed(args.seed * 1000 + epoch),
        )
        loader = torch.utils.data.DataLoader(
            views,
            batch_size=args.batch,
            sampler=sampler,
            num_workers=args.workers,
            drop_last=True,
            persistent_workers=False,
        )
        losses = train_one_epoch(net, loader, optimizer, points, epoch, args, log)
        record = {"epoch": epoch, "losses": losses}
        if (epoch + 1) % args.val_every == 0 or epoch + 1 == args.epochs:
            record["val"] = validate(net, val)
            log(
                f"epoch {epoch} validation AP "
                + json.dumps({k: round(v["face_ap"], 4) for k, v in record["val"]["by_source"].items()})
                + f" mean {record['val']['mean_ap']:.4f}"
            )
            if record["val"]["mean_ap"] > best:
                best = record["val"]["mean_ap"]
                torch.save(net.state_dict(), out / "best.pt")
                (out / "best.json").write_text(json.dumps(record, indent=2))
        torch.save(
            {
                "model": net.state_dict(),
                "optimizer": optimizer.state_dict(),
                "epoch": epoch,
                "best_val_ap": best,
                "args": vars(args),
                "metrics": record,
            },
            out / "last.tmp",
        )
        (out / "last.tmp").replace(last)
        with open(out / "history.jsonl", "a") as history:
            history.write(json.dumps(record) + "\n")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="maskwatch train-detector", description=__doc__.split("\n")[0])
    p.add_argument("--data", default=str(data_root()))
    p.add_argument(
        "--wider",
        default=str(DEFAULT_WIDER),
        help="WIDER FACE built by ../shared/tools/wider_face.py ('' trains without it: research use only)",
    )
    p.add_argument("--landmarks", default=str(REPO_ROOT / "build" / "detector" / "landmarks.npz"))
    p.add_argument("--out", default=str(REPO_ROOT / "build" / "detector" / "run"))
    p.add_argument("--epochs", type=int, default=32)
    p.add_argument("--iters", type=int, default=200, help="batches per epoch")
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--size", type=int, default=320, help="side of the square training views")
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--weight-decay", type=float, default=1e-4)
    p.add_argument("--warmup", type=int, default=300, help="steps of linear warm-up")
    p.add_argument("--paste-prob", type=float, default=0.5, help="share of views with faces pasted in")
    p.add_argument("--val-every", type=int, default=2)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--resume", action="store_true")
    return p


if __name__ == "__main__":
    main()
