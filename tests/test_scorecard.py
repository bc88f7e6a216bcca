"""Scorecard: selectors, the rule evaluator, verdicts, and the claims file itself."""

from __future__ import annotations

import pytest

from dprob_utils import scorecard as S
from dprob_utils.results import save_json

DATA = {"models": [{"label": "SGD", "accuracy": 0.99}, {"label": "DP", "sigma": 1.3, "accuracy": 0.96}],
        "gap": {"eps_0.12": 0.15, "clean": 0.026}}


def test_select_paths_and_filters():
    assert S.select(DATA, "models[label=DP]/accuracy") == 0.96
    assert S.select(DATA, "models[sigma=1.30]/label") == "DP"
    assert S.select(DATA, "models[0]/label") == "SGD"
    assert S.select(DATA, "gap/eps_0.12") == 0.15
    for bad in ("models[label=X]/accuracy", "nope", "models[5]", "gap[0]"):
        with pytest.raises(S.MissingValue):
            S.select(DATA, bad)


def test_safe_eval_allows_arithmetic_and_rejects_everything_else():
    assert S.safe_eval("a - b > 0.1 and max(a, b) == a", {"a": 0.5, "b": 0.2})
    for bad in ("__import__('os')", "a.__class__", "open('x')", "[x for x in ().__class__.__bases__]"):
        with pytest.raises(ValueError):
            S.safe_eval(bad, {"a": 1})


def _claim(**kw):
    base = {"id": "t", "paper": 1, "where": "Fig. 2", "claim": "gap grows", "paper_value": "15.4 vs 2.6",
            "values": {"a": "fake:gap/eps_0.12", "b": "fake:gap/clean"}, "rule": "a > b"}
    base.update(kw)
    return base


def test_verdicts_follow_the_rule(tmp_path, monkeypatch):
    monkeypatch.setenv("DPROB_RESULTS", str(tmp_path))
    save_json("p", "fake", DATA)
    assert S.evaluate_claim(_claim(), "p").verdict == "reproduced"
    assert S.evaluate_claim(_claim(rule="a < b"), "p").verdict == "not reproduced"
    assert S.evaluate_claim(_claim(inconclusive_if="abs(a - b) < 1"), "p").verdict == "inconclusive"
    missing = S.evaluate_claim(_claim(values={"a": "absent:x"}), "p")
    assert missing.verdict == "inconclusive" and "does not exist" in missing.reason
    counts = S.summary([S.evaluate_claim(_claim(), "p"), missing])
    assert counts == {"reproduced": 1, "not reproduced": 0, "inconclusive": 1, "total": 2}


def test_claims_file_is_valid_and_every_rule_parses():
    claims = S.load_claims()
    assert len(claims) >= 10
    assert {c["paper"] for c in claims} == {1, 2}
    for c in claims:
        names = {k: 1.0 for k in c["values"]}
        compile(c["rule"], c["id"], "eval")
        try:
            S.safe_eval(c["rule"], names)
        except (TypeError, IndexError, KeyError, AttributeError):
            pass  # rules over lists cannot run on dummy scalars; parsing and the whitelist are what we check
