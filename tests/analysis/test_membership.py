"""The loss-threshold membership inference's ROC numbers against brute-force references."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from dprob_utils.analysis import membership as mia


def test_auc_is_the_share_of_pairs_ordered_right_with_ties_halved():
    rng = np.random.default_rng(0)
    a, b = rng.integers(0, 5, 40).astype(float), rng.integers(0, 4, 30).astype(float)
    brute = np.mean([(x > y) + 0.5 * (x == y) for x in a for y in b])
    assert mia.auc(a, b) == pytest.approx(brute)
    assert mia.auc(np.array([2.0, 3.0]), np.array([0.0, 1.0])) == 1.0
    assert mia.auc(np.ones(5), np.ones(7)) == 0.5
    assert np.isnan(mia.auc(np.array([1.0, np.nan]), np.array([0.0])))


@pytest.mark.parametrize("seed", range(5))
def test_auc_is_the_rank_sum_formulas_float_bit_for_bit(seed):
    from scipy.stats import rankdata

    rng = np.random.default_rng(seed)
    a, b = np.round(rng.normal(0.3, 1.0, 1000), 2), np.round(rng.normal(0.0, 1.0, 997), 2)  # many ties
    a[:3], b[:2] = np.inf, -np.inf
    ranks = rankdata(np.concatenate([a, b]))
    assert mia.auc(a, b) == float((ranks[: len(a)].sum() - len(a) * (len(a) + 1) / 2) / (len(a) * len(b)))


@pytest.mark.parametrize("fpr", [0.0, 0.001, 0.01, 0.1, 0.5])
def test_tpr_at_fpr_is_the_best_threshold_that_keeps_the_false_positives_down(fpr):
    rng = np.random.default_rng(1)
    a, b = rng.normal(1.0, 1.0, 500), rng.normal(0.0, 1.0, 1000)
    got = mia.tpr_at_fpr(a, b, fpr)
    # brute force: every threshold strictly above which at most fpr * n non-members lie; the best TPR among them
    best = max((a > t).mean() for t in np.concatenate([a, b, [np.inf]]) if (b > t).mean() <= fpr + 1e-12)
    assert got == pytest.approx(best)


def test_loss_scores_are_minus_the_cross_entropy():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(4, 3))
    x, y = torch.rand(10, 1, 2, 2), torch.randint(0, 3, (10,))
    expected = -nn.functional.cross_entropy(model(x), y, reduction="none")
    assert torch.allclose(mia.loss_scores(model, x, y, batch_size=3), expected.detach())


def test_logit_confidence_is_the_log_odds_of_the_true_class_and_stays_finite():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(4, 3))
    x, y = torch.rand(10, 1, 2, 2), torch.randint(0, 3, (10,))
    p = torch.softmax(model(x).double(), 1).gather(1, y[:, None])[:, 0].detach()
    assert torch.allclose(mia.logit_confidence(model, x, y, batch_size=3), torch.log(p / (1 - p)))
    sure = nn.Sequential(nn.Flatten(), nn.Linear(4, 3))
    with torch.no_grad():
        sure[1].weight.zero_()
        sure[1].bias.copy_(torch.tensor([60.0, 0.0, 0.0]))  # p_0 rounds to 1 in float32 and float64
    phi = mia.logit_confidence(sure, x, torch.zeros(10, dtype=torch.long))
    assert torch.allclose(phi, torch.full((10,), 60.0 - np.log(2), dtype=torch.float64))


def test_lira_offline_is_the_standardised_excess_over_the_references():
    rng = np.random.default_rng(0)
    refs, target = rng.normal(size=(4, 50)), rng.normal(size=50)
    mu = refs.mean(0)
    pooled = np.sqrt(((refs - mu) ** 2).sum() / (50 * 3))
    assert np.allclose(mia.lira_offline(target, refs), (target - mu) / pooled)
    assert np.allclose(mia.lira_offline(target, refs, per_example_variance=True), (target - mu) / refs.std(0, ddof=1))
    assert np.allclose(mia.lira_offline(target, refs[:1]), target - refs[0])  # one reference: no variance to pool
    with pytest.raises(ValueError, match="references must be"):
        mia.lira_offline(target, refs[:, :10])


def test_lira_beats_the_loss_threshold_when_points_differ_in_difficulty():
    """Each point has its own difficulty d (its confidence under any model that never saw it); membership adds a
    small lift. Thresholding the raw confidence mostly sorts by difficulty; subtracting the references' mean (LiRA)
    recovers the lift."""
    rng = np.random.default_rng(0)
    n, k = 2000, 4
    d = rng.normal(0, 3, n)
    member = rng.random(n) < 0.5
    target = d + 1.0 * member + rng.normal(0, 0.5, n)
    refs = d + rng.normal(0, 0.5, (k, n))
    z = mia.lira_offline(target, refs)
    assert mia.auc(z[member], z[~member]) > 0.8
    assert mia.auc(target[member], target[~member]) < 0.65
    assert mia.tpr_at_fpr(z[member], z[~member], 0.01) > 3 * mia.tpr_at_fpr(target[member], target[~member], 0.01)


def test_sgd_minus_dp_is_positive_when_only_sgd_leaks_and_roc_intervals_cover_their_estimates():
    rng = np.random.default_rng(0)
    n = 300
    leak = {"in": [rng.normal(1.0, 1, n) for _ in range(3)], "out": [rng.normal(0, 1, n) for _ in range(3)]}
    none = {"in": [rng.normal(0, 1, n) for _ in range(3)], "out": [rng.normal(0, 1, n) for _ in range(3)]}
    samples = {f"sgd:{w}": leak[w] for w in ("in", "out")} | {f"dp:{w}": none[w] for w in ("in", "out")}
    gap = mia.sgd_minus_dp(samples, mia.auc, True, seed=0, resamples=300)
    assert 0.15 < gap["low"] <= gap["estimate"] <= gap["high"] < 0.35  # AUC of a 1-sd shift is 0.76
    roc = mia.roc_intervals(leak["in"][0], leak["out"][0], seed=0, resamples=300)
    assert set(roc) == {"auc", "tpr_at_0.001", "tpr_at_0.01"}
    assert all(v["low"] <= v["estimate"] <= v["high"] for v in roc.values())
