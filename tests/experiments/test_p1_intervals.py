"""Paper 1's intervals over seeds and test images: what the scorecard's Fig. 4 and Table 1 claims read."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from dprob_utils.config.profiles import SMOKE
from dprob_utils.experiments.p1_mnist import common, cross_sections, pgd
from dprob_utils.models import zoo

PROF = replace(SMOKE, name="smoke-fig4", p1_attacks=replace(
    SMOKE.p1_attacks, test_samples=100, pgd_eps=(0.1,), fig4_alphas=(pgd.FIG4_CLAIM_ALPHA,), fig4_samples=10,
    fig4_max_iters=5, pgd_steps=(3,), pgd_samples=50))


@pytest.mark.slow
def test_fig4_interval_is_the_paired_difference_of_censored_iterations():
    s = common.setup(PROF)
    out = pgd.fig4_intervals(s)
    iv = out["eps0.1"]
    assert iv["n_seeds"] == PROF.headline_seeds and iv["method"].startswith("paired")
    runs = [pgd._iterations_to_fool(zoo.p1_sgd(PROF, seed), zoo.p1_dp(PROF, seed=seed), s, 0.1, pgd.FIG4_CLAIM_ALPHA)
            for seed in zoo.headline_seeds(PROF)]
    cap = PROF.p1_attacks.fig4_max_iters + 1
    by_hand = np.mean([np.where(r["sgd"] < 0, cap, r["sgd"]).mean() - np.where(r["dp"] < 0, cap, r["dp"]).mean()
                       for r in runs])
    assert iv["estimate"] == pytest.approx(by_hand)
    assert iv["low"] <= iv["estimate"] <= iv["high"]


@pytest.mark.slow
def test_table1_intervals_use_the_first_pgd_samples_images_of_every_seed():
    s = common.setup(PROF)
    out = pgd.pgd_gap_intervals(s)
    cell = out["eps0.1_steps3"]
    assert cell["sgd_minus_dp"]["n_points"] == 50 and cell["sgd_minus_dp"]["n_seeds"] == PROF.headline_seeds
    # the gap minus the clean gap is the gap minus the clean gap on the same images
    clean = [common.correct_under(make(seed), s, "clean", {}, None, 50)
             for make in (lambda seed: zoo.p1_sgd(PROF, seed), lambda seed: zoo.p1_dp(PROF, seed=seed))
             for seed in zoo.headline_seeds(PROF)]
    n = PROF.headline_seeds
    clean_gap = np.mean([clean[i].mean() - clean[n + i].mean() for i in range(n)])
    assert cell["gap_minus_clean"]["estimate"] == pytest.approx(cell["sgd_minus_dp"]["estimate"] - clean_gap)


def test_largest_gap_overlap_counts_the_papers_corruptions_among_our_top_three():
    from dprob_utils.experiments.p1_mnist.mnistc import PAPER_LARGEST_GAPS, _overlap_with_paper

    names = [*PAPER_LARGEST_GAPS, "shot_noise", "identity_like"]
    ones, zeros = np.ones(10), np.zeros(10)
    # SGD always right; DP wrong on the paper's three and on one other: the paper's three tie with shot_noise
    d = {f"sgd_{n}": [ones] for n in names}
    d |= {f"dp_{n}": [zeros if n in PAPER_LARGEST_GAPS else ones] for n in names}
    assert _overlap_with_paper(names)(d) == 3
    d["dp_shot_noise"] = [zeros - 1]  # a larger gap pushes one of the paper's three out
    assert _overlap_with_paper(names)(d) == 2


@pytest.mark.slow
def test_normal_distance_interval_is_paired_over_seeds_and_images():
    s = common.setup(PROF)
    iv = cross_sections.normal_distance_interval(s)
    assert iv["n_seeds"] == PROF.headline_seeds and iv["method"].startswith("paired")
    runs = [cross_sections._normal_distances(zoo.p1_sgd(PROF, seed), zoo.p1_dp(PROF, seed=seed), s)
            for seed in zoo.headline_seeds(PROF)]
    assert iv["estimate"] == pytest.approx(np.mean([r["sgd"].mean() - r["dp"].mean() for r in runs]))
    cap = PROF.p1_attacks.cross_section_span + 2 * PROF.p1_attacks.cross_section_span / (
        PROF.p1_attacks.cross_section_resolution - 1)
    assert all((r[m] > 0).all() and (r[m] <= cap + 1e-6).all() for r in runs for m in ("sgd", "dp"))
