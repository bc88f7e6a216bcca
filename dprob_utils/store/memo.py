"""What a chapter loaded or computed once in this process (models with their attack points, transfer matrices,
masking reports, the CIFAR-10 study), so that its ``run_*`` function and its figures share one copy.

Keys are tuples that start with what is memoised (``("model", profile, ...)``); values live until
:func:`clear` (a worker that runs many units of work clears between them) or the end of the process.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")
_VALUES: dict[tuple, object] = {}


def once(key: tuple, make: Callable[[], T]) -> T:
    """``make()``, computed the first time ``key`` is asked for in this process."""
    if key not in _VALUES:
        _VALUES[key] = make()
    return _VALUES[key]  # type: ignore[return-value]


def clear() -> None:
    """Forget every memoised value."""
    _VALUES.clear()
