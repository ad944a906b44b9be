"""The malloc settings reach glibc and do what memory.py says (the load benchmark shows what they do to the
server's memory)."""

import platform
import subprocess
import sys

import pytest

from maskwatch.memory import fix_mmap_threshold, limit_malloc_arenas, release_when_free_over

glibc_only = pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt is glibc's")

# In a fresh interpreter: malloc and free a 1 MiB block, then malloc another; print whether the second
# is mmapped (mallinfo2's hblks counts mmapped blocks in use).
SECOND_BLOCK = """
import ctypes, ctypes.util, sys
from maskwatch.memory import fix_mmap_threshold
class MallInfo2(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t) for n in
                "arena ordblks smblks hblks hblkhd usmblks fsmblks uordblks fordblks keepcost".split()]
libc = ctypes.CDLL(ctypes.util.find_library("c"))
libc.malloc.restype = ctypes.c_void_p
libc.free.argtypes = [ctypes.c_void_p]
libc.mallinfo2.restype = MallInfo2
if sys.argv[1] == "fixed":
    assert fix_mmap_threshold(256)
before = libc.mallinfo2().hblks
libc.free(libc.malloc(1 << 20))
block = libc.malloc(1 << 20)
print(libc.mallinfo2().hblks - before)
"""


def second_block_mmapped(mode: str) -> bool:
    out = subprocess.run([sys.executable, "-c", SECOND_BLOCK, mode], capture_output=True, text=True, check=True)
    return out.stdout.strip() == "1"


@glibc_only
def test_glibc_takes_the_arena_limit():
    assert limit_malloc_arenas(2) is True
    assert limit_malloc_arenas(0) is False  # 0: leave glibc's default alone


@glibc_only
def test_a_fixed_mmap_threshold_keeps_big_blocks_out_of_the_heap():
    # glibc's own threshold rises when the first big block is freed: the next one comes from the heap
    assert not second_block_mmapped("glibc")
    assert second_block_mmapped("fixed")
    assert fix_mmap_threshold(0) is False  # 0: leave glibc's dynamic threshold alone


# In a fresh interpreter: 200 MB of 100 KB blocks in the heap, a small block above them so glibc cannot just
# shrink the heap's top, all the big ones freed; then the release named in argv[1]. Prints free heap MB, RSS
# MB before the release and RSS MB after it.
FREED_HOLES = """
import ctypes, ctypes.util, sys, time
from maskwatch.memory import free_heap_bytes, release_free_memory, release_when_free_over
libc = ctypes.CDLL(ctypes.util.find_library("c"))
libc.malloc.restype = ctypes.c_void_p
libc.free.argtypes = [ctypes.c_void_p]
def rss():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
libc.mallopt(-4, 0)  # M_MMAP_MAX 0: every block from the heap, wherever the process's layout puts it
blocks = [libc.malloc(100_000) for _ in range(2000)]
for block in blocks:
    ctypes.memset(block, 1, 100_000)
pin = libc.malloc(64)
for block in blocks:
    libc.free(block)
free_mb, before = free_heap_bytes() / 2**20, rss()
if sys.argv[1] == "now":
    release_free_memory()
elif sys.argv[1] == "over-16":
    release_when_free_over(16, check_every_s=0.05)
elif sys.argv[1] == "over-500":
    release_when_free_over(500, check_every_s=0.05)
time.sleep(0.5)
print(free_mb, before, rss())
"""


def rss_around_release(mode: str) -> tuple[float, float, float]:
    out = subprocess.run([sys.executable, "-c", FREED_HOLES, mode], capture_output=True, text=True, check=True)
    free_mb, before, after = map(float, out.stdout.split())
    assert free_mb > 150 and before > 150  # the holes are there and resident
    return free_mb, before, after


@glibc_only
@pytest.mark.parametrize("mode, released", [("keep", False), ("now", True), ("over-16", True), ("over-500", False)])
def test_free_heap_pages_go_back_to_the_system_beyond_the_limit(mode, released):
    _, before, after = rss_around_release(mode)
    if released:
        assert after < before - 150
    else:
        assert after > before - 10


def test_no_release_thread_without_a_limit():
    assert release_when_free_over(0) is None
