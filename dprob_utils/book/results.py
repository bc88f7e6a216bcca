"""Results are data: every notebook writes its numbers as JSON (and CSV for tables) under
``results/<profile>/``, so the scorecard and other tools read numbers, not plots."""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path
from typing import Any

from dprob_utils.config.paths import atomic_write_bytes, results_dir


def to_jsonable(v: Any) -> Any:
    """JSON-safe copy: tuples to lists, numpy/torch scalars to Python, non-finite floats to strings."""
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
    if v in ("inf", "-inf", "nan"):
        return float(v)
    if isinstance(v, dict):
        return {k: from_jsonable(x) for k, x in v.items()}
    if isinstance(v, list):
        return [from_jsonable(x) for x in v]
    return v


def results_path(profile: str, name: str, suffix: str = ".json") -> Path:
    return results_dir(profile) / f"{name}{suffix}"


def save_json(profile: str, name: str, data: dict) -> Path:
    """Write ``data`` to ``results/<profile>/<name>.json`` atomically; returns the path."""
    path = results_path(profile, name)
    atomic_write_bytes(path, json.dumps(to_jsonable(data), indent=1, sort_keys=True).encode())
    return path


def load_json(profile: str, name: str) -> dict | None:
    """The results written by :func:`save_json`, or ``None`` if that notebook has not run for ``profile``."""
    path = results_path(profile, name)
    if not path.is_file():
        return None
    return from_jsonable(json.loads(path.read_text()))


def save_csv(profile: str, name: str, rows: list[dict]) -> Path:
    """Write a table (list of dicts with the same keys) to ``results/<profile>/<name>.csv``."""
    path = results_path(profile, name, ".csv")
    buf = io.StringIO()
    if rows:
        writer = csv.DictWriter(buf, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows([{k: to_jsonable(v) for k, v in r.items()} for r in rows])
    atomic_write_bytes(path, buf.getvalue().encode())
    return path
