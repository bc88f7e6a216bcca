"""AutoAttack L∞ (Croce & Hein 2020; beside the masking check, chapter 11).
"""

from __future__ import annotations

import torch
from torch import nn

from dprob_utils.attacks.base import (
    _torchattacks,
    eval_mode,
    model_device,
)


def autoattack_linf(model: nn.Module, x: torch.Tensor, y: torch.Tensor, eps: float, steps: int = 100,
                    square_queries: int = 5000, seed: int = 0) -> torch.Tensor:
    """AutoAttack L∞ "standard" (APGD-CE, APGD-T on the 9 other classes, FAB-T, Square; each attack only on
    the samples the previous ones left unbroken), by torchattacks. Built from its parts because torchattacks'
    ``AutoAttack`` fixes the APGD/FAB iterations at its default 10 instead of the original 100."""
    ta = _torchattacks()

    dev = model_device(model)
    with eval_mode(model):
        attacks = [
            ta.APGD(model, norm="Linf", eps=eps, steps=steps, n_restarts=1, loss="ce", seed=seed),
            ta.APGDT(model, norm="Linf", eps=eps, steps=steps, n_restarts=1, n_classes=10, seed=seed),
            ta.FAB(model, norm="Linf", eps=eps, steps=steps, n_restarts=1, multi_targeted=True, n_classes=10,
                   seed=seed),
            ta.Square(model, norm="Linf", eps=eps, n_queries=square_queries, n_restarts=1, seed=seed),
        ]
        return ta.MultiAttack(attacks)(x.to(dev), y.to(dev)).detach()
