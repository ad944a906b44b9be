"""maskwatch export-detector: a trained PyramidFaceNet state dict to ONNX (any frame size), checked
against torch on a random frame before it is written, with a copy of the state dict (.pt, for the
torch path) and its operating threshold in a JSON file beside it: the score that gives the best F1 on
the validation scenes of kaggle and adityap27 (street scenes like the product's; never the test scenes).

Example: maskwatch export-detector build/detector/run/best.pt --out models/face_detector.onnx
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

import numpy as np
import torch

from ...detection.pyramid_net import STRIDES, PyramidFaceNet
from ...paths import models_dir


def export_onnx(state_dict: Path, out: Path) -> float:
    """Writes the ONNX file; returns the largest difference between torch and onnxruntime outputs."""
    from ...detection.faces import onnx_session

    net = PyramidFaceNet()
    net.load_state_dict(torch.load(state_dict, map_location="cpu", weights_only=True))
    net.eval()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp.onnx")
    names = [f"stride{s}" for s in STRIDES]
    torch.onnx.export(
        net,
        (torch.zeros(1, 3, 480, 640),),
        str(tmp),
        input_names=["image"],
        output_names=names,
        dynamic_axes={"image": {0: "batch", 2: "height", 3: "width"}, **{n: {0: "batch", 1: "points"} for n in names}},
        opset_version=17,
        dynamo=False,
    )
    frame = np.random.default_rng(0).uniform(-1, 1, (1, 3, 352, 544)).astype(np.float32)
    with torch.inference_mode():
        expected = [o.numpy() for o in net(torch.from_numpy(frame))]
    got = onnx_session(tmp, 1).run(None, {"image": frame})
    difference = max(float(np.abs(a - b).max()) for a, b in zip(expected, got))
    if difference > 1e-3:
        tmp.unlink()
        raise RuntimeError(f"ONNX and torch outputs differ by {difference}")
    tmp.replace(out)
    return difference


def choose_threshold(weights: Path, scenes) -> dict:
    """The detector's score with the best F1 over `scenes`, and its precision and recall there."""
    from ...detection.faces import PyramidFaceDetector
    from ..metrics import average_precision
    from .evaluate import run_detector

    predictions, _ = run_detector(PyramidFaceDetector(weights, min_score=0.05), scenes)
    result = average_precision(predictions, [s.boxes for s in scenes])
    scores = np.sort(np.concatenate([p[1] for p in predictions]))[::-1]
    f1 = 2 * result.precision * result.recall / np.maximum(result.precision + result.recall, 1e-9)
    best = int(np.argmax(f1))
    return {
        "operating_threshold": round(float(scores[best]), 4),
        "val_f1": round(float(f1[best]), 4),
        "val_precision": round(float(result.precision[best]), 4),
        "val_recall": round(float(result.recall[best]), 4),
        "val_face_ap": round(float(result.ap), 4),
        "val_scenes": len(scenes),
    }


def main(argv=None) -> None:
    p = argparse.ArgumentParser(prog="maskwatch export-detector", description=__doc__.split("\n")[0])
    p.add_argument("weights", help="state dict from maskwatch train-detector (OUT/best.pt)")
    p.add_argument("--out", default=str(models_dir() / "face_detector.onnx"))
    args = p.parse_args(argv)
    out = Path(args.out)
    difference = export_onnx(Path(args.weights), out)
    shutil.copyfile(args.weights, out.with_suffix(".pt"))
    print(f"{out}: torch and onnxruntime agree within {difference:.2e}")
    from ...paths import data_root
    from .data import load_detector_scenes

    val = [s for s in load_detector_scenes(data_root(), None) if s.split == "val"]
    chosen = choose_threshold(out, val)
    out.with_suffix(".json").write_text(json.dumps(chosen, indent=2) + "\n")
    print(json.dumps(chosen))
