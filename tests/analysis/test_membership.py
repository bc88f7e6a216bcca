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
