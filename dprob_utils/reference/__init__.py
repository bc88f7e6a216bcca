"""The papers' own numbers, read from data files in ``dprob_utils/reference/``.

They appear only as the reference column of tables and of the scorecard, never in place of ours. Every file
is a CSV whose rows carry their source: ``paper`` (1 = Tursynbek et al. 2020, 2 = Boenisch et al. 2021),
``where`` (table / figure / section) and the value as printed in the paper. Where the paper slipped, the row's
``erratum`` says how (``field=value; ...: why``): :func:`corrected` applies it, and the claims and the
scorecard use the corrected value while showing the printed one.
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


def erratum_fields(row: dict) -> dict[str, float]:
    """The corrections of a row's ``erratum`` (``"sgd=94.54; difference=6.84: why"`` -> ``{"sgd": 94.54, ...}``;
    empty when the row has none)."""
    text = str(row.get("erratum") or "")
    if not text:
        return {}
    head = text.split(":", 1)[0]
    out = {}
    for part in head.split(";"):
        name, _, value = part.partition("=")
        out[name.strip()] = float(value)
    return out


def corrected(row: dict) -> dict:
    """``row`` with its erratum applied (a copy; the printed values of the corrected fields under
    ``printed_<field>``)."""
    fixes = erratum_fields(row)
    return row | fixes | {f"printed_{k}": row[k] for k in fixes}
