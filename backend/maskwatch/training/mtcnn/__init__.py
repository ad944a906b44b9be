"""Fine-tune facenet-pytorch's MTCNN (P-Net, R-Net, O-Net) on the kaggle-scenes training split.

Stock MTCNN was trained on unmasked faces and misses many masked and tiny faces in the scenes set.
This package generates samples from the *training* scenes only (`split_scenes`), as in the MTCNN
paper (positives IoU >= 0.65, part faces 0.4-0.65, negatives < 0.3), fine-tunes the three networks
from the stock weights, and evaluates stock vs tuned on the held-out test scenes through our
`MtcnnFaceDetector` (i.e. facenet-pytorch's own inference code path).

Modules, in the order the command uses them:
- `nets`: the three networks, their input sizes and heads, and the input normalisation.
- `crops`: crops of boxes resampled the way detect_face does.
- `cascade`: detect_face's first two stages, the candidates R-Net and O-Net are trained on.
- `samples`: labelled training samples (IoU labels, regression targets, jittered and mined crops).
- `fit`: losses with OHEM, one epoch, sample-level validation, the fine-tuning loop.
- `bench`: the detector on the held-out test scenes, every setting and weight combination.
- `report`: the benchmark table, the choice of shipped nets, the results files.
- `command`: `main(argv)`, the `maskwatch tune-mtcnn` command line.

Conventions copied from facenet_pytorch/models/utils/detect_face.py:
- images are RGB, NCHW (no H/W transpose of the image; R/O-Net transpose only inside their flatten),
  normalised as (x - 127.5) * 0.0078125; crops resampled with F.interpolate(mode="area").
- boxes are 1-based inclusive pixel coordinates: box (x1, y1, x2, y2) crops
  img[y1 - 1:y2, x1 - 1:x2] after `pad` (truncation, clipping to the image; no zero padding).
- P-Net regression: new = box + reg * (x2 - x1) (no +1, see the first stage of detect_face);
  R/O-Net regression (bbreg): new = box + reg * (x2 - x1 + 1).
- the face probability is softmax output index 1.

Reproduce:
    python -m maskwatch.training.mtcnn --data ../shared/datasets/kaggle-scenes-train \
        --out models/mtcnn --nets pnet,rnet,onet --epochs 6 --seed 0 --bench
"""
