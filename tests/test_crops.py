import numpy as np
import pytest

from maskwatch.detection.crops import crop_face, square_box, to_tensor


def test_square_box_is_centred_and_enlarged():
    x1, y1, x2, y2 = square_box((10, 20, 50, 100), margin=0.25)
    assert x2 - x1 == y2 - y1 == 120
    assert (x1 + x2) / 2 == 30 and (y1 + y2) / 2 == 60


@pytest.mark.parametrize("box", [(0, 0, 40, 40), (-20, -20, 10, 10), (90, 90, 130, 140), (30, 30, 31, 31)])
def test_crop_has_requested_size_even_at_the_border(box):
    frame = np.random.default_rng(0).integers(0, 255, (100, 100, 3), dtype=np.uint8)
    assert crop_face(frame, box, 64).shape == (64, 64, 3)


def test_crop_shows_the_boxed_region():
    frame = np.zeros((200, 200, 3), np.uint8)
    frame[50:100, 50:100] = 255
    crop = crop_face(frame, (50, 50, 100, 100), 32, margin=0.0)
    assert crop.mean() > 250


def test_to_tensor_scales_to_minus_one_one():
    crops = [np.zeros((8, 8, 3), np.uint8), np.full((8, 8, 3), 255, np.uint8)]
    tensor = to_tensor(crops)
    assert tuple(tensor.shape) == (2, 3, 8, 8)
    assert float(tensor[0].max()) == -1.0 and float(tensor[1].min()) == 1.0
