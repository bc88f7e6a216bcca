"""Stored experiment results: compute once, reuse on every later run with the same inputs.

:func:`stored` keys a result by everything that determines it (the caller passes model keys, settings and a
code version) and keeps it under ``<cache>/results/<name>/<hash>.pt``, written atomically; a damaged entry is
recomputed. Models are cached by :mod:`dprob_utils.store.model_cache`; this module caches what is computed from them, so
that re-running a chapter with a warm cache costs seconds.
"""

from __future__ import annotations

import hashlib
import io
import json
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import torch

from dprob_utils.config.paths import atomic_write_bytes, cache_dir

T = TypeVar("T")


def result_key(parts: dict[str, Any]) -> str:
    """A stable 20-hex-digit hash of ``parts`` (JSON-serialisable; key order does not matter)."""
    blob = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:20]


def stored(name: str, parts: dict[str, Any], compute: Callable[[], T]) -> T:
    """``compute()``'s result (tensors, arrays, numbers, lists, dicts), computed only when no result is stored
    for ``name`` and ``parts``."""
    return stored_at(cache_dir() / "results" / name / f"{result_key(parts)}.pt", compute)


def stored_at(path: Path, compute: Callable[[], T], weights_only: bool = False) -> T:
    """``compute()``'s result, read from ``path`` when it holds one (``weights_only``: load with
    ``torch.load(weights_only=True)``, for results of tensors and plain containers only), else computed and
    written there atomically. A damaged entry is recomputed."""
    if path.is_file():
        try:
            return torch.load(path, weights_only=weights_only)
        except (OSError, RuntimeError, EOFError, ValueError, pickle.UnpicklingError):
            pass  # a damaged entry is recomputed
    out = compute()
    buf = io.BytesIO()
    torch.save(out, buf)
    atomic_write_bytes(path, buf.getvalue())
    return out
