"""How the pipeline and the jobs tell the world what happens, without knowing the transport.

A `Publisher` takes an event name and a JSON-able payload. The web layer (maskwatch.web.events) decides it
is Socket.IO and which namespace and room; tests collect the events in a list.
"""

from __future__ import annotations

from typing import Protocol


class Publisher(Protocol):
    def publish(self, event: str, payload: dict) -> None: ...


class NullPublisher:
    """Events nobody listens to (pictures, command-line runs)."""

    def publish(self, event: str, payload: dict) -> None:
        pass


class CollectingPublisher:
    """Keeps every event as (name, payload), in order."""

    def __init__(self):
        self.events: list[tuple[str, dict]] = []

    def publish(self, event: str, payload: dict) -> None:
        self.events.append((event, payload))

    def named(self, event: str) -> list[dict]:
        return [payload for name, payload in self.events if name == event]
