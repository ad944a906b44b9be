"""When to raise a live alert: once per tracked person without a (proper) mask, with a cooldown so a
person lost and found again (a new track) does not alert again at once."""

from __future__ import annotations

ALERT_VERDICTS = ("no_mask", "incorrect")
#: What the alert says (shown in the banner and spoken by the live page).
ALERT_MESSAGES = {"no_mask": "Please wear a mask.", "incorrect": "Please wear your mask over your nose and mouth."}


class AlertPolicy:
    """Decides, per client, which tracked faces raise an alert.

    Args:
        cooldown_s: a new track within `radius` face widths of an alert younger than this is
            taken for the same person and stays silent, default 30.
        min_frames: frames a track must have before its verdict can alert (one frame may be a fluke), default 2.
        radius: in face widths, default 1.5.
        forget_after_s: a track not asked about for this long has ended (trackers lose a face within
            about a second) and is forgotten, so memory stays flat on a stream that runs for months, default 60.
    """

    def __init__(
        self, cooldown_s: float = 30.0, min_frames: int = 2, radius: float = 1.5, forget_after_s: float = 60.0
    ):
        self.cooldown_s = cooldown_s
        self.min_frames = min_frames
        self.radius = radius
        self.forget_after_s = max(forget_after_s, cooldown_s)
        #: track id -> when it was last asked about, for the tracks that alerted
        self.alerted: dict[int, float] = {}
        self.recent: list[tuple[float, tuple[float, float, float, float]]] = []
        self._last_sweep: float | None = None

    def should_alert(
        self, track_id: int, verdict: str, frames_seen: int, box, now: float, new_person: bool = False
    ) -> bool:
        """True once for a track whose verdict is no_mask or incorrect, unless it is in cooldown; a
        new_person (a track split off because somebody else took the place) is never in cooldown."""
        self._sweep(now)
        if track_id in self.alerted:
            self.alerted[track_id] = now
            return False
        if verdict not in ALERT_VERDICTS or frames_seen < self.min_frames:
            return False
        self.alerted[track_id] = now
        self.recent = [(t, b) for t, b in self.recent if now - t < self.cooldown_s]
        if not new_person and any(self._near(box, b) for _, b in self.recent):
            return False
        self.recent.append((now, tuple(box)))
        return True

    def _sweep(self, now: float) -> None:
        """Forget ended tracks, at most once per tenth of forget_after_s."""
        if self._last_sweep is not None and now - self._last_sweep < self.forget_after_s / 10:
            return
        self._last_sweep = now
        self.alerted = {track: seen for track, seen in self.alerted.items() if now - seen < self.forget_after_s}

    def _near(self, a, b) -> bool:
        width = max(a[2] - a[0], b[2] - b[0], 1.0)
        dx = (a[0] + a[2] - b[0] - b[2]) / 2
        dy = (a[1] + a[3] - b[1] - b[3]) / 2
        return (dx * dx + dy * dy) ** 0.5 <= self.radius * width
