"""Revoked credentials (signed-out sessions, ended sessions after a password change, revoked API tokens), known in
memory at once in every process. The database stays the authority while it answers; these lists matter when it
does not (maskwatch.web.auth.verified), so that a copy of a revoked credential is refused during an outage.

An entry lives as long as any process may still hold the credential as recently verified (AUTH_OUTAGE_GRACE_S).
With REDIS_URL every process writes and reads the same Redis keys; a process that cannot reach Redis then takes
every credential as revoked (it cannot know), never as valid.

Example: revocations = revocations_for(config); revocations.revoke("session:abc"); revocations.is_revoked("session:abc")
"""

from __future__ import annotations

import logging
import math
import threading
import time

log = logging.getLogger(__name__)
REDIS_PREFIX = "maskwatch:revoked:"


class InProcessRevocations:
    """Revocations of this process only (no REDIS_URL: the web server is the only process that checks credentials).

    Args: ttl_s: how long an entry is kept.
    """

    def __init__(self, ttl_s: float):
        self.ttl_s = ttl_s
        self._until: dict[str, float] = {}
        self._lock = threading.Lock()

    def revoke(self, key: str) -> None:
        now = time.monotonic()
        with self._lock:
            self._until = {k: t for k, t in self._until.items() if t > now}  # forget the expired ones
            self._until[key] = now + self.ttl_s

    def is_revoked(self, key: str) -> bool:
        with self._lock:
            return self._until.get(key, 0.0) > time.monotonic()


class RedisRevocations(InProcessRevocations):
    """Revocations shared by every process through Redis keys with an expiry, and kept here too (this process
    knows at once, even while Redis is away)."""

    def __init__(self, ttl_s: float, url: str):
        super().__init__(ttl_s)
        import redis

        self._redis = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)

    def revoke(self, key: str) -> None:
        super().revoke(key)
        try:
            self._redis.set(REDIS_PREFIX + key, 1, ex=max(1, math.ceil(self.ttl_s)))
        except Exception:  # noqa: BLE001 - redis-py raises several kinds; this process still knows
            log.exception("revocation of %s not shared through Redis", key.split(":", 1)[0])

    def is_revoked(self, key: str) -> bool:
        if super().is_revoked(key):
            return True
        try:
            return bool(self._redis.exists(REDIS_PREFIX + key))
        except Exception:  # noqa: BLE001 - Redis unreachable too: nothing can be trusted without the database
            log.warning("Redis unreachable: a credential cannot be checked for revocation, refused")
            return True


def revocations_for(config) -> InProcessRevocations:
    """RedisRevocations when REDIS_URL is set, else InProcessRevocations; entries kept AUTH_OUTAGE_GRACE_S."""
    ttl_s = config["AUTH_OUTAGE_GRACE_S"]
    return RedisRevocations(ttl_s, config["REDIS_URL"]) if config.get("REDIS_URL") else InProcessRevocations(ttl_s)
