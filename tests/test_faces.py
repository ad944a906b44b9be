import numpy as np
import pytest

from maskwatch.detection.faces import frame_scale
from maskwatch.training.metrics import iou_matrix
from maskwatch_testing.faces import ASTRONAUT_FACE, GRACE_HOPPER_FACE


@pytest.mark.parametrize("photo, expected", [("astronaut", ASTRONAUT_FACE), ("grace_hopper", GRACE_HOPPER_FACE)])
def test_finds_the_one_face_with_landmarks_inside_it(request, face_detector, photo, expected):
    faces = face_detector.detect(request.getfixturevalue(photo))
    assert len(faces) == 1
    face = faces[0]
    assert iou_matrix([face.box], [expected])[0, 0] > 0.6
    assert face.score > 0.95
    x1, y1, x2, y2 = face.box
    assert face.landmarks.shape == (5, 2)
    assert np.all((face.landmarks[:, 0] > x1) & (face.landmarks[:, 0] < x2))
    assert np.all((face.landmarks[:, 1] > y1) & (face.landmarks[:, 1] < y2))
    left_eye, right_eye, nose, mouth_left, mouth_right = face.landmarks
    assert left_eye[1] < nose[1] < mouth_left[1]  # eyes above nose above mouth


def test_no_face_in_a_blank_frame(face_detector):
    assert face_detector.detect(np.full((240, 320, 3), 127, np.uint8)) == []


def test_several_faces_in_one_frame(face_detector, astronaut, grace_hopper):
    frame = np.zeros((600, 1024, 3), np.uint8)
    frame[:512, :512] = astronaut
    frame[:, 512:] = grace_hopper
    boxes = sorted(f.box for f in face_detector.detect(frame))
    assert len(boxes) == 2
    assert boxes[0][2] < 512 <= boxes[1][0]


@pytest.mark.parametrize("option", [{"max_side": 256}, {"upscale_below": 1024}])
def test_resized_detection_reports_boxes_in_original_pixels(face_detector, astronaut, option):
    from maskwatch.detection import MtcnnFaceDetector

    resized = MtcnnFaceDetector(**option).detect(astronaut)
    assert len(resized) == 1
    assert iou_matrix([resized[0].box], [ASTRONAUT_FACE])[0, 0] > 0.6


def test_batch_detection_matches_single_frames(face_detector, astronaut):
    single = face_detector.detect(astronaut)
    batch = face_detector.detect_batch([astronaut, astronaut[:, ::-1].copy()])
    assert len(batch) == 2 and len(batch[0]) == len(single) == 1
    assert np.allclose(batch[0][0].box, single[0].box, atol=1)
    mirrored_x1 = 512 - batch[1][0].box[2]
    assert abs(mirrored_x1 - single[0].box[0]) < 6


@pytest.mark.parametrize(
    "shape, max_side, upscale_below, expected",
    [
        ((480, 640), None, None, 1.0),
        ((720, 1280), 640, None, 0.5),
        ((366, 512), None, 1024, 2.0),
        ((720, 1280), None, 1024, 1.0),
    ],
)
def test_frame_scale(shape, max_side, upscale_below, expected):
    assert frame_scale(*shape, max_side, upscale_below) == pytest.approx(expected)
