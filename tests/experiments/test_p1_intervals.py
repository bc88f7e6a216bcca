"""Paper 1's intervals over seeds and test images: what the scorecard's Fig. 4 and Table 1 claims read."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from dprob_utils.config.profiles import SMOKE
from dprob_utils.experiments import p1_mnist as P
from dprob_utils.models import zoo

PROF = replace(SMOKE, name="smoke-fig4", p1_attacks=replace(
    SMOKE.p1_attacks, test_samples=100, pgd_eps=(0.1,), fig4_alphas=(P.FIG4_CLAIM_ALPHA,), fig4_samples=10,
    fig4_max_iters=5, pgd_steps=(3,), pgd_samples=50))


@pytest.mark.slow
def test_fig4_interval_is_the_paired_difference_of_censored_iterations():
    s = P.setup(PROF)
    out = P.fig4_intervals(s)
    iv = out["eps0.1"]
    assert iv["n_seeds"] == PROF.headline_seeds and iv["method"].startswith("paired")
    runs = [P._iterations_to_fool(zoo.p1_sgd(PROF, seed), zoo.p1_dp(PROF, seed=seed), s, 0.1, P.FIG4_CLAIM_ALPHA)
            for seed in zoo.headline_seeds(PROF)]
    cap = PROF.p1_attacks.fig4_max_iters + 1
    by_hand = np.mean([np.where(r["sgd"] < 0, cap, r["sgd"]).mean() - np.where(r["dp"] < 0, cap, r["dp"]).mean()
                       for r in runs])
    assert iv["estimate"] == pytest.approx(by_hand)
    assert iv["low"] <= iv["estimate"] <= iv["high"]


@pytest.mark.slow
def test_table1_intervals_use_the_first_pgd_samples_images_of_every_seed():
    s = P.setup(PROF)
    out = P.pgd_gap_intervals(s)
    cell = out["eps0.1_steps3"]
    assert cell["sgd_minus_dp"]["n_points"] == 50 and cell["sgd_minus_dp"]["n_seeds"] == PROF.headline_seeds
    # the gap minus the clean gap is the gap minus the clean gap on the same images
    clean = [P._correct_under(make(seed), s, "clean", {}, None, 50)
             for make in (lambda seed: zoo.p1_sgd(PROF, seed), lambda seed: zoo.p1_dp(PROF, seed=seed))
             for seed in zoo.headline_seeds(PROF)]
    n = PROF.headline_seeds
    clean_gap = np.mean([clean[i].mean() - clean[n + i].mean() for i in range(n)])
    assert cell["gap_minus_clean"]["estimate"] == pytest.approx(cell["sgd_minus_dp"]["estimate"] - clean_gap)
