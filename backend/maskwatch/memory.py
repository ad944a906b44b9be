"""Keep a long-running process's memory flat: glibc gives each thread its own malloc arena (up to 8 per
core), and with a thread per request and per Socket.IO event the server's resident memory climbed by a few
hundred MB under load and kept creeping (benchmarks/load.py). Two arenas keep it flat."""

from __future__ import annotations

import ctypes
import ctypes.util
import logging

log = logging.getLogger(__name__)
M_ARENA_MAX = -8  # from glibc's malloc.h


def limit_malloc_arenas(arenas: int = 2) -> bool:
    """mallopt(M_ARENA_MAX, arenas) on glibc (the same as MALLOC_ARENA_MAX in the environment, but set by the
    program itself); False where there is no glibc or arenas < 1 (then nothing changes)."""
    if arenas < 1:
        return False
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
        return bool(libc and libc.mallopt(M_ARENA_MAX, arenas) == 1)
    except (OSError, AttributeError):
        log.debug("mallopt is not available here")
        return False
