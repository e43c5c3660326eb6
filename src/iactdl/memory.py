"""Give the C heap's free pages back to the operating system between chunks of a long job.

A streamed stage allocates arrays of a few MiB per chunk whose sizes vary from chunk to chunk
(the rows left after cuts and splits). glibc serves them from its heap once its dynamic mmap
threshold has risen (up to 32 MiB, after the first large array was freed), and the heap's free
holes stay resident: the observed stream's resident memory rose ~0.5 kB per event over its first
100k events although every buffer it holds is bounded. :func:`release_free_memory` after each
chunk returns those pages (``malloc_trim(0)``, which also releases free pages inside the heap),
so the peak is that of one chunk's working set. A fixed mmap threshold would do the same at a
cost: every large array then maps fresh pages (+60 % CPU in the observed stream).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys
from functools import cache

__all__ = ["release_free_memory"]


@cache
def _malloc_trim():
    """glibc's ``malloc_trim``, or None (another C library, another system)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return libc.malloc_trim
    except (OSError, AttributeError):  # musl and others have no malloc_trim
        return None


def release_free_memory() -> bool:
    """Return the C heap's free memory to the operating system (glibc's ``malloc_trim(0)``).

    Costs about a millisecond for a heap of some 100 MB; call it between chunks, not per event.

    Returns
    -------
    bool
        True if memory was given back; False if none was, or the C library has no
        ``malloc_trim`` (not glibc): nothing is done then.
    """
    trim = _malloc_trim()
    return bool(trim(0)) if trim is not None else False
