"""An empirical privacy audit in one training run (Steinke, Nasr, Jagielski, "Privacy Auditing with One (1)
Training Run", NeurIPS 2023): the lower bound on ε that the accountant's ε must never fall below.

``m`` canaries (mislabelled copies of MNIST test images, :func:`canaries`) are each put into the training set
independently with probability 1/2 (:func:`membership`); the model is trained once; each canary gets a score
(minus its loss: a member's is lower); the auditor guesses "in" for the ``k_pos`` highest scores and "out" for
the ``k_neg`` lowest and abstains on the rest. Under (ε, δ)-DP the number ``v`` of correct guesses out of ``r``
is at most a Binomial(r, e^ε / (1 + e^ε)) plus a δ term (the paper's Theorem 3.3 and Appendix D), so an ε whose
p-value for ``v`` is below 1 - confidence is ruled out: :func:`epsilon_lower_bound` is the largest such ε.

Used by the chapter "What DP buys" (issue 23); :func:`train_audited` trains one model with its canaries.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import torch
from scipy import stats
from torch import nn

from dprob_utils.config.errors import ConfigError


def p_value(m: int, r: int, v: int, eps: float, delta: float) -> float:
    """Probability of at least ``v`` correct guesses out of ``r`` (abstaining on the other ``m - r`` canaries)
    against an (ε, δ)-DP training run: P[Binomial(r, q) ≥ v] with q = e^ε / (1 + e^ε), plus
    2 m δ · max_{1 ≤ i ≤ v} P[v - i ≤ Binomial(r, q) < v] / i (Steinke et al., Appendix D). At most 1."""
    if not 0 <= v <= r <= m:
        raise ConfigError(f"need 0 <= v <= r <= m, got v={v}, r={r}, m={m}")
    if eps < 0 or not 0 <= delta <= 1:
        raise ConfigError(f"need eps >= 0 and 0 <= delta <= 1, got eps={eps}, delta={delta}")
    q = 1.0 / (1.0 + math.exp(-eps))
    tail = float(stats.binom.sf(v - 1, r, q))
    if delta == 0 or v == 0:
        return min(tail, 1.0)
    below = np.cumsum(stats.binom.pmf(v - np.arange(1, v + 1), r, q))  # P[v - i <= B < v], i = 1..v
    worst = float(np.max(below / np.arange(1, v + 1)))
    return min(tail + 2 * m * delta * worst, 1.0)


def epsilon_lower_bound(m: int, r: int, v: int, delta: float, confidence: float = 0.95, tol: float = 1e-6,
                        eps_max: float = 100.0) -> float:
    """The largest ε that ``v`` correct guesses out of ``r`` (of ``m`` canaries) rule out at ``confidence``:
    sup{ε : p_value(ε) < 1 - confidence}, by bisection to ``tol``; 0 when not even ε = 0 is ruled out."""
    if not 0 < confidence < 1:
        raise ConfigError(f"confidence must be in (0, 1), got {confidence}")
    level = 1 - confidence
    if p_value(m, r, v, 0.0, delta) >= level:
        return 0.0
    lo, hi = 0.0, 1.0
    while p_value(m, r, v, hi, delta) < level:  # p_value rises with eps
        lo, hi = hi, 2 * hi
        if hi > eps_max:
            return eps_max
    while hi - lo > tol:
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if p_value(m, r, v, mid, delta) < level else (lo, mid)
    return lo


@dataclass(frozen=True)
class Audit:
    """One audit: ``m`` canaries, ``k_pos`` "in" and ``k_neg`` "out" guesses, ``correct`` of them right, and the
    lower bound ``epsilon_lb`` on ε at ``confidence`` and ``delta``."""

    m: int
    k_pos: int
    k_neg: int
    correct: int
    delta: float
    confidence: float
    epsilon_lb: float

    @property
    def guesses(self) -> int:
        return self.k_pos + self.k_neg

    def to_dict(self) -> dict:
        return asdict(self) | {"guesses": self.guesses}


def audit(scores: np.ndarray | torch.Tensor, members: np.ndarray | torch.Tensor, k_pos: int, k_neg: int,
          delta: float, confidence: float = 0.95) -> Audit:
    """Guess "in" for the ``k_pos`` highest ``scores`` (shape ``[m]``) and "out" for the ``k_neg`` lowest, count
    the guesses that ``members`` (bool ``[m]``) confirms, and bound ε. ``k_pos``, ``k_neg`` must be fixed before
    looking at the scores (choosing them afterwards voids the confidence)."""
    s = np.asarray(scores, dtype=np.float64)
    mem = np.asarray(members, dtype=bool)
    m = len(s)
    if mem.shape != s.shape:
        raise ConfigError(f"scores and members must have the same shape, got {s.shape} and {mem.shape}")
    if k_pos < 0 or k_neg < 0 or k_pos + k_neg > m:
        raise ConfigError(f"need k_pos, k_neg >= 0 and k_pos + k_neg <= m = {m}, got {k_pos} and {k_neg}")
    order = np.argsort(-s, kind="stable")
    correct = int(mem[order[:k_pos]].sum()) + int((~mem[order[m - k_neg:]]).sum())
    r = k_pos + k_neg
    return Audit(m=m, k_pos=k_pos, k_neg=k_neg, correct=correct, delta=delta, confidence=confidence,
                 epsilon_lb=epsilon_lower_bound(m, r, correct, delta, confidence))


def canaries(m: int, seed: int, data_dir: str | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """``m`` canaries: the MNIST test images at the end of one random permutation (seed ``seed``), each with a
    random wrong label; images ``[m, 1, 28, 28]`` in [0, 1] and labels ``[m]``. Mislabelled images are the
    examples a model must memorise to fit, so where MNIST leaks most."""
    from dprob_utils.data.datasets import load_dataset

    test = load_dataset("mnist", "test", data_dir)
    if not 0 < m <= len(test):
        raise ConfigError(f"the number of canaries must be in 1..{len(test)}, got {m}")
    g = torch.Generator().manual_seed(seed)
    idx = torch.randperm(len(test), generator=g)[-m:]
    shift = torch.randint(1, 10, (m,), generator=g)
    return test.x[idx], (test.y[idx] + shift) % 10


def membership(m: int, seed: int) -> torch.Tensor:
    """Which canaries go into the training set: bool ``[m]``, each True with probability 1/2 (seed ``seed``)."""
    g = torch.Generator().manual_seed(seed + 7919)
    return torch.rand(m, generator=g) < 0.5


def canary_scores(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Minus each canary's cross-entropy loss under ``model`` (``[m]``; higher: more likely a member)."""
    from dprob_utils.analysis.membership import loss_scores

    return loss_scores(model, x, y)


def train_audited(cfg, m: int, delta: float, seed: int = 0, k: int | None = None,
                  claimed_noise_multiplier: float | None = None, data_dir: str | None = None) -> dict:
    """Train ``cfg`` (an MNIST :class:`~dprob_utils.dp.training.TrainConfig`) once on its training set plus the
    members among ``m`` canaries, score every canary and audit with ``k`` guesses each way (default ``m // 10``).
    Returns the audit, the accountant's ε (RDP, at ``delta``, for the training set with its canaries; for
    ``claimed_noise_multiplier`` instead of the config's own, which is how a test states what a broken
    implementation would claim), the clean accuracy, the number of canaries trained on, and every canary's score
    and membership (``[m]`` each), and each canary's logit-scaled confidence (``phi``, ``[m]`` float64, for
    LiRA)."""
    from dprob_utils.data.datasets import load_dataset, subset
    from dprob_utils.dp.privacy import privacy_spent
    from dprob_utils.dp.training import evaluate, fit
    from dprob_utils.models.architectures import build_model

    train = subset(load_dataset(cfg.dataset, "train", data_dir), cfg.train_subset, "stratified", seed=0)
    cx, cy = canaries(m, seed, data_dir)
    members = membership(m, seed)
    x, y = torch.cat([train.x, cx[members]]), torch.cat([train.y, cy[members]])
    torch.manual_seed(cfg.seed)
    model = build_model(cfg.arch)
    steps, seconds, _ = fit(model, x, y, cfg, progress=False, device=None)
    model.cpu()
    scores = canary_scores(model, cx, cy)
    from dprob_utils.analysis.membership import logit_confidence

    phi = logit_confidence(model, cx, cy)
    k = m // 10 if k is None else k
    result = audit(scores, members, k, k, delta)
    epsilon = None
    if cfg.private:
        multiplier = cfg.noise_multiplier if claimed_noise_multiplier is None else claimed_noise_multiplier
        epsilon = privacy_spent(multiplier, min(1.0, cfg.batch_size / len(y)), steps, delta).epsilon_rdp
    test = load_dataset(cfg.dataset, "test", data_dir)
    return {"audit": result.to_dict(), "epsilon_accountant": epsilon, "accuracy": evaluate(model, test.x, test.y),
            "canaries_in": int(members.sum()), "seconds": seconds, "scores": scores, "members": members,
            "phi": phi}
