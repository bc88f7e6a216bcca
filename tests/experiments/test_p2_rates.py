"""Paper 2's pooled success rates: what the claims that an attack "reaches 100%" read."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from dprob_utils.analysis.intervals import wilson
from dprob_utils.config.profiles import SMOKE
from dprob_utils.experiments.p2 import intervals, pgd, transfer_gradients


def test_pooled_rates_pool_every_seeds_points_into_one_wilson_interval(monkeypatch):
    models = [SimpleNamespace(key="p2_lenet:sgd", arch="p2_lenet"), SimpleNamespace(key="p2_custom:sgd", arch="p2_custom")]
    monkeypatch.setattr(intervals, "seed_models", lambda prof, m: [m, m, m])
    counts = {"p2_lenet:sgd": (99, 100), "p2_custom:sgd": (100, 100)}
    out = intervals.pooled_rates(SMOKE, models, lambda m: counts[m.key])
    lenet = out["p2_lenet"]["p2_lenet:sgd"]
    ref = wilson(297, 300)
    assert lenet["estimate"] == pytest.approx(0.99) and lenet["low"] == pytest.approx(ref.low)
    assert lenet["n_seeds"] == 3 and lenet["n_points"] == 100 and "pooled" in lenet["method"]
    assert out["p2_custom"]["p2_custom:sgd"]["high"] == pytest.approx(1.0)


def _model(key, arch, mode="dpsgd", sigma=1.3, clip=1.0, group=None):
    cfg = SimpleNamespace(mode=mode, sigma=sigma, clip=clip)
    return SimpleNamespace(key=key, arch=arch, cfg=cfg, group=group or arch)


def test_trend_pairs_are_neighbouring_settings_of_one_architecture():
    ms = [_model("a:sgd", "a", mode="sgd", sigma=0.0), _model("a:s1.3_c10", "a", clip=10.0),
          _model("a:s1.3_c1", "a"), _model("a:s3_c10", "a", sigma=3.0, clip=10.0),
          _model("a:s0_c10", "a", sigma=0.0, clip=10.0), _model("masked:m1", "a", sigma=2.0, clip=5.0, group="masked")]
    pairs = intervals.trend_pairs(ms)["a"]
    assert pairs["σ1.3"] == [("C 1→10", "a:s1.3_c1", "a:s1.3_c10")]
    assert [p[0] for p in pairs["C10"]] == ["σ 0→1.3", "σ 1.3→3"]
    assert pairs["C1"] == []


def test_the_largest_drop_of_a_monotone_curve_is_zero(monkeypatch):
    rng = np.random.default_rng(0)
    rising = {str(i): (rng.random(200) < p).astype(float) for i, p in enumerate([0.1, 0.5, 0.9, 1.0])}
    falling = {"0": np.ones(200), "1": np.r_[np.ones(100), np.zeros(100)]}
    curves = {"up": rising, "down": falling}
    monkeypatch.setattr(pgd, "seed_models", lambda prof, m: [m])
    monkeypatch.setattr(pgd, "curve_points", lambda m, prof: curves[m.key])
    out = pgd.largest_drop(SMOKE, [SimpleNamespace(key="up"), SimpleNamespace(key="down")])
    assert out["up"]["estimate"] == 0.0
    assert out["down"]["estimate"] == pytest.approx(0.5) and out["down"]["low"] > 0.4


def test_transfer_group_differences_compare_cell_means():
    cells = {"pgd|a|b": np.ones(50), "pgd|b|a": np.zeros(50), "pgd|a|c": np.r_[np.ones(25), np.zeros(25)],
             "pgd|c|a": np.array([])}
    iv = transfer_gradients.group_difference(SMOKE, cells, ["pgd|a|b", "pgd|a|c"], ["pgd|b|a", "pgd|c|a"])
    assert iv["estimate"] == pytest.approx(0.75)  # (1 + 0.5) / 2 - 0; the empty cell is left out
    assert transfer_gradients.group_difference(SMOKE, cells, ["pgd|a|b"], ["pgd|c|a"]) is None


def test_trends_take_each_architectures_own_quantities(monkeypatch):
    ms = [_model("a:s1.3_c1", "a"), _model("a:s1.3_c10", "a", clip=10.0),
          _model("b:s1.3_c1", "b"), _model("b:s1.3_c10", "b", clip=10.0)]
    layers = {"a": ("conv1", "dense3"), "b": ("conv1",)}  # a layer only architecture a has
    monkeypatch.setattr(intervals, "seed_models", lambda prof, m: [m, m])
    values = {m.key: {f"zero_{layer}": np.full(4, 10.0 if m.cfg.clip > 1 else 5.0) for layer in layers[m.arch]}
              for m in ms}
    out = intervals.trend_intervals(SMOKE, ms, lambda m: values[m.key])
    assert out["zero_dense3"]["a"]["σ1.3"]["C 1→10"]["estimate"] == pytest.approx(5.0)
    assert "b" not in out["zero_dense3"] and out["zero_conv1"]["b"]["σ1.3"]["C 1→10"]["estimate"] == 5.0
