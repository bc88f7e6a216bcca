"""Two results folders side by side (``dprob compare A B``): every number, text and verdict that differs.

The check behind "this change moves no number": build before and after, then compare the two
``results/<profile>/`` folders. Numbers are compared as :func:`~dprob_utils.book.metrics.metrics_table` lists
them (an interval by its estimate and bounds) within a relative tolerance; texts (labels, verdicts, sources)
exactly; what made the results (``provenance``) and how long it took (:data:`TIMING_KEYS`) are left out. The
scorecard's verdicts are compared claim by claim, with the moves between verdicts counted: a move between
``reproduced`` and ``contradicted`` means a verdict is noise, one to or from ``inconclusive`` is a claim near
its threshold.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from pathlib import Path
from typing import Any

from dprob_utils.book.metrics import metrics_table

TIMING_KEYS = frozenset({"seconds", "total_training_seconds", "timings_s", "notebook_seconds", "wall_s", "cached"})
SKIP_KEYS = frozenset({"provenance"}) | TIMING_KEYS


def _names(path: str) -> list[str]:
    return [s.split("[")[0] for s in path.split("/")]


def _differs(a: float, b: float, rel: float) -> bool:
    if math.isnan(a) and math.isnan(b):
        return False
    if math.isinf(a) or math.isinf(b):
        return a != b
    return abs(a - b) > rel * max(1.0, abs(a), abs(b))


def _numbers(folder: Path, rename: dict[str, str]):
    table = metrics_table(folder)
    table["chapter"] = table["chapter"].map(lambda c: rename.get(c, c))
    keep = table["path"].map(lambda p: not (set(_names(p)) & SKIP_KEYS)).astype(bool)
    return table.loc[keep].set_index(["chapter", "path"])


def _texts(data: Any, path: str, out: dict[str, Any]) -> None:
    """The non-numeric leaves of ``data`` (strings, booleans, nulls) by path, timing and provenance keys left out."""
    if isinstance(data, dict):
        for k, v in data.items():
            if k not in SKIP_KEYS:
                _texts(v, f"{path}/{k}" if path else str(k), out)
    elif isinstance(data, list):
        for i, v in enumerate(data):
            _texts(v, f"{path}[{i}]", out)
    elif isinstance(data, str) and data in ("inf", "-inf", "nan"):
        return  # a number, as the store writes non-finite floats
    elif not isinstance(data, (int, float)) or isinstance(data, bool):
        out[path] = data


def _chapter_files(folder: Path) -> dict[str, Path]:
    return {p.stem: p for p in sorted(Path(folder).glob("[0-9][0-9]_*.json"))}


def _verdicts(folder: Path) -> dict[str, str]:
    card = Path(folder) / "99_scorecard.json"
    return {c["id"]: c["verdict"] for c in json.loads(card.read_text())["claims"]} if card.is_file() else {}


def compare(a: Path, b: Path, rel: float = 1e-9, rename: dict[str, str] | None = None) -> dict:
    """What differs between results folders ``a`` and ``b`` (``rename``: a chapter's results renamed from ``a``
    to ``b``, old stem → new stem). Returns ``changed`` (numbers: ``chapter``, ``path``, ``a``, ``b``), ``texts``
    (the same for non-numeric fields), ``only_a`` and ``only_b`` (numbers and fields on one side only; a
    results file on one side only has path ``""``), ``verdicts`` (``(id, verdict in a, verdict in b)``) and
    ``moves`` (``{(verdict in a, verdict in b): count}``)."""
    rename = rename or {}
    ma, mb = _numbers(a, rename), _numbers(b, rename)
    changed = [{"chapter": c, "path": p, "a": float(ma.at[(c, p), "value"]), "b": float(mb.at[(c, p), "value"])}
               for c, p in ma.index.intersection(mb.index)
               if _differs(float(ma.at[(c, p), "value"]), float(mb.at[(c, p), "value"]), rel)]
    only_a = [{"chapter": c, "path": p} for c, p in ma.index.difference(mb.index)]
    only_b = [{"chapter": c, "path": p} for c, p in mb.index.difference(ma.index)]
    fa = {rename.get(k, k): p for k, p in _chapter_files(a).items()}
    fb = _chapter_files(b)
    only_a += [{"chapter": k, "path": ""} for k in fa if k not in fb]
    only_b += [{"chapter": k, "path": ""} for k in fb if k not in fa]
    texts = []
    for name in sorted(set(fa) & set(fb)):
        ta, tb = {}, {}
        _texts(json.loads(fa[name].read_text()), "", ta)
        _texts(json.loads(fb[name].read_text()), "", tb)
        texts += [{"chapter": name, "path": p, "a": ta[p], "b": tb[p]} for p in ta if p in tb and ta[p] != tb[p]]
    va, vb = _verdicts(a), _verdicts(b)
    verdicts = [(i, va.get(i, "(absent)"), vb.get(i, "(absent)")) for i in sorted(set(va) | set(vb))
                if va.get(i) != vb.get(i)] if va and vb else []
    return {"changed": changed, "texts": texts, "only_a": only_a, "only_b": only_b, "verdicts": verdicts,
            "moves": dict(Counter((x, y) for _, x, y in verdicts))}


def differences(diff: dict) -> int:
    """How many numbers, texts, one-sided entries and verdicts differ in a :func:`compare` result."""
    return sum(len(diff[k]) for k in ("changed", "texts", "only_a", "only_b", "verdicts"))


def report(diff: dict, a: Path, b: Path) -> list[str]:
    """The lines ``dprob compare`` prints for a :func:`compare` result."""
    lines = [f"{r['chapter']}:{r['path']}  {r['a']:.6g} → {r['b']:.6g}" for r in diff["changed"]]
    lines += [f"{r['chapter']}:{r['path']}  {r['a']!r} → {r['b']!r}" for r in diff["texts"]]
    for key, side in (("only_a", a), ("only_b", b)):
        lines += [f"{r['chapter']}:{r['path'] or '(results file)'}  only in {side}" for r in diff[key]]
    lines += [f"verdict {cid}: {x} → {y}" for cid, x, y in diff["verdicts"]]
    if diff["verdicts"]:
        lines += [f"{x} → {y}: {n}" for (x, y), n in sorted(diff["moves"].items())]
        flips = sum(n for (x, y), n in diff["moves"].items() if {x, y} == {"reproduced", "contradicted"})
        via = sum(n for (x, y), n in diff["moves"].items() if "inconclusive" in (x, y))
        lines.append(f"between reproduced and contradicted: {flips}; to or from inconclusive: {via}")
    n = len(diff["changed"]) + len(diff["texts"]) + len(diff["only_a"]) + len(diff["only_b"])
    lines.append(f"{n} numbers and texts and {len(diff['verdicts'])} verdicts differ between {a} and {b}"
                 if differences(diff) else f"no difference between {a} and {b}")
    return lines
