"""Compare the scorecards of two builds: verdict counts and every claim whose verdict changed.

    python scripts/compare_verdicts.py results/quick /elsewhere/results/quick

Each argument is a results folder holding ``99_scorecard.json`` (or the file itself). Prints both summaries, the
moves between verdicts (``reproduced → inconclusive: 3``), one line per changed claim with both "ours", and the
two counts of the rounding check: moves between ``reproduced`` and ``contradicted``, and moves to or from
``inconclusive``.
``--strict`` exits 1 when a claim moved between ``reproduced`` and ``contradicted`` (the rounding check of the
verdicts issue: such a move means a verdict is noise).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path


def _load(path: str) -> dict:
    p = Path(path)
    return json.loads((p / "99_scorecard.json" if p.is_dir() else p).read_text())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("before")
    ap.add_argument("after")
    ap.add_argument("--strict", action="store_true", help="exit 1 on a reproduced <-> contradicted move")
    args = ap.parse_args(argv)
    a, b = _load(args.before), _load(args.after)
    print("before:", a["summary"])
    print("after: ", b["summary"])
    old = {c["id"]: c for c in a["claims"]}
    new = {c["id"]: c for c in b["claims"]}
    moves: Counter = Counter()
    lines = []
    for cid in list(old) + [c for c in new if c not in old]:
        va = old.get(cid, {}).get("verdict", "(absent)")
        vb = new.get(cid, {}).get("verdict", "(absent)")
        if va != vb:
            moves[(va, vb)] += 1
            lines.append(f"  {cid}: {va} → {vb}   [{old.get(cid, {}).get('ours', '')}] → "
                         f"[{new.get(cid, {}).get('ours', '')}]")
    for (va, vb), n in sorted(moves.items()):
        print(f"{va} → {vb}: {n}")
    print("\n".join(lines) if lines else "no verdict changed")
    flips = moves[("reproduced", "contradicted")] + moves[("contradicted", "reproduced")]
    via = sum(n for (va, vb), n in moves.items() if "inconclusive" in (va, vb))
    print(f"between reproduced and contradicted: {flips}; to or from inconclusive: {via}")
    return 1 if args.strict and flips else 0


if __name__ == "__main__":
    sys.exit(main())
