"""Membership inference. Two attacks, both scoring each candidate image (higher: more likely a member):

- **loss threshold** (Yeom et al. 2018): a training image's loss is lower than an unseen one's, so minus the loss
  scores membership (:func:`loss_scores`);
- **LiRA offline** (Carlini et al. 2022, "Membership Inference Attacks From First Principles", Sec. IV and
  Algorithm 1 without the IN models): a few reference models trained like the target on data without the
  candidates give, per candidate, the distribution of its logit-scaled confidence when it is *not* a member; the
  score is how far the target's confidence lies above it (:func:`lira_offline`). The calibration removes what the
  loss threshold confuses with membership: that some images are easy for every model.

Their success is the ROC of members against non-members: the AUC and the true-positive rate at a low
false-positive rate (Carlini et al.'s measure: an attack is dangerous when it is sure of a few, not when it is right
on average).

:func:`roc_intervals` and :func:`sgd_minus_dp` put 95% bootstrap intervals on them. Used by chapter 12 (what the
privacy buys), on every MNIST model of the book and on the audit's canaries, and by chapter 07 on the CIFAR-10
heads.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from torch import nn

from dprob_utils.analysis.intervals import bootstrap

LOW_FPRS = (0.001, 0.01)
RESAMPLES = 1000  # bootstrap replicates of the attacks' intervals (an AUC resample sorts every score)


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


def logit_confidence(model: nn.Module, x: torch.Tensor, y: torch.Tensor, batch_size: int = 2000) -> torch.Tensor:
    """LiRA's statistic: ``log(p_y / (1 - p_y))`` of each image of ``x`` (``[n, ...]``) under ``model``, computed
    in float64 from the logits as ``z_y - logsumexp_{j != y} z_j`` (finite even where ``p_y`` rounds to 1),
    ``[n]`` float64 on the CPU."""
    model.eval()
    dev = next(model.parameters()).device
    out = []
    with torch.no_grad():
        for i in range(0, len(y), batch_size):
            z = model(x[i:i + batch_size].to(dev)).double().cpu()
            yy = y[i:i + batch_size].cpu()
            own = z.gather(1, yy[:, None])[:, 0]
            others = z.scatter(1, yy[:, None], float("-inf")).logsumexp(1)
            out.append(own - others)
    return torch.cat(out) if out else torch.zeros(0, dtype=torch.float64)


def lira_offline(target: np.ndarray, references: np.ndarray, per_example_variance: bool = False) -> np.ndarray:
    """LiRA offline scores ``[n]``: ``(target - mu) / sd`` where ``target`` (``[n]``) is each candidate's
    :func:`logit_confidence` under the attacked model, and ``mu`` the mean over ``references`` (``[k, n]``, the
    same statistic under ``k`` reference models that never saw the candidates). ``sd`` is one standard deviation
    pooled over all candidates (Carlini et al.'s fixed variance, their choice for few reference models: then the
    score ranks as ``target - mu``), or each candidate's own (``per_example_variance``, needs ``k >= 2``). The
    one-sided test's p-value is a decreasing function of this score, so both give the same ROC."""
    t = np.asarray(target, dtype=np.float64)
    r = np.atleast_2d(np.asarray(references, dtype=np.float64))
    if r.shape[1] != t.shape[0] or r.shape[0] < 1:
        raise ValueError(f"references must be [k >= 1, {t.shape[0]}], got {list(r.shape)}")
    mu = r.mean(0)
    if per_example_variance:
        if r.shape[0] < 2:
            raise ValueError("a per-example variance needs at least 2 reference models")
        sd = r.std(0, ddof=1)
    else:
        k, n = r.shape
        pooled = np.sqrt(((r - mu) ** 2).sum() / (n * (k - 1))) if k > 1 and n else 1.0
        sd = np.full_like(mu, pooled if pooled > 0 else 1.0)
    return (t - mu) / np.maximum(sd, 1e-12)


def auc(members: np.ndarray, others: np.ndarray) -> float:
    """P[a member's score > a non-member's] + P[tie] / 2 (the ROC's area; 0.5: no better than a coin): the
    Mann-Whitney count of ordered pairs over ``len(members) * len(others)``, counted by binary search (the same
    float as the rank-sum formula: both counts are exact; NaN if a score is NaN)."""
    a, b = np.asarray(members, dtype=np.float64), np.asarray(others, dtype=np.float64)
    if len(a) == 0 or len(b) == 0 or np.isnan(a).any() or np.isnan(b).any():
        return float("nan")
    b = np.sort(b)
    below, not_above = np.searchsorted(b, a, "left"), np.searchsorted(b, a, "right")
    pairs = float(below.sum()) + float((not_above - below).sum()) / 2
    return float(pairs / (len(a) * len(b)))


def tpr_at_fpr(members: np.ndarray, others: np.ndarray, fpr: float) -> float:
    """The share of members scored above the threshold that lets at most ``fpr`` of the non-members through
    (0 when ``fpr`` admits none of them: with 1,000 non-members, 0.1% is one)."""
    a, b = np.asarray(members, dtype=np.float64), np.sort(np.asarray(others, dtype=np.float64))[::-1]
    allowed = int(np.floor(fpr * len(b) + 1e-9))
    if allowed >= len(b):
        return 1.0
    threshold = b[allowed]  # the (allowed + 1)-th highest non-member score: strictly above it, at most `allowed`
    return float((a > threshold).mean())


def roc_intervals(members: np.ndarray, others: np.ndarray, seed: int, resamples: int = RESAMPLES) -> dict:
    """``{"auc": ..., "tpr_at_0.001": ..., "tpr_at_0.01": ...}``: the AUC and the TPR at each of
    :data:`LOW_FPRS` of scores ``members`` ``[n]`` against ``others`` ``[n']``, each an interval dict (bootstrap
    over the points)."""
    samples = {"in": [members], "out": [others]}
    out = {"auc": bootstrap(lambda d: auc(d["in"][0], d["out"][0]), samples, resamples=resamples,
                            seed=seed).to_dict()}
    for f in LOW_FPRS:
        out[f"tpr_at_{f:g}"] = bootstrap(lambda d, f=f: tpr_at_fpr(d["in"][0], d["out"][0], f), samples,
                                         resamples=resamples, seed=seed).to_dict()
    return out


def _over_seeds(metric: Callable[[np.ndarray, np.ndarray], float], d: dict[str, list[np.ndarray]],
                model: str) -> float:
    return float(np.mean([metric(a, b) for a, b in zip(d[f"{model}:in"], d[f"{model}:out"])]))


def sgd_minus_dp(samples: dict[str, list[np.ndarray]], metric: Callable[[np.ndarray, np.ndarray], float],
                 paired: bool, seed: int, resamples: int = RESAMPLES) -> dict:
    """The interval dict of SGD minus DP-SGD of ``metric(members, others)`` (e.g. :func:`auc`), each averaged over
    the seeds: ``samples`` has ``"sgd:in"``, ``"sgd:out"``, ``"dp:in"``, ``"dp:out"``, one score array per seed
    (``paired``: both models scored the same points; a bootstrap over seeds, then points)."""
    return bootstrap(lambda d: _over_seeds(metric, d, "sgd") - _over_seeds(metric, d, "dp"), samples, paired=paired,
                     resamples=resamples, seed=seed).to_dict()


def tpr_at_1pct(members: np.ndarray, others: np.ndarray) -> float:
    """:func:`tpr_at_fpr` at 1% FPR."""
    return tpr_at_fpr(members, others, 0.01)
