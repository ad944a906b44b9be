"""The three MTCNN networks as facenet-pytorch builds them, and what training needs to know of them."""

from __future__ import annotations

import copy

import cv2
import numpy as np
import torch
import torch.nn as nn

NETS = ("pnet", "rnet", "onet")
INPUT_SIZE = {"pnet": 12, "rnet": 24, "onet": 48}
SOFTMAX_NAME = {"pnet": "softmax4_1", "rnet": "softmax5_1", "onet": "softmax6_1"}


def set_threads() -> None:
    torch.set_num_threads(1)
    cv2.setNumThreads(1)


def stock_nets() -> dict[str, nn.Module]:
    """{"pnet", "rnet", "onet"}: facenet-pytorch's networks with their stock weights, in eval mode."""
    from facenet_pytorch.models.mtcnn import ONet, PNet, RNet

    nets = {"pnet": PNet(), "rnet": RNet(), "onet": ONet()}
    for n in nets.values():
        n.eval()
    return nets


def logits_model(net: nn.Module, name: str) -> nn.Module:
    """A copy of `net` whose classification head outputs logits (softmax -> Identity).
    Same parameters and state-dict keys as the original."""
    model = copy.deepcopy(net)
    setattr(model, SOFTMAX_NAME[name], nn.Identity())
    return model


def normalise(x: torch.Tensor) -> torch.Tensor:
    """detect_face's input normalisation of RGB values 0..255."""
    return (x - 127.5) * 0.0078125


def to_input(xb: np.ndarray, flip: np.ndarray | None = None) -> torch.Tensor:
    """Network input from uint8 crops (K,3,S,S); the crops where `flip` is True mirrored left-right."""
    x = normalise(torch.from_numpy(xb).float())
    if flip is not None and flip.any():
        f = torch.from_numpy(flip)
        x[f] = x[f].flip(3)
    return x


def heads(out, name: str) -> tuple[torch.Tensor, torch.Tensor]:
    """(box regression (K,4), face classification (K,2)) of a net's output for K crops of its input size.

    O-Net's output is (regression, landmarks, classification); P-Net's are 1x1 maps."""
    reg, cls = out[0], out[1] if name != "onet" else out[2]
    if name == "pnet":
        reg, cls = reg[:, :, 0, 0], cls[:, :, 0, 0]
    return reg, cls
