"""Square attack L∞ (Andriushchenko et al. 2020; criterion 2 of the masking check, chapter 11).
"""

from __future__ import annotations

import torch
from torch import nn

from dprob_utils.attacks.base import (
    _torchattacks,
    eval_mode,
    model_device,
)


def square_linf(model: nn.Module, x: torch.Tensor, y: torch.Tensor, eps: float, n_queries: int = 5000,
                seed: int = 0) -> torch.Tensor:
    """Square attack L∞ (Andriushchenko et al. 2020, torchattacks ``Square``): score-based black box, random
    square-shaped updates accepted when they lower the margin loss; ``n_queries`` model calls per sample."""
    torchattacks = _torchattacks()

    dev = model_device(model)
    with eval_mode(model):
        atk = torchattacks.Square(model, norm="Linf", eps=float(eps), n_queries=int(n_queries), n_restarts=1,
                                  seed=seed)
        return atk(x.to(dev), y.to(dev)).detach()
