"""Keep freed memory inside the process (glibc), so that large tensors do not page-fault on every allocation.

glibc's ``malloc`` serves every block above 32 MiB with a fresh ``mmap`` and unmaps it on ``free``, and it gives
the top of its heap back to the kernel whenever more than ``M_TRIM_THRESHOLD`` bytes there are free. PyTorch's
CPU allocator has no cache of its own, so a training step or attack batch that allocates, say, the 100 MB of
per-example gradients of a convolution pays the kernel's page faults for all of it again at every step. Setting
``M_MMAP_MAX = 0`` (serve everything from the heap) and ``M_TRIM_THRESHOLD`` to its largest value, 2 GiB (keep
up to that much freed heap), removes that cost. The price is that the process keeps its peak memory.

It is the effect of the environment variables ``MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=2147483647``. Nothing
applies it on import: :func:`tune_malloc` (``mallopt`` at run time, a no-op outside glibc) is called when
training starts and by the ``dprob`` command, and the book's kernels get the environment variables
(:func:`malloc_environment`) from their start, which matters: applied after torch's import, the setting left
attack and evaluation batches page-faulting. Set ``DPROB_MALLOC_TUNING=0`` to leave malloc alone.
``python benchmarks/malloc_setting.py`` times training under glibc's defaults and this setting side by side.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import platform

M_TRIM_THRESHOLD = -1
M_MMAP_MAX = -4
# mallopt takes a C int: 2 GiB - 1 is the largest threshold it accepts (a larger one is silently truncated to 0,
# and glibc then trims the heap after every free; benchmarks/README.md)
TRIM_THRESHOLD = 2**31 - 1
_applied: bool | None = None


def mallopt(param: int, value: int) -> bool:
    """glibc's ``mallopt(param, value)``; False where it fails or the C library is not glibc."""
    if platform.libc_ver()[0] != "glibc":
        return False
    if not -(2**31) <= value < 2**31:
        raise ValueError(f"mallopt takes a C int, got {value}")
    try:
        fn = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").mallopt
    except (OSError, AttributeError):
        return False
    fn.argtypes, fn.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return fn(param, value) == 1


def malloc_environment() -> dict[str, str]:
    """glibc's environment variables for this setting, for child processes (empty where it is switched off)."""
    if os.environ.get("DPROB_MALLOC_TUNING", "1") == "0" or platform.libc_ver()[0] != "glibc":
        return {}
    return {"MALLOC_MMAP_MAX_": "0", "MALLOC_TRIM_THRESHOLD_": str(TRIM_THRESHOLD)}


def tune_malloc() -> bool:
    """Apply the setting once per process. Returns whether it is in effect."""
    global _applied
    if _applied is not None:
        return _applied
    _applied = False
    if os.environ.get("DPROB_MALLOC_TUNING", "1") == "0":
        return False
    _applied = mallopt(M_MMAP_MAX, 0) and mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD)
    return _applied
