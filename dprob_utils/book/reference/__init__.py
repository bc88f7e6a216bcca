"""The papers' own numbers, read from data files in ``dprob_utils/reference/``.

They appear only as the reference column of tables and of the scorecard, never in place of ours. Every file
is a CSV whose rows carry their source: ``paper`` (1 = Tursynbek et al. 2020, 2 = Boenisch et al. 2021),
``where`` (table / figure / section) and the value as printed in the paper.
"""

from __future__ import annotations

import csv
from pathlib import Path

REFERENCE_DIR = Path(__file__).resolve().parent


def reference_files() -> list[str]:
    return sorted(p.stem for p in REFERENCE_DIR.glob("*.csv"))


def load_reference(name: str) -> list[dict]:
    """Rows of ``reference/<name>.csv`` as dicts (numbers converted to float where they parse)."""
    path = REFERENCE_DIR / f"{name}.csv"
    if not path.is_file():
        raise FileNotFoundError(f"no reference data {name!r}; available: {', '.join(reference_files())}")
    with open(path, newline="") as fh:
        rows = list(csv.DictReader(fh))
    for row in rows:
        for k, v in row.items():
            try:
                row[k] = float(v)
            except (TypeError, ValueError):
                pass
    return rows
