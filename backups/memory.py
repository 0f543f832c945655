"""How much freed memory glibc keeps: the one place syncd tunes the C allocator."""

from __future__ import annotations

import ctypes
import functools
import platform

_M_ARENA_MAX = -8  # glibc's mallopt parameter numbers
_M_MMAP_THRESHOLD = -3
_ARENAS = 2
_MMAP_AT = 1024 * 1024


@functools.cache
def tune_malloc() -> None:
    """Keep glibc from holding on to memory a backup has freed (process-wide, once).

    By default glibc raises its mmap threshold to the size of the largest block freed so far
    (up to 32 MiB), so after the first large buffer every later pack read, upload buffer and
    compression table comes from the heaps, which keep the freed space: a first backup's
    RSS grew by ~100 MB that way. A fixed threshold of 1 MiB turns that adaptation off.
    glibc also gives each thread that allocates its own heap (up to 8 per core), each keeping
    its own freed pieces; the worker threads that compress and read blobs share two instead
    (5 MB less at the peak on the reference corpus, in the same time).
    """
    if platform.libc_ver()[0] != "glibc":
        return
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(_M_MMAP_THRESHOLD, _MMAP_AT)
        libc.mallopt(_M_ARENA_MAX, _ARENAS)
    except (OSError, AttributeError):
        return
