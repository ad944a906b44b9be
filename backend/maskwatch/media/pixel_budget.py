"""A cap on the pixels of pictures being worked on at once.

Each picture is bounded by MAX_IMAGE_PIXELS, but the server answers uploads on many threads: without a
cap, four 40-megapixel photos arriving together would be decoded side by side (see DEFAULT_MAX_PIXELS
in images.py for the cost per pixel) and could take gigabytes. A request holds its picture's pixels from
decoding until its answer is built; one that cannot get them within the wait is refused as busy instead
of queueing.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager

from .errors import MediaError


class PixelBudget:
    """Pixels handed out to the pictures in work, never more than `max_pixels` together.

    A picture larger than the whole budget may still run, alone. Example:
        budget = PixelBudget(40_000_000, wait_s=20)
        with budget.hold(width * height):
            rgb = decode_image(data)
    """

    def __init__(self, max_pixels: int, wait_s: float):
        self.max_pixels = max(1, max_pixels)
        self.wait_s = wait_s
        self._in_use = 0
        self._changed = threading.Condition()

    @property
    def in_use(self) -> int:
        with self._changed:
            return self._in_use

    @contextmanager
    def hold(self, pixels: int):
        """Take `pixels` for the with-block; MediaError busy when they are not free within wait_s."""
        wanted = min(max(1, pixels), self.max_pixels)
        with self._changed:
            if not self._changed.wait_for(lambda: self._in_use + wanted <= self.max_pixels, timeout=self.wait_s):
                raise MediaError("busy", "the server is working on other large pictures; try again in a few seconds")
            self._in_use += wanted
        try:
            yield
        finally:
            with self._changed:
                self._in_use -= wanted
                self._changed.notify_all()
