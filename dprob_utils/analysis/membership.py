"""Membership inference by a loss threshold (Yeom et al. 2018): a training image's loss is lower than an unseen
one's, so minus the loss scores membership. Its success is the ROC of members against non-members: the AUC and
the true-positive rate at a low false-positive rate (Carlini et al. 2022's measure: an attack is dangerous when
it is sure of a few, not when it is right on average).

Used by chapter 12 (what the privacy buys), on every model of the book and on the audit's canaries.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

LOW_FPRS = (0.001, 0.01)


def loss_scores(model: nn.Module, x: torch.Tensor, y: torch.Tensor, batch_size: int = 2000) -> torch.Tensor:
    """Minus the cross-entropy of each image of ``x`` (``[n, ...]``) with label ``y`` under ``model``, ``[n]``
    on the CPU (higher: more likely a member)."""
    model.eval()
    dev = next(model.parameters()).device
    out = []
    with torch.no_grad():
        for i in range(0, len(y), batch_size):
            logits = model(x[i:i + batch_size].to(dev))
            out.append(-nn.functional.cross_entropy(logits, y[i:i + batch_size].to(dev), reduction="none").cpu())
    return torch.cat(out) if out else torch.zeros(0)


def auc(members: np.ndarray, others: np.ndarray) -> float:
    """P[a member's score > a non-member's] + P[tie] / 2 (the ROC's area; 0.5: no better than a coin)."""
    a, b = np.asarray(members, dtype=np.float64), np.asarray(others, dtype=np.float64)
    if len(a) == 0 or len(b) == 0:
        return float("nan")
    from scipy.stats import rankdata

    ranks = rankdata(np.concatenate([a, b]))
    return float((ranks[: len(a)].sum() - len(a) * (len(a) + 1) / 2) / (len(a) * len(b)))


def tpr_at_fpr(members: np.ndarray, others: np.ndarray, fpr: float) -> float:
    """The share of members scored above the threshold that lets at most ``fpr`` of the non-members through
    (0 when ``fpr`` admits none of them: with 1,000 non-members, 0.1% is one)."""
    a, b = np.asarray(members, dtype=np.float64), np.sort(np.asarray(others, dtype=np.float64))[::-1]
    allowed = int(np.floor(fpr * len(b) + 1e-9))
    if allowed >= len(b):
        return 1.0
    threshold = b[allowed]  # the (allowed + 1)-th highest non-member score: strictly above it, at most `allowed`
    return float((a > threshold).mean())
