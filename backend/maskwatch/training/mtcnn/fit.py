"""Fine-tuning one net on its samples: losses with online hard example mining, epochs, validation."""

from __future__ import annotations

import copy
import math
import time
import warnings
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from .nets import heads, logits_model, stock_nets, to_input
from .samples import NEG, PART, POS

OHEM_KEEP = 0.7  # share of the classification terms kept, the hardest (as in the MTCNN paper)


def batch_losses(model, name, x, y, r, teacher=None, ohem=OHEM_KEEP, box_weight=0.5, lm_weight=0.5):
    """(total loss, {"cls", "box", "lm", "acc"}) of one batch: cross-entropy of the hardest `ohem`
    share of the pos/neg samples, squared box-offset error of the pos/part samples and, with an O-Net
    `teacher`, squared distance of the landmark head to the teacher's."""
    out = model(x)
    reg, logits = heads(out, name)
    cls_mask = (y == POS) | (y == NEG)
    loss_cls = torch.zeros(())
    if cls_mask.any():
        ce = F.cross_entropy(logits[cls_mask], y[cls_mask].long(), reduction="none")
        k = max(1, int(math.ceil(ohem * len(ce))))
        loss_cls = torch.topk(ce, k).values.mean()
    box_mask = (y == POS) | (y == PART)
    loss_box = torch.zeros(())
    if box_mask.any():
        loss_box = F.mse_loss(reg[box_mask], r[box_mask], reduction="none").sum(1).mean()
    loss_lm = torch.zeros(())
    if teacher is not None and box_mask.any():
        # keep O-Net's landmark head close to the stock one (no landmark labels in the scenes set)
        with torch.no_grad():
            t_lm = teacher(x[box_mask])[1]
        loss_lm = F.mse_loss(out[1][box_mask], t_lm, reduction="none").sum(1).mean()
    total = loss_cls + box_weight * loss_box + lm_weight * loss_lm
    with torch.no_grad():
        acc = (
            (logits[cls_mask].argmax(1) == y[cls_mask].long()).float().mean()
            if cls_mask.any()
            else torch.tensor(float("nan"))
        )
    return total, {"cls": loss_cls.item(), "box": loss_box.item(), "lm": loss_lm.item(), "acc": acc.item()}


def flip_regs(r: np.ndarray, flip: np.ndarray) -> np.ndarray:
    """Regression targets of the crops mirrored left-right where `flip`: dx1, dx2 -> -dx2, -dx1."""
    r = r.copy()
    r[flip, 0], r[flip, 2] = -r[flip, 2], -r[flip, 0].copy()
    return r


def train_one_epoch(model, name, data, optimizer, rng, batch_size=256, teacher=None, scheduler=None):
    """One pass over (crops uint8, labels, reg targets) with random horizontal flips."""
    model.train()
    x, y, r = data
    order = rng.permutation(len(y))
    sums, n = {}, 0
    for start in range(0, len(order), batch_size):
        idx = np.sort(order[start : start + batch_size])
        flip = rng.random(len(idx)) < 0.5
        xb = to_input(x[idx], flip)
        rb = torch.from_numpy(flip_regs(r[idx], flip))
        yb = torch.from_numpy(y[idx].astype(np.int64))
        loss, parts = batch_losses(model, name, xb, yb, rb, teacher)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if scheduler is not None:
            scheduler.step()
        for k, v in parts.items():
            if not math.isnan(v):
                sums[k] = sums.get(k, 0.0) + v
        n += 1
    return {k: v / max(n, 1) for k, v in sums.items()}


@torch.no_grad()
def evaluate_samples(model, name, data, batch_size=1024):
    """Sample-level validation: classification accuracy (pos/neg), recall of positives at 0.5,
    box-offset MSE on pos+part."""
    model.eval()
    x, y, r = data
    probs, regs = [], []
    for s in range(0, len(y), batch_size):
        reg, logits = heads(model(to_input(x[s : s + batch_size])), name)
        probs.append(F.softmax(logits, 1)[:, 1])
        regs.append(reg)
    p = torch.cat(probs).numpy()
    reg = torch.cat(regs).numpy()
    pos, neg, box = y == POS, y == NEG, (y == POS) | (y == PART)
    return {
        "acc": float(np.mean(np.concatenate([p[pos] >= 0.5, p[neg] < 0.5]))),
        "pos_recall": float(np.mean(p[pos] >= 0.5)),
        "neg_reject": float(np.mean(p[neg] < 0.5)),
        "box_mse": float(np.mean(np.sum((reg[box] - r[box]) ** 2, 1))),
    }


def latest_checkpoint(work: Path, name: str, epochs: int) -> Path | None:
    """The last epoch checkpoint of `name` in work (at most `epochs`), or None."""
    found = [(int(p.stem.rsplit("epoch", 1)[1]), p) for p in work.glob(f"{name}_epoch*.pt")]
    found = [(e, p) for e, p in found if e <= epochs]
    return max(found)[1] if found else None


def best_of(history, states):
    """(score, epoch, state) of the best epoch by val acc - box_mse among those with a state."""
    scored = [(h["val"]["acc"] - h["val"]["box_mse"], h["epoch"]) for h in history if h["epoch"] in states]
    score, epoch = max(scored, key=lambda t: (t[0], -t[1]))
    return score, epoch, states[epoch]


def fit(name, net, train_data, val_data, epochs, lr, seed, work: Path, log=print, resume=False):
    """Fine-tune one net from `net`'s weights; a checkpoint dict per epoch in `work`.

    `net` ends with the weights of the best epoch (by val acc - box_mse; epoch 0 = as given), also
    saved as work/{name}.pt. With `resume`, training goes on after the last epoch checkpoint in work
    (weights, optimizer, learning-rate schedule and history; the shuffling order restarts from a
    seed derived from the epoch). Returns (net, history, best epoch)."""
    torch.manual_seed(seed)
    model = logits_model(net, name)
    teacher = stock_nets()["onet"] if name == "onet" else None
    batch_size = 256
    steps_per_epoch = math.ceil(len(train_data[1]) / batch_size)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=lr, total_steps=epochs * steps_per_epoch, pct_start=0.1
    )
    states = {0: copy.deepcopy(model.state_dict())}
    start = 1
    checkpoint = latest_checkpoint(work, name, epochs) if resume else None
    if checkpoint is not None:
        saved = torch.load(checkpoint, weights_only=False)
        history = saved["history"]
        for h in history:
            if h["epoch"] > 0 and (work / f"{name}_epoch{h['epoch']}.pt").exists():
                states[h["epoch"]] = torch.load(work / f"{name}_epoch{h['epoch']}.pt", weights_only=False)["state_dict"]
        model.load_state_dict(saved["state_dict"])
        optimizer.load_state_dict(saved["optimizer"])
        with warnings.catch_warnings():  # stepping with no optimizer step is the point here
            warnings.simplefilter("ignore", UserWarning)
            for _ in range(saved["epoch"] * steps_per_epoch):
                scheduler.step()  # the schedule is a pure function of the step count
        start = saved["epoch"] + 1
        log(f"{name} resumed after epoch {saved['epoch']} from {checkpoint.name}")
    else:
        history = [{"epoch": 0, "val": evaluate_samples(model, name, val_data)}]
        log(f"{name} stock val {history[0]['val']}")
    best = best_of(history, states)
    for epoch in range(start, epochs + 1):
        rng = np.random.default_rng([seed, epoch])
        t0 = time.time()
        tr = train_one_epoch(model, name, train_data, optimizer, rng, batch_size, teacher, scheduler)
        val = evaluate_samples(model, name, val_data)
        history.append({"epoch": epoch, "train": tr, "val": val, "seconds": time.time() - t0})
        log(f"{name} epoch {epoch} train {tr} val {val} {time.time() - t0:.0f}s")
        state = copy.deepcopy(model.state_dict())
        torch.save(
            {
                "net": name,
                "epoch": epoch,
                "state_dict": state,
                "optimizer": optimizer.state_dict(),
                "history": history,
                "lr": lr,
                "seed": seed,
            },
            work / f"{name}_epoch{epoch}.pt",
        )
        score = val["acc"] - val["box_mse"]
        if score > best[0]:
            best = (score, epoch, state)
    log(f"{name} best epoch {best[1]}")
    net.load_state_dict(best[2])
    torch.save(best[2], work / f"{name}.pt")
    return net, history, best[1]
