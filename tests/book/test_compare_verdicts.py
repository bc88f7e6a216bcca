"""scripts/compare_verdicts.py: the rounding check of two builds' scorecards."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "compare_verdicts.py"


def _main():
    spec = importlib.util.spec_from_file_location("compare_verdicts", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.main


def _scorecard(folder: Path, verdicts: dict[str, str]) -> Path:
    folder.mkdir()
    claims = [{"id": cid, "verdict": v, "ours": "x"} for cid, v in verdicts.items()]
    summary = {v: list(verdicts.values()).count(v) for v in set(verdicts.values())}
    (folder / "99_scorecard.json").write_text(json.dumps({"summary": summary, "claims": claims}))
    return folder


@pytest.mark.parametrize("flip, rc", [(False, 0), (True, 1)])
def test_strict_fails_only_on_a_flip_and_counts_the_moves(tmp_path, capsys, flip, rc):
    a = _scorecard(tmp_path / "a", {"c1": "reproduced", "c2": "inconclusive", "c3": "contradicted",
                                    "c4": "not run"})
    b = _scorecard(tmp_path / "b", {"c1": "inconclusive", "c2": "reproduced",
                                    "c3": "reproduced" if flip else "contradicted", "c4": "not run"})
    assert _main()([str(a), str(b), "--strict"]) == rc
    out = capsys.readouterr().out
    assert f"between reproduced and contradicted: {int(flip)}; to or from inconclusive: 2" in out
    assert "c1: reproduced → inconclusive" in out and "c4" not in out
    assert _main()([str(a / "99_scorecard.json"), str(b)]) == 0  # a file works as well; without --strict: 0
