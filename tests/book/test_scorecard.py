"""Scorecard: selectors, the rule evaluator, verdicts, and the claims file itself."""

from __future__ import annotations

import pytest

from dprob_utils.book import scorecard as S
from dprob_utils.book.results import save_json

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
    assert missing.verdict == "not run" and "does not exist" in missing.reason
    counts = S.summary([S.evaluate_claim(_claim(), "p"), missing])
    assert counts == {"reproduced": 1, "not reproduced": 0, "contradicted": 0, "inconclusive": 0, "not run": 1,
                      "total": 2}


def _iv(low, high):
    return {"estimate": (low + high) / 2, "low": low, "high": high, "n_points": 100, "n_seeds": 3}


def test_interval_rules_give_the_four_verdicts(tmp_path, monkeypatch):
    monkeypatch.setenv("DPROB_RESULTS", str(tmp_path))
    save_json("p", "iv", {"above": _iv(0.02, 0.06), "below": _iv(-0.05, -0.01), "across": _iv(-0.01, 0.03)})

    def claim(*names, **kw):
        return _claim(values={n: f"iv:{n}" for n in names}, rule=None, effect=list(names), direction=">", **kw)

    def verdict(c):
        c = {k: v for k, v in c.items() if v is not None}
        return S.evaluate_claim(c, "p")

    assert verdict(claim("above")).verdict == "reproduced"
    assert verdict(claim("below")).verdict == "contradicted"
    assert verdict(claim("across")).verdict == "inconclusive"
    assert verdict(_claim(values={"x": "iv:absent"}, rule=None, effect="x")).verdict == "not run"
    assert verdict(claim("above", "across")).verdict == "inconclusive"  # every effect must hold
    assert verdict(claim("above", "below")).verdict == "contradicted"
    v = verdict(claim("above", paper_estimate=0.05))
    assert v.kind == "interval" and v.paper_inside is True and v.n_seeds == 3 and "[0.02, 0.06]" in v.ours
    assert verdict(claim("above", paper_estimate=0.15)).paper_inside is False
    assert verdict(claim("above", threshold=0.03)).verdict == "inconclusive"  # a magnitude the paper states


def test_an_effect_may_be_a_list_of_intervals_and_bounds_may_be_infinite(tmp_path, monkeypatch):
    monkeypatch.setenv("DPROB_RESULTS", str(tmp_path))
    inf = float("inf")
    save_json("p", "iv", {"models": {"a:s1": {"d": _iv(0.02, 0.06)}, "a:s2": {"d": _iv(0.01, 0.03)},
                                     "b:s1": {"d": _iv(-0.5, -0.1)}},
                          "unbounded": _iv(0.5, inf), "undefined": _iv(float("nan"), float("nan"))})
    each = "[v['d'] for k, v in zip(m, values(m)) if startswith(k, '{}')]"

    def verdict(effect, values):
        return S.evaluate_claim(_claim(values=values, rule=None, effect=effect), "p")

    assert verdict(each.format("a:"), {"m": "iv:models"}).verdict == "reproduced"
    assert verdict(each.format("b:"), {"m": "iv:models"}).verdict == "contradicted"
    none = verdict(each.format("c:"), {"m": "iv:models"})
    assert none.verdict == "not run" and "no effect" in none.reason
    by_label = verdict("m", {"m": "iv:models/a:s1"})  # a dict of intervals: one effect per label
    assert by_label.verdict == "reproduced" and by_label.ours.startswith("d: 0.04 [0.02, 0.06]")
    assert verdict("u", {"u": "iv:unbounded"}).verdict == "reproduced"  # saved as the string "inf"
    assert verdict("u", {"u": "iv:undefined"}).verdict == "inconclusive"


def test_claims_file_is_valid_and_every_rule_parses():
    claims = S.load_claims()
    assert len(claims) >= 10
    assert {c["paper"] for c in claims} == {1, 2}
    for c in claims:
        names = {k: 1.0 for k in c["values"]}
        if "effect" in c:
            assert c["direction"] in (">", "<", "within")
            effects = c["effect"] if isinstance(c["effect"], list) else [c["effect"]]
            if c["direction"] == "within":
                assert len(c["threshold"]) == 2 and c["threshold"][0] <= c["threshold"][1]
            if "thresholds" in c:
                assert len(c["thresholds"]) == len(effects)
            for e in effects:
                try:
                    S.safe_eval(e, {k: {} for k in c["values"]})
                except (IndexError, KeyError):
                    pass  # an effect that picks an item of a dict of intervals cannot run on an empty one
            continue
        compile(c["rule"], c["id"], "eval")
        try:
            S.safe_eval(c["rule"], names)
        except (TypeError, IndexError, KeyError, AttributeError):
            pass  # rules over lists cannot run on dummy scalars; parsing and the whitelist are what we check


def _claim_by_id(claim_id: str) -> dict:
    from dprob_utils.book.scorecard import load_claims

    return next(c for c in load_claims() if c["id"] == claim_id)


@pytest.mark.parametrize("dp_worse", [True, False])
def test_model_group_rules_leave_the_sgd_baseline_out_of_the_dp_group(tmp_path, monkeypatch, dp_worse):
    """``p2_custom:sgd`` starts with ``p2_custom:s`` too: a rule that compares every DP model with SGD must not
    compare SGD with itself (which made such claims fail whatever the numbers); the PGD claim reads one interval
    per DP model of its architecture."""
    from dprob_utils.book.scorecard import evaluate_claim

    monkeypatch.setenv("DPROB_RESULTS", str(tmp_path))
    dp, sgd = (0.8, 0.5) if dp_worse else (0.4, 0.5)
    d = _iv(0.2, 0.4) if dp_worse else _iv(-0.2, -0.05)
    ivs = {"p2_lenet:s1.3_c1": {"mean_success_minus_sgd": d}, "p2_lenet:s3_c10": {"mean_success_minus_sgd": d},
           "p2_custom:s1.3_c1": {"mean_success_minus_sgd": _iv(-0.3, -0.2)}}  # another architecture: left out
    save_json("p", "08_p2_pgd", {"intervals": ivs})
    vs = {"p2_custom:s1.3_c1": {"log_mean_abs_minus_sgd": _iv(0.5, 0.9) if dp_worse else _iv(-0.9, -0.5),
                                "zero_dense1_minus_sgd": _iv(1, 2)},
          "p2_lenet:s1.3_c1": {"log_mean_abs_minus_sgd": _iv(-0.9, -0.5)}}  # another architecture: left out
    save_json("p", "10_p2_transfer_gradients", {"gradient_intervals": {"versus_sgd": vs}})
    assert evaluate_claim(_claim_by_id("p2-gradients-larger"), "p").verdict == (
        "reproduced" if dp_worse else "contradicted")
    assert evaluate_claim(_claim_by_id("p2-pgd-lenet-sgd-most-robust"), "p").verdict == (
        "reproduced" if dp_worse else "contradicted")


def test_magnitude_bands_and_one_threshold_per_effect(tmp_path, monkeypatch):
    monkeypatch.setenv("DPROB_RESULTS", str(tmp_path))
    save_json("p", "iv", {"final": _iv(0.5, 0.7), "gain": _iv(0.0, 0.02), "size": _iv(0.10, 0.20)})

    def verdict(**kw):
        return S.evaluate_claim(_claim(values={"f": "iv:final", "g": "iv:gain", "s": "iv:size"}, rule=None, **kw), "p")

    plateau = verdict(effect=["f", "g"], direction="<", thresholds=[0.99, 0.03])
    assert plateau.verdict == "reproduced" and plateau.reason == "reproduced, reproduced"
    assert "f < 0.99 and g < 0.03" in plateau.rule
    assert verdict(effect=["f", "g"], direction="<", thresholds=[0.99, 0.01]).verdict == "inconclusive"
    size = verdict(effect="s", direction="within", threshold=[0.077, 0.308], paper_estimate=0.154)
    assert size.verdict == "reproduced" and size.paper_inside and "within [0.077, 0.308]" in size.rule
    assert verdict(effect="s", direction="within", threshold=[0.3, 0.6]).verdict == "contradicted"


def test_errata_are_applied_to_the_papers_numbers_and_shown():
    from dprob_utils.reference import corrected, erratum_fields, load_reference

    rows = {r["corruption"]: r for r in load_reference("paper1_table2")}
    noise = corrected(rows["gaussian_noise"])
    assert noise["sgd"] == 94.54 and noise["printed_sgd"] == 88.05
    assert noise["sgd"] - noise["dp_s1.3_c1"] == pytest.approx(noise["difference"])  # the printed 13.33 fits
    assert corrected(rows["brightness"]) == rows["brightness"] | {}  # no erratum: unchanged
    assert erratum_fields(rows["zoom_blur"]) == {"difference": 6.61}
    cifar = {r["quantity"]: corrected(r) for r in load_reference("paper1_cifar")}
    assert cifar["mean_linf_distance"]["sgd"] < cifar["mean_l2_distance"]["sgd"]  # L∞ <= L2 after the swap
    claims = {c["id"]: c for c in S.load_claims()}
    assert "erratum" in claims["p1-mnistc-gaussian_noise"] and "erratum" in claims["p1-cifar-distance-linf"]
    assert claims["p1-cifar-distance-linf"]["paper_estimate"] == pytest.approx(0.178 - 0.158)


def test_claims_load_the_same_with_either_yaml_loader():
    import yaml

    from dprob_utils.book.scorecard import CLAIMS_FILE, load_claims

    assert load_claims() == yaml.safe_load(CLAIMS_FILE.read_text())
