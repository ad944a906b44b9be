"""detect_face's first two stages, to find the candidates R-Net and O-Net see (and are trained on)."""

from __future__ import annotations

import numpy as np
import torch

from .crops import crop_boxes
from .nets import normalise


@torch.no_grad()
def stage_candidates(
    img: torch.Tensor,
    pnet,
    rnet,
    minsize: float,
    thresholds,
    upto: str,
    factor: float = 0.709,
    with_stage1: bool = False,
):
    """Candidate boxes (K,5) that detect_face hands to R-Net (upto='rnet') or O-Net (upto='onet').

    A copy of detect_face's first two stages for one image (1,3,H,W) float tensor. With
    `with_stage1`, a pair: (those candidates, the P-Net stage's candidates)."""
    from facenet_pytorch.models.utils.detect_face import bbreg, generateBoundingBox, imresample, rerec
    from torchvision.ops.boxes import batched_nms

    h, w = img.shape[2:]
    m = 12.0 / minsize
    minl = min(h, w) * m
    scales, s = [], m
    while minl >= 12:
        scales.append(s)
        s *= factor
        minl *= factor
    boxes, inds = [], []
    for scale in scales:
        im = normalise(imresample(img, (int(h * scale + 1), int(w * scale + 1))))
        reg, probs = pnet(im)
        bs, ii = generateBoundingBox(reg, probs[:, 1], scale, thresholds[0])
        pick = batched_nms(bs[:, :4], bs[:, 4], ii, 0.5)
        boxes.append(bs[pick])
        inds.append(ii[pick])
    boxes = torch.cat(boxes)
    inds = torch.cat(inds)
    if len(boxes) == 0:
        empty = np.zeros((0, 5), np.float32)
        return (empty, empty.copy()) if with_stage1 else empty
    pick = batched_nms(boxes[:, :4], boxes[:, 4], inds, 0.7)
    boxes = boxes[pick]
    regw = boxes[:, 2] - boxes[:, 0]
    regh = boxes[:, 3] - boxes[:, 1]
    boxes = torch.stack(
        [
            boxes[:, 0] + boxes[:, 5] * regw,
            boxes[:, 1] + boxes[:, 6] * regh,
            boxes[:, 2] + boxes[:, 7] * regw,
            boxes[:, 3] + boxes[:, 8] * regh,
            boxes[:, 4],
        ]
    ).permute(1, 0)
    boxes = rerec(boxes)
    if upto == "rnet" or len(boxes) == 0:
        out = boxes.numpy().astype(np.float32)
        return (out, out.copy()) if with_stage1 else out
    stage1 = boxes.numpy().astype(np.float32).copy()
    crops, keep = crop_boxes(img, boxes[:, :4].numpy(), 24)
    boxes = boxes[torch.from_numpy(keep)]
    if len(boxes) == 0:
        return (np.zeros((0, 5), np.float32), stage1) if with_stage1 else np.zeros((0, 5), np.float32)
    reg, prob = rnet(normalise(torch.from_numpy(crops).float()))
    score = prob[:, 1]
    ok = score > thresholds[1]
    boxes = torch.cat((boxes[ok, :4], score[ok, None]), 1)
    reg = reg[ok]
    pick = batched_nms(boxes[:, :4], boxes[:, 4], torch.zeros(len(boxes), dtype=torch.long), 0.7)
    boxes = rerec(bbreg(boxes[pick], reg[pick]))
    if with_stage1:
        return boxes.numpy().astype(np.float32), stage1
    return boxes.numpy().astype(np.float32)
