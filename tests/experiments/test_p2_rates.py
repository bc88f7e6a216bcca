"""Paper 2's pooled success rates: what the claims that an attack "reaches 100%" read."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from dprob_utils.analysis.intervals import wilson
from dprob_utils.config.profiles import SMOKE
from dprob_utils.experiments import p2


def test_pooled_rates_pool_every_seeds_points_into_one_wilson_interval(monkeypatch):
    models = [SimpleNamespace(key="p2_lenet:sgd", arch="p2_lenet"), SimpleNamespace(key="p2_custom:sgd", arch="p2_custom")]
    monkeypatch.setattr(p2, "seed_models", lambda prof, m: [m, m, m])
    counts = {"p2_lenet:sgd": (99, 100), "p2_custom:sgd": (100, 100)}
    out = p2.pooled_rates(SMOKE, models, lambda m: counts[m.key])
    lenet = out["p2_lenet"]["p2_lenet:sgd"]
    ref = wilson(297, 300)
    assert lenet["estimate"] == pytest.approx(0.99) and lenet["low"] == pytest.approx(ref.low)
    assert lenet["n_seeds"] == 3 and lenet["n_points"] == 100 and "pooled" in lenet["method"]
    assert out["p2_custom"]["p2_custom:sgd"]["high"] == pytest.approx(1.0)
