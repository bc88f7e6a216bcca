"""FGSM (paper 1 eq. (3); chapters 02, 11): one signed-gradient step, and the accuracy curve over many ε.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from dprob_utils.attacks.base import (
    _batches,
    _check_box,
    _check_eps,
    _input_grad,
    _torchattacks,
    eval_mode,
    model_device,
)


def fgsm(model: nn.Module, x: torch.Tensor, y: torch.Tensor, eps: float) -> torch.Tensor:
    """FGSM (paper 1 eq. (3)): ``clip(x + eps * sign(grad_x CE), 0, 1)``, by torchattacks ``FGSM``."""
    torchattacks = _torchattacks()

    _check_eps(eps)
    _check_box(x)
    dev = model_device(model)
    x, y = x.to(dev), y.to(dev)
    if eps == 0:
        return x.detach().clone()
    with eval_mode(model):
        return torchattacks.FGSM(model, eps=float(eps))(x, y).detach()


def fgsm_curve(model: nn.Module, x: torch.Tensor, y: torch.Tensor, eps_list: Sequence[float],
               batch_size: int = 1000) -> list[float]:
    """Accuracy under FGSM at every ε of ``eps_list`` (fractions in [0, 1]).

    The FGSM direction ``sign(grad_x CE(x, y))`` does not depend on ε, so it is computed once per sample and
    each ε costs one forward pass: the same adversarial images as :func:`fgsm` (a test checks it), ``len(eps)``
    times cheaper.
    """
    for e in eps_list:
        _check_eps(e)
    _check_box(x)
    dev = model_device(model)
    correct = torch.zeros(len(eps_list), dtype=torch.long)
    with eval_mode(model):
        for s in _batches(len(x), batch_size):
            xb, yb = x[s].to(dev), y[s].to(dev)
            direction = _input_grad(model, xb, yb).sign()
            with torch.no_grad():
                for i, e in enumerate(eps_list):
                    adv = xb if e == 0 else torch.clamp(xb + float(e) * direction, 0, 1)
                    correct[i] += int((model(adv).argmax(1) == yb).sum())
    n = max(len(x), 1)
    return [int(c) / n for c in correct]
