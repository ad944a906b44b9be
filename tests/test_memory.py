"""The malloc arena limit reaches glibc (the load benchmark shows what it does to the server's memory)."""

import platform

import pytest

from maskwatch.memory import limit_malloc_arenas


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt(M_ARENA_MAX) is glibc's")
def test_glibc_takes_the_arena_limit():
    assert limit_malloc_arenas(2) is True
    assert limit_malloc_arenas(0) is False  # 0: leave glibc's default alone
