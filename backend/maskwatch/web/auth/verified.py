"""Sessions and API tokens the database confirmed recently: while the database is unreachable they keep working
for AUTH_OUTAGE_GRACE_S after their last confirmation, unless revoked (maskwatch.web.auth.revocations). Anything else
is refused then: this process cannot tell a valid credential from a revoked one.

Keys: "session:<session id>", "token:<SHA-256 of the token>". At most MAX_ENTRIES are kept (the least recently
confirmed go first).

Example: verified.confirmed("token:ab12", principal); verified.during_outage("token:ab12") -> principal or None
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict

from .revocations import InProcessRevocations

MAX_ENTRIES = 10_000


class VerifiedCredentials:
    """Args: grace_s (AUTH_OUTAGE_GRACE_S), revocations (shared by every process with REDIS_URL)."""

    def __init__(self, grace_s: float, revocations: InProcessRevocations):
        self.grace_s = grace_s
        self.revocations = revocations
        self._confirmed: OrderedDict[str, tuple[object, float]] = OrderedDict()
        self._lock = threading.Lock()

    def confirmed(self, key: str, principal) -> None:
        """The database just said this credential is valid and belongs to `principal`."""
        with self._lock:
            self._confirmed[key] = (principal, time.monotonic())
            self._confirmed.move_to_end(key)
            while len(self._confirmed) > MAX_ENTRIES:
                self._confirmed.popitem(last=False)

    def forget(self, key: str) -> None:
        with self._lock:
            self._confirmed.pop(key, None)

    def revoke(self, key: str) -> None:
        """Signed out, ended or revoked: refused during an outage from now on, in every process (while the database
        answers, its own rows say so)."""
        self.forget(key)
        self.revocations.revoke(key)

    def during_outage(self, key: str):
        """The principal of a credential confirmed less than grace_s ago and not revoked; None otherwise."""
        with self._lock:
            entry = self._confirmed.get(key)
        if entry is None or time.monotonic() - entry[1] > self.grace_s:
            return None
        return None if self.revocations.is_revoked(key) else entry[0]


def session_key(session_id: str) -> str:
    return f"session:{session_id}"


def token_key(digest: str) -> str:
    return f"token:{digest}"
