"""Keep a long-running process's memory flat under glibc malloc, two ways (benchmarks/load.py measures both):

- Arenas: glibc gives each thread its own malloc arena (up to 8 per core); with a thread per request and per
  Socket.IO event the server's resident memory climbed by a few hundred MB under load. Two arenas keep it
  down.
- Free heap pages: glibc serves big blocks with mmap and gives them back on free, but raises its mmap
  threshold to the size of each mmapped block freed (up to 32 MB). After the first frames, decoded frames and
  the detectors' buffers come from the heap, whose holes glibc gives back only from its top: under load the
  server's heap grew by 50-150 MB in the first half minute, and in one 70 s run by 1.3 GB, in steps
  (tests/web/test_load.py failed on it). Two cures, measured in benchmarks/results/malloc_before_after.md:
  a fixed threshold (big blocks stay mmapped: the flattest, but live frames took 40 % longer, each block's
  pages faulted in afresh), and malloc_trim once more than MALLOC_FREE_MB are free in the heaps (the
  default: no run grew past the load test's bound, live p50 +4 ms and p95 +15 ms in the 2-minute A/B).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import threading

log = logging.getLogger(__name__)
M_MMAP_THRESHOLD = -3  # from glibc's malloc.h
M_ARENA_MAX = -8


def _mallopt(option: int, value: int) -> bool:
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
        return bool(libc and libc.mallopt(option, value) == 1)
    except (OSError, AttributeError):
        log.debug("mallopt is not available here")
        return False


def limit_malloc_arenas(arenas: int = 2) -> bool:
    """mallopt(M_ARENA_MAX, arenas) on glibc (the same as MALLOC_ARENA_MAX in the environment, but set by the
    program itself); False where there is no glibc or arenas < 1 (then nothing changes)."""
    return arenas >= 1 and _mallopt(M_ARENA_MAX, arenas)


def fix_mmap_threshold(kb: int = 256) -> bool:
    """mallopt(M_MMAP_THRESHOLD, kb KiB) on glibc: blocks from that size up are mmapped and given back when
    freed, and glibc no longer raises the threshold by itself; False where there is no glibc or kb < 1 (then
    glibc keeps its dynamic threshold)."""
    return kb >= 1 and _mallopt(M_MMAP_THRESHOLD, kb * 1024)


class _MallInfo2(ctypes.Structure):
    _fields_ = [
        (name, ctypes.c_size_t)
        for name in (
            "arena",
            "ordblks",
            "smblks",
            "hblks",
            "hblkhd",
            "usmblks",
            "fsmblks",
            "uordblks",
            "fordblks",
            "keepcost",
        )
    ]


def _libc():
    name = ctypes.util.find_library("c")
    try:
        return ctypes.CDLL(name) if name else None
    except OSError:
        return None


def free_heap_bytes() -> int | None:
    """Bytes free inside glibc's heaps, all arenas (mallinfo2's fordblks); None without glibc 2.33+."""
    libc = _libc()
    mallinfo2 = getattr(libc, "mallinfo2", None)
    if mallinfo2 is None:
        return None
    mallinfo2.restype = _MallInfo2
    return int(mallinfo2().fordblks)


def release_free_memory() -> bool:
    """malloc_trim(0): glibc gives the free pages inside its heaps back to the system, not only those at the
    top; False where there is no glibc."""
    libc = _libc()
    if libc is None or not hasattr(libc, "malloc_trim"):
        return False
    libc.malloc_trim(0)
    return True


def release_when_free_over(limit_mb: int, check_every_s: float = 1.0) -> threading.Event | None:
    """A daemon thread that, every `check_every_s`, gives the heaps' free pages back once more than `limit_mb`
    are free (every 5 checks where glibc cannot tell); set the returned event to stop it. None (and no thread)
    for limit_mb < 1 or without glibc."""
    if limit_mb < 1 or _libc() is None:
        return None
    stop = threading.Event()
    limit = limit_mb << 20

    def run():
        checks = 0
        while not stop.wait(check_every_s):
            checks += 1
            free = free_heap_bytes()
            if (free is None and checks % 5 == 0) or (free is not None and free > limit):
                release_free_memory()

    threading.Thread(target=run, name="maskwatch-malloc-release", daemon=True).start()
    return stop


def keep_memory_flat(arenas: int, mmap_threshold_kb: int, free_mb: int = 0) -> None:
    """The above, as the settings MALLOC_ARENAS, MALLOC_MMAP_THRESHOLD_KB and MALLOC_FREE_MB ask; call it
    before the process starts its threads."""
    limit_malloc_arenas(arenas)
    fix_mmap_threshold(mmap_threshold_kb)
    release_when_free_over(free_mb)
