"""Compare two results folders (``results/<profile>/`` of two runs) field by field, timings left out.

Usage: python scripts/compare_results.py OLD_DIR NEW_DIR [--rename OLD=NEW ...] [--tol 0]

Prints every field whose value differs (numbers beyond ``--tol``), every file or field present on one side
only, and a one-line summary; exits 1 when anything differs.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

TIMING_KEYS = {"seconds", "total_training_seconds", "timings_s", "notebook_seconds", "wall_s", "cached"}
SKIP_FILES = {"notebook_timings.json"}


def _walk(a, b, path: str, tol: float, out: list[str]) -> int:
    if isinstance(a, dict) and isinstance(b, dict):
        n = 0
        for k in sorted(set(a) | set(b)):
            if k in TIMING_KEYS:
                continue
            if k not in a or k not in b:
                out.append(f"{path}/{k}: only in {'new' if k not in a else 'old'}")
                continue
            n += _walk(a[k], b[k], f"{path}/{k}", tol, out)
        return n
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            out.append(f"{path}: length {len(a)} -> {len(b)}")
            return 1
        return sum(_walk(x, y, f"{path}[{i}]", tol, out) for i, (x, y) in enumerate(zip(a, b)))
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        if a == b or (isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b)):
            return 1
        if abs(a - b) > tol:
            out.append(f"{path}: {a!r} -> {b!r}")
        return 1
    if a != b:
        out.append(f"{path}: {a!r} -> {b!r}")
    return 1


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("old", type=Path)
    ap.add_argument("new", type=Path)
    ap.add_argument("--rename", action="append", default=[], help="OLD=NEW: a results file renamed between runs")
    ap.add_argument("--tol", type=float, default=0.0)
    args = ap.parse_args(argv)
    rename = dict(r.split("=", 1) for r in args.rename)
    diffs: list[str] = []
    fields = 0
    for old in sorted(args.old.glob("*.json")):
        if old.name in SKIP_FILES:
            continue
        new = args.new / (rename.get(old.stem, old.stem) + ".json")
        if not new.is_file():
            diffs.append(f"{old.name}: missing in {args.new}")
            continue
        fields += _walk(json.loads(old.read_text()), json.loads(new.read_text()), new.stem, args.tol, diffs)
    for line in diffs:
        print(line)
    print(f"{fields} fields compared, {len(diffs)} differ")
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main())
