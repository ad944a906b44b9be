"""Detection profiles: how hard the detector looks, defined once for every ingest path.

- picture (uploaded photos, `maskwatch detect` on images): small pictures are enlarged so faces down to
  about 10 px of the original are found; time matters less than a missed person.
- stream (live webcam, IP cameras, videos): frame rate first.
"""

from __future__ import annotations

from dataclasses import dataclass

from .faces import frame_scale

PICTURE, STREAM = "picture", "stream"


@dataclass(frozen=True)
class DetectionProfile:
    """min_face_size: the smallest face the detector is asked for, in pixels of the resized frame.
    upscale_below / max_side: frames whose longer side is below / above these are resized first.

    Example: DetectionProfile("picture", 20, upscale_below=1024).smallest_face_px(300, 400) == 7.8125
    """

    name: str
    min_face_size: int
    upscale_below: int | None = None
    max_side: int | None = None

    def detector_options(self) -> dict:
        return {"min_face_size": self.min_face_size, "upscale_below": self.upscale_below, "max_side": self.max_side}

    def smallest_face_px(self, height: int, width: int) -> float:
        """The smallest face looked for, in pixels of a frame of this size (faces below are not counted)."""
        return self.min_face_size / frame_scale(height, width, self.max_side, self.upscale_below)

    def to_dict(self) -> dict:
        return {"min_face_size": self.min_face_size, "upscale_below": self.upscale_below, "max_side": self.max_side}


def profiles_from_config(config) -> dict[str, DetectionProfile]:
    """Both profiles from settings (PICTURE_MIN_FACE_SIZE, PICTURE_UPSCALE_BELOW; MIN_FACE_SIZE for streams)."""
    return {
        PICTURE: DetectionProfile(
            PICTURE, config["PICTURE_MIN_FACE_SIZE"], upscale_below=config["PICTURE_UPSCALE_BELOW"] or None
        ),
        STREAM: DetectionProfile(STREAM, config["MIN_FACE_SIZE"]),
    }
