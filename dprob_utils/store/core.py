"""The one store: content keys, a JSON codec, and atomic entries of tensors + JSON that never unpickle code.

- :func:`~dprob_utils.config.keys.content_key`: the one key recipe (in :mod:`dprob_utils.config.keys`, so that
  a training config keys itself without the store), imported here for the store's callers;
- :func:`to_jsonable` / :func:`from_jsonable`: the one JSON codec (non-finite floats as ``"inf"``,
  ``"-inf"``, ``"nan"``; tuples as lists; numpy and torch scalars as numbers);
- :func:`put` / :func:`get`: an entry ``<dir>/<key>.pt`` (tensors only, read with
  ``torch.load(weights_only=True)``) with ``<key>.json`` beside it, written atomically, the JSON last: a run
  killed at any moment leaves no half-written entry, and a damaged one reads as missing;
- :func:`stored`: a computed result (nested dicts and lists of tensors, numpy arrays, numbers, strings)
  computed once per key and read back on every later run.

The model cache (:mod:`.model_cache`), the CIFAR chapter's features and heads, the stored attack runs and
the chapters' stored results all live in it, under ``<cache>/`` (``DPROB_CACHE``).
"""

from __future__ import annotations

import io
import json
import math
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import torch

from dprob_utils.config import status, versions
from dprob_utils.config.keys import KEY_LENGTH, content_key  # noqa: F401  (the store's key recipe)
from dprob_utils.config.paths import atomic_write_bytes, cache_dir

T = TypeVar("T")


def to_jsonable(v: Any) -> Any:
    """JSON-safe copy: tuples to lists, numpy/torch scalars and arrays to Python, non-finite floats to strings."""
    if hasattr(v, "tolist") and not isinstance(v, (str, bytes)):
        v = v.tolist()
    if isinstance(v, float):
        return v if math.isfinite(v) else ("inf" if v > 0 else "-inf" if v < 0 else "nan")
    if isinstance(v, dict):
        return {str(k): to_jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [to_jsonable(x) for x in v]
    return v


def from_jsonable(v: Any) -> Any:
    """Inverse of :func:`to_jsonable` for the non-finite floats."""
    if v in ("inf", "-inf", "nan"):
        return float(v)
    if isinstance(v, dict):
        return {k: from_jsonable(x) for k, x in v.items()}
    if isinstance(v, list):
        return [from_jsonable(x) for x in v]
    return v


def dumps(record: Any) -> bytes:
    """``record`` as the store writes JSON: :func:`to_jsonable`, sorted keys, indented."""
    return json.dumps(to_jsonable(record), indent=1, sort_keys=True).encode()


_NDARRAY = "__ndarray__"


def _encode(v: Any) -> Any:
    """numpy arrays as tagged tensors, tuples as lists: what ``torch.load(weights_only=True)`` reads back."""
    if isinstance(v, np.ndarray):
        return {_NDARRAY: torch.from_numpy(np.ascontiguousarray(v))}
    if isinstance(v, torch.Tensor):
        return v.detach().cpu()
    if isinstance(v, dict):
        return {k: _encode(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_encode(x) for x in v]
    if isinstance(v, np.generic):
        return v.item()
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    raise TypeError(f"the store keeps tensors, arrays, numbers, strings, lists and dicts, not {type(v).__name__}")


def _decode(v: Any) -> Any:
    if isinstance(v, dict):
        if set(v) == {_NDARRAY}:
            return v[_NDARRAY].numpy()
        return {k: _decode(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_decode(x) for x in v]
    return v


def _tensor_bytes(obj: Any) -> bytes:
    buf = io.BytesIO()
    torch.save(obj, buf)
    return buf.getvalue()


def _load_tensors(path: Path) -> Any:
    """``path`` read with ``weights_only=True``; :class:`ValueError` for a damaged or foreign file."""
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except (OSError, RuntimeError, EOFError, pickle.UnpicklingError) as e:
        raise ValueError(f"{path}: {e}") from None


def put(root: Path, key: str, tensors: dict[str, torch.Tensor], record: dict) -> None:
    """Write the entry ``root/<key>.pt`` (``tensors``) and ``root/<key>.json`` (``record``), atomically."""
    atomic_write_bytes(root / f"{key}.pt", _tensor_bytes({k: v.detach().cpu().contiguous() for k, v in tensors.items()}))
    atomic_write_bytes(root / f"{key}.json", dumps(record))


def has(root: Path, key: str) -> bool:
    return (root / f"{key}.json").is_file() and (root / f"{key}.pt").is_file()


def get(root: Path, key: str) -> tuple[dict[str, torch.Tensor], dict] | None:
    """The entry ``(tensors, record)`` under ``root`` and ``key``, or ``None`` (missing or damaged)."""
    if not has(root, key):
        return None
    try:
        record = from_jsonable(json.loads((root / f"{key}.json").read_text()))
        tensors = _load_tensors(root / f"{key}.pt")
    except (OSError, ValueError):
        return None
    return tensors, record


def records(root: Path, pattern: str = "*.json") -> list[tuple[Path, dict]]:
    """Every readable JSON record under ``root`` matching ``pattern`` (no tensors loaded), sorted by path."""
    out = []
    for path in sorted(root.glob(pattern)):
        try:
            out.append((path, from_jsonable(json.loads(path.read_text()))))
        except (OSError, ValueError):
            continue
    return out


def stored_at(path: Path, compute: Callable[[], T]) -> T:
    """``compute()``'s result, read from ``path`` when it holds one, else computed and written there atomically.
    The result may nest dicts, lists, tensors, numpy arrays, numbers and strings; a damaged entry is recomputed."""
    if path.is_file():
        try:
            return _decode(_load_tensors(path))
        except ValueError:
            pass
    status.report("experiment", name=path.parent.name)
    out = compute()
    atomic_write_bytes(path, _tensor_bytes(_encode(out)))
    return out


def stored_path(name: str, parts: dict[str, Any]) -> Path:
    """Where :func:`stored` keeps the result of ``name`` with ``parts``: ``<cache>/results/<name>/<key>.pt``."""
    return cache_dir() / "results" / name / f"{content_key(parts)}.pt"


def stored(name: str, parts: dict[str, Any], compute: Callable[[], T]) -> T:
    """:func:`stored_at` under :func:`stored_path`."""
    return stored_at(stored_path(name, parts), compute)


def stored_intervals(name: str, parts: dict[str, Any], compute: Callable[[], T]) -> T:
    """A chapter's intervals, ``compute()``: :func:`stored` with the resampler's version
    (:data:`~dprob_utils.config.versions.INTERVALS_VERSION`) among ``parts``, which name what the intervals are a
    function of (the stored per-point results they resample), so a warm chapter does not redo the bootstraps."""
    return stored(name, {**parts, "intervals_version": versions.INTERVALS_VERSION}, compute)
