"""Face detectors. `FaceDetector` is the interface; `PyramidFaceDetector` is our own one-stage network,
`MtcnnFaceDetector` wraps facenet-pytorch's MTCNN."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import cv2
import numpy as np
import torch

from .types import Face

if TYPE_CHECKING:
    from .pyramid_net import PyramidFaceNet

MTCNN_NETS = ("pnet", "rnet", "onet")


class FaceDetector(Protocol):
    #: the name DETECTOR and --detector give it
    name: str

    def detect(self, frame: np.ndarray) -> list[Face]:
        """Find faces in an RGB uint8 frame (H, W, 3); boxes in that frame's pixels."""
        ...

    def detect_batch(self, frames: list[np.ndarray]) -> list[list[Face]]:
        """Like detect, for several frames of the same size at once."""
        ...


def frame_scale(height: int, width: int, max_side: int | None, upscale_below: int | None) -> float:
    """Factor a frame is resized by before detection.

    Large frames are shrunk so their longer side is `max_side` (faster, loses tiny faces); small
    frames whose longer side is under `upscale_below` are enlarged to it, so faces smaller than the
    detector's minimum size become findable. Example: frame_scale(366, 512, None, 1024) == 2.0.
    """
    longer = max(height, width)
    if max_side and longer > max_side:
        return max_side / longer
    if upscale_below and longer < upscale_below:
        return upscale_below / longer
    return 1.0


def resize_for_detection(
    frame: np.ndarray, max_side: int | None, upscale_below: int | None
) -> tuple[np.ndarray, float]:
    """The frame resized by `frame_scale`, and that factor (1.0: the frame itself)."""
    scale = frame_scale(frame.shape[0], frame.shape[1], max_side, upscale_below)
    if scale == 1.0:
        return frame, 1.0
    size = (max(1, round(frame.shape[1] * scale)), max(1, round(frame.shape[0] * scale)))
    interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    return cv2.resize(frame, size, interpolation=interp), scale


def clipped_box(box, width: int, height: int, min_side: float = 2) -> tuple[float, float, float, float] | None:
    """The box clipped to the frame, or None when a side is then under min_side pixels."""
    x1, x2 = float(np.clip(box[0], 0, width)), float(np.clip(box[2], 0, width))
    y1, y2 = float(np.clip(box[1], 0, height)), float(np.clip(box[3], 0, height))
    return (x1, y1, x2, y2) if min(x2 - x1, y2 - y1) >= min_side else None


def load_mtcnn_weights(mtcnn, weights_dir: str | Path) -> list[str]:
    """Load fine-tuned P/R/O-Net state dicts found in `weights_dir`; returns the names loaded."""
    loaded = []
    for name in MTCNN_NETS:
        path = Path(weights_dir) / f"{name}.pt"
        if path.exists():
            state = torch.load(path, map_location="cpu", weights_only=True)
            getattr(mtcnn, name).load_state_dict(state)
            loaded.append(name)
    return loaded


class MtcnnFaceDetector:
    """MTCNN (facenet-pytorch) face detector with the five landmarks.

    Args:
        min_face_size: smallest face in pixels of the resized frame, default 20.
        thresholds: P-Net, R-Net, O-Net score thresholds, default (0.6, 0.7, 0.7).
        min_score: drop faces whose final score is below this, default 0.9.
        threads: torch intra-op threads (process-wide); None leaves torch's setting alone.
        max_side: shrink frames whose longer side exceeds this; None keeps them.
        upscale_below: enlarge frames whose longer side is below this; None keeps them.
        weights_dir: folder with fine-tuned pnet.pt / rnet.pt / onet.pt; None uses the stock weights.

    Example: MtcnnFaceDetector(min_face_size=40).detect(rgb_frame)
    """

    name = "mtcnn"

    def __init__(
        self,
        min_face_size: int = 20,
        thresholds: tuple[float, float, float] = (0.6, 0.7, 0.7),
        min_score: float = 0.9,
        threads: int | None = None,
        max_side: int | None = None,
        upscale_below: int | None = None,
        weights_dir: str | Path | None = None,
    ):
        from facenet_pytorch import MTCNN

        if threads:
            torch.set_num_threads(threads)
        self.min_score = min_score
        self.max_side = max_side
        self.upscale_below = upscale_below
        self.mtcnn = MTCNN(
            keep_all=True,
            min_face_size=min_face_size,
            thresholds=list(thresholds),
            post_process=False,
            select_largest=False,
            device="cpu",
        )
        self.weights_loaded = load_mtcnn_weights(self.mtcnn, weights_dir) if weights_dir else []
        self.mtcnn.eval()

    def detect(self, frame: np.ndarray) -> list[Face]:
        return self.detect_batch([frame])[0]

    def detect_batch(self, frames: list[np.ndarray]) -> list[list[Face]]:
        if not frames:
            return []
        resized = [resize_for_detection(np.ascontiguousarray(f), self.max_side, self.upscale_below) for f in frames]
        fits = [self._pyramid_fits(r[0]) for r in resized]
        if not all(fits):  # facenet-pytorch fails on a frame too small for its smallest face; none fits there
            return [self.detect_batch([f])[0] if ok else [] for f, ok in zip(frames, fits)]
        shapes = {r[0].shape for r in resized}
        with torch.inference_mode():
            if len(shapes) == 1:
                boxes, probs, points = self.mtcnn.detect(np.stack([r[0] for r in resized]), landmarks=True)
            else:
                outs = [self.mtcnn.detect(r[0], landmarks=True) for r in resized]
                boxes, probs, points = zip(*outs)
        results = []
        for (_resized, scale), fb, fp, fl, original in zip(resized, boxes, probs, points, frames):
            results.append(self._to_faces(fb, fp, fl, scale, original.shape))
        return results

    def _pyramid_fits(self, frame: np.ndarray) -> bool:
        """MTCNN's image pyramid has a level (facenet-pytorch's own arithmetic): the frame holds a min_face_size face."""
        return min(frame.shape[:2]) * (12.0 / self.mtcnn.min_face_size) >= 12

    def _to_faces(self, boxes, probs, points, scale, shape) -> list[Face]:
        if boxes is None or len(boxes) == 0:
            return []
        # facenet-pytorch 2.5.3 returns object arrays
        boxes = np.asarray(boxes).astype(np.float32) / scale
        probs = np.asarray(probs).astype(np.float32)
        points = np.asarray(points).astype(np.float32) / scale
        height, width = shape[:2]
        faces = []
        for box, prob, landmarks in zip(boxes, probs, points):
            clipped = clipped_box(box, width, height) if prob >= self.min_score else None
            if clipped is not None:
                faces.append(Face(clipped, float(prob), landmarks))
        return faces


def onnx_session(path: str | Path, threads: int):
    """An onnxruntime CPU session that does not spin idle threads (it shares the cores with torch)."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = max(1, threads)
    options.inter_op_num_threads = 1
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    # Frames come in many sizes; the arena keeps a block for each size it has seen, so a server's memory grew.
    options.enable_cpu_mem_arena = False
    return onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


class PyramidFaceDetector:
    """Our one-stage face detector (`pyramid_net.PyramidFaceNet`): the whole frame once, no image pyramid.

    Args:
        weights: the trained network: an ONNX file (models/face_detector.onnx, run by onnxruntime) or a
            torch state dict (.pt); or net, a PyramidFaceNet in memory (training's validation).
        min_score: faces scoring below this are dropped, default 0.05 (low, so the ranking stays
            complete for evaluation; the product applies its operating threshold on top).
        nms_iou: boxes overlapping a better one by more than this are dropped, default 0.4.
        min_face_size: faces whose shorter side is below this in the resized frame are dropped (as MTCNN's
            min_face_size, so a profile means the same for both), default 0.
        upscale_below / max_side: resize frames whose longer side is below / above these first.
        threads: torch intra-op threads (process-wide); None leaves torch's setting alone.

    Example: PyramidFaceDetector("models/face_detector.pt").detect(rgb_frame)
    """

    name = "pyramid"

    def __init__(
        self,
        weights: str | Path | None = None,
        min_score: float = 0.05,
        nms_iou: float = 0.4,
        top_k: int = 2000,
        min_face_size: int = 0,
        upscale_below: int | None = None,
        max_side: int | None = None,
        threads: int | None = None,
        net: PyramidFaceNet | None = None,
    ):
        if threads:
            torch.set_num_threads(threads)
        self.session = None
        if net is None:
            if weights is None:
                raise ValueError("PyramidFaceDetector needs weights or a net")
            if str(weights).endswith(".onnx"):
                self.session = onnx_session(weights, threads or torch.get_num_threads())
            else:
                from .pyramid_net import PyramidFaceNet

                net = PyramidFaceNet()
                net.load_state_dict(torch.load(weights, map_location="cpu", weights_only=True))
        self.net = net.eval() if net is not None else None
        self.min_score, self.nms_iou, self.top_k, self.min_face_size = min_score, nms_iou, top_k, min_face_size
        self.upscale_below, self.max_side = upscale_below, max_side
        self._grids: dict[tuple[int, int], list[np.ndarray]] = {}

    def _grid(self, height: int, width: int) -> list[np.ndarray]:
        from .pyramid_net import point_grid

        if (height, width) not in self._grids:
            self._grids[(height, width)] = point_grid(height, width)
        return self._grids[(height, width)]

    def raw_outputs(self, padded: np.ndarray) -> list[np.ndarray]:
        """Per stride (N, P, 15) raw outputs for padded frames (N, H, W, 3)."""
        from .pyramid_net import to_input

        batch = to_input(padded)
        if self.session is not None:
            return self.session.run(None, {"image": batch.numpy()})
        assert self.net is not None  # without an ONNX session __init__ was given or built the net
        with torch.inference_mode():
            return [o.numpy() for o in self.net(batch)]

    def detect(self, frame: np.ndarray) -> list[Face]:
        return self.detect_batch([frame])[0]

    def detect_batch(self, frames: list[np.ndarray]) -> list[list[Face]]:
        from .pyramid_net import pad_frame, select_faces

        results = []
        for frame in frames:
            resized, scale = resize_for_detection(frame, self.max_side, self.upscale_below)
            padded = pad_frame(np.ascontiguousarray(resized))
            outputs = [o[0] for o in self.raw_outputs(padded[None])]
            scores, boxes, landmarks = select_faces(
                outputs, self._grid(*padded.shape[:2]), self.min_score, self.nms_iou, self.top_k
            )
            height, width = frame.shape[:2]
            faces = []
            for score, box, points in zip(scores, boxes / scale, landmarks / scale):
                clipped = clipped_box(box, width, height, max(2, self.min_face_size / scale))
                if clipped is not None:
                    faces.append(Face(clipped, float(score), points.astype(np.float32)))
            results.append(faces)
        return results
