"""Results are data: every notebook writes its numbers as JSON (and CSV for tables) under
``results/<profile>/``, so the scorecard and other tools read numbers, not plots."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from dprob_utils.config.paths import atomic_write_bytes, results_dir
from dprob_utils.store.core import from_jsonable, to_jsonable


def results_path(profile: str, name: str, suffix: str = ".json") -> Path:
    return results_dir(profile) / f"{name}{suffix}"


def save_json(profile: str, name: str, data: dict) -> Path:
    """Write ``data`` to ``results/<profile>/<name>.json`` atomically, with its ``provenance`` (code and package
    versions, hardware, profile: :func:`~dprob_utils.config.provenance.provenance`); returns the path. Keys keep
    the order the chapter gave them (the papers' order of models), so tables built from the file read as the
    chapter's."""
    from dprob_utils.config.provenance import provenance

    path = results_path(profile, name)
    data = {**data, "provenance": data.get("provenance") or provenance(str(profile))}
    atomic_write_bytes(path, json.dumps(to_jsonable(data), indent=1).encode())
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
