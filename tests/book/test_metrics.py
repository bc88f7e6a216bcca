"""One table of every number: each number the scorecard reads is a row; a folder compared with itself differs
in nothing; a changed number and a changed verdict are reported."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import pandas as pd
import pytest

from dprob_utils.book import metrics, scorecard
from dprob_utils.book.compare import compare
from dprob_utils.config.paths import results_dir


def _values(v):
    if isinstance(v, dict) and {"estimate", "low", "high"} <= set(v):
        return [(float(v["estimate"]), float(v["low"]), float(v["high"]))]
    if isinstance(v, bool):
        return []
    if isinstance(v, (int, float)):
        return [(float(v), None, None)]
    if isinstance(v, list):
        return [x for item in v for x in _values(item)]
    if isinstance(v, dict):
        return [x for item in v.values() for x in _values(item)]
    return []


def _same(a, b) -> bool:
    return (a is None and (b is None or math.isnan(b))) or (a is not None and b is not None and
                                                             (a == b or (math.isnan(a) and math.isnan(b))))


@pytest.mark.slow
def test_every_number_the_scorecard_reads_is_a_row(book_root):
    table = metrics.metrics_table(results_dir("smoke"))
    missing = []
    for claim in scorecard.load_claims():
        for sel in claim["values"].values():
            name, _, path = str(sel).partition(":")
            data = scorecard.load_json("smoke", name)
            try:
                value = scorecard.select(data, path) if data else None
            except scorecard.MissingValue:
                continue
            rows = table[table.chapter == name]
            for est, low, high in _values(value):
                hit = rows[[_same(est, v) and _same(low, lo) and _same(high, hi)
                            for v, lo, hi in zip(rows.value, rows.low, rows.high)]]
                if hit.empty:
                    missing.append((claim["id"], sel, est))
    assert not missing, missing[:10]
    paths = metrics.write_metrics("smoke")
    assert len(pd.read_csv(paths[0])) == len(pd.read_parquet(paths[1])) == len(table)


def test_compare_reports_changed_numbers_and_verdicts(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    (a / "02_p1_fgsm.json").write_text(json.dumps({"models": {"p1:sgd": {"mode": "sgd", "accuracy": [99.0, 80.0]}},
                                                   "gap": {"estimate": 1.0, "low": 0.5, "high": 1.5},
                                                   "provenance": {"torch_threads": 2}}))
    (a / "99_scorecard.json").write_text(json.dumps({"claims": [{"id": "c1", "verdict": "reproduced"}]}))
    shutil.copytree(a, b)
    same = compare(a, a)
    assert same == {"changed": [], "texts": [], "only_a": [], "only_b": [], "verdicts": [], "moves": {}}
    table = metrics.metrics_table(a)
    assert set(table.path) == {"models/p1:sgd/accuracy[0]", "models/p1:sgd/accuracy[1]", "gap"}
    assert set(table.model.dropna()) == {"p1:sgd"} and table.set_index("path").at["gap", "high"] == 1.5
    data = json.loads((b / "02_p1_fgsm.json").read_text())
    data["models"]["p1:sgd"]["accuracy"][1] = 81.0
    (b / "02_p1_fgsm.json").write_text(json.dumps(data))
    (b / "99_scorecard.json").write_text(json.dumps({"claims": [{"id": "c1", "verdict": "inconclusive"}]}))
    diff = compare(a, b)
    assert diff["changed"] == [{"chapter": "02_p1_fgsm", "path": "models/p1:sgd/accuracy[1]", "a": 80.0, "b": 81.0}]
    assert diff["verdicts"] == [("c1", "reproduced", "inconclusive")]
    assert diff["texts"] == [{"chapter": "99_scorecard", "path": "claims[0]/verdict", "a": "reproduced",
                              "b": "inconclusive"}]


def _folder(path: Path, verdicts: dict[str, str], **chapters) -> Path:
    path.mkdir()
    claims = [{"id": cid, "verdict": v, "ours": "x"} for cid, v in verdicts.items()]
    (path / "99_scorecard.json").write_text(json.dumps({"claims": claims}))
    for name, data in chapters.items():
        (path / f"{name}.json").write_text(json.dumps(data))
    return path


@pytest.mark.parametrize("flip", [False, True])
def test_compare_counts_the_moves_between_verdicts_and_strict_fails_on_any_difference(tmp_path, capsys, flip):
    from dprob_utils.cli.main import main

    a = _folder(tmp_path / "a", {"c1": "reproduced", "c2": "inconclusive", "c3": "contradicted", "c4": "not run"})
    b = _folder(tmp_path / "b", {"c1": "inconclusive", "c2": "reproduced",
                                 "c3": "reproduced" if flip else "contradicted", "c4": "not run"})
    assert main(["compare", str(a), str(b)]) == 0
    assert main(["compare", str(a), str(b), "--strict"]) == 1
    out = capsys.readouterr().out
    assert f"between reproduced and contradicted: {int(flip)}; to or from inconclusive: 2" in out
    assert "verdict c1: reproduced → inconclusive" in out and "verdict c4" not in out
    assert main(["compare", str(a), str(a), "--strict"]) == 0


def test_compare_leaves_out_timings_and_provenance_and_follows_a_rename(tmp_path, capsys):
    from dprob_utils.cli.main import main

    a = _folder(tmp_path / "a", {}, **{"05_old": {"x": 1.0, "seconds": 3.0, "label": "SGD",
                                                  "provenance": {"git_commit": "abc"}}})
    b = _folder(tmp_path / "b", {}, **{"05_new": {"x": 1.0, "seconds": 9.0, "label": "SGD",
                                                  "provenance": {"git_commit": "def"}}})
    assert main(["compare", str(a), str(b), "--strict"]) == 1  # one results file on each side only
    assert main(["compare", str(a), str(b), "--strict", "--rename", "05_old=05_new"]) == 0
    (b / "05_new.json").write_text(json.dumps({"x": 1.0 + 1e-12, "label": "DP", "seconds": 1.0}))
    diff = compare(a, b, rename={"05_old": "05_new"})
    assert diff["changed"] == [] and [t["path"] for t in diff["texts"]] == ["label"]
    assert main(["compare", str(a), str(b), "--rename", "oops"]) == 2
    assert "OLD=NEW" in capsys.readouterr().err


def test_dprob_compare_of_a_folder_with_itself(tmp_path, capsys):
    from dprob_utils.cli.main import main

    (tmp_path / "01_training.json").write_text(json.dumps({"accuracy": 0.9}))
    assert main(["compare", str(tmp_path), str(tmp_path)]) == 0
    assert "no difference" in capsys.readouterr().out
    assert main(["compare", str(tmp_path / "nope"), str(tmp_path)]) == 2
