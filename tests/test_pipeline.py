"""The whole detector, real MTCNN and the shipped classifier weights, on real faces with drawn masks."""

import cv2
import numpy as np
import pytest

from maskwatch.detection import LABELS, Face
from maskwatch.detection.draw import COLOURS, draw_detections
from maskwatch.training.metrics import iou_matrix
from maskwatch.training.synth import draw_plain_mask
from maskwatch_testing.faces import ASTRONAUT_FACE, GRACE_HOPPER_FACE

PHOTOS = [("astronaut", ASTRONAUT_FACE), ("grace_hopper", GRACE_HOPPER_FACE)]


def masked(image, face_detector, placement, colour=(165, 205, 235)):
    face = face_detector.detect(image)[0]
    return draw_plain_mask(image, face.landmarks, placement, colour)


@pytest.mark.parametrize("photo, expected_box", PHOTOS)
def test_bare_face_is_no_mask(request, mask_detector, photo, expected_box):
    detections = mask_detector.detect(request.getfixturevalue(photo))
    assert len(detections) == 1
    assert detections[0].label == "no_mask"
    assert iou_matrix([detections[0].box], [expected_box])[0, 0] > 0.6


@pytest.mark.parametrize("photo, expected_box", PHOTOS)
@pytest.mark.parametrize("colour", [(165, 205, 235), (40, 40, 45), (245, 245, 245)])
def test_drawn_mask_flips_the_verdict_to_mask(request, face_detector, mask_detector, photo, expected_box, colour):
    image = masked(request.getfixturevalue(photo), face_detector, "correct", colour)
    detections = mask_detector.detect(image)
    assert len(detections) == 1
    assert detections[0].label == "mask"
    assert iou_matrix([detections[0].box], [expected_box])[0, 0] > 0.5


@pytest.mark.parametrize("photo, expected_box", PHOTOS)
@pytest.mark.parametrize("placement", ["nose_uncovered", "chin"])
def test_a_badly_worn_mask_on_a_large_face_is_incorrect(
    request, face_detector, mask_detector, photo, expected_box, placement
):
    image = masked(request.getfixturevalue(photo), face_detector, placement)
    image = cv2.resize(
        image, None, fx=1.25, fy=1.25, interpolation=cv2.INTER_CUBIC
    )  # the astronaut's face: 86 -> 107 px
    detections = mask_detector.detect(image)
    assert len(detections) == 1 and detections[0].face.size >= 96
    assert detections[0].label == "incorrect"


def _at_width(photo, box, side, blur=0.0):
    scale = side / (box[2] - box[0])
    small = cv2.resize(photo, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    return (cv2.GaussianBlur(small, (0, 0), blur) if blur else small), Face(tuple(v * scale for v in box), 0.99)


@pytest.mark.parametrize("photo, box", PHOTOS)
def test_a_blurred_12_px_face_is_unknown_and_a_sharp_one_is_judged(request, mask_detector, photo, box):
    blurred, face = _at_width(request.getfixturevalue(photo), box, 12, blur=2.0)
    assert mask_detector.classify(blurred, [face])[0].label == "unknown"
    sharp, face = _at_width(request.getfixturevalue(photo), box, 12)
    assert mask_detector.classify(sharp, [face])[0].label == "no_mask"


def test_probabilities_are_a_distribution(mask_detector, astronaut):
    detection = mask_detector.detect(astronaut)[0]
    assert set(detection.probs) == set(LABELS)
    assert sum(detection.probs.values()) == pytest.approx(1.0, abs=1e-4)
    assert detection.score == max(detection.probs.values())


def test_all_faces_of_a_frame_are_labelled(face_detector, mask_detector, astronaut, grace_hopper):
    frame = np.zeros((600, 1024, 3), np.uint8)
    frame[:512, :512] = masked(astronaut, face_detector, "correct")
    frame[:, 512:] = grace_hopper
    labels = [d.label for d in sorted(mask_detector.detect(frame), key=lambda d: d.box[0])]
    assert labels == ["mask", "no_mask"]


def test_draw_puts_the_verdict_colour_on_the_box(mask_detector, astronaut):
    detections = mask_detector.detect(astronaut)
    drawn = draw_detections(astronaut, detections)
    assert drawn.shape == astronaut.shape and not np.array_equal(drawn, astronaut)
    x1, y1, x2, y2 = (int(round(v)) for v in detections[0].box)
    assert tuple(drawn[(y1 + y2) // 2, x1]) == COLOURS[detections[0].label]
    assert np.array_equal(drawn[300:, 300:], astronaut[300:, 300:])  # nothing drawn away from the face


def test_draw_begins_each_caption_with_the_person_number_when_given(mask_detector, astronaut):
    detections = mask_detector.detect(astronaut)[:1]
    plain = draw_detections(astronaut, detections)
    numbered = draw_detections(astronaut, detections, numbers=[12])
    changed = lambda drawn: int((drawn != astronaut).any(axis=2).sum())  # noqa: E731
    assert changed(numbered) > changed(plain)  # "#12 " widens the caption's band
    x1, y1, x2, y2 = (int(round(v)) for v in detections[0].box)
    assert np.array_equal(numbered[y1 + 3 : y2 - 3, x1 + 3 : x2 - 3], plain[y1 + 3 : y2 - 3, x1 + 3 : x2 - 3])
