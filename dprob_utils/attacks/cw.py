"""Carlini-Wagner L2 (paper 2 Tables II, IV; chapters 09, 11) with a binary search on the constant c,
Foolbox ``L2CarliniWagnerAttack`` (torchattacks' ``CW`` has a fixed c and no binary search).
"""

from __future__ import annotations

import torch
from torch import nn

from dprob_utils.attacks.base import (
    _check_box,
    eval_mode,
    model_device,
)
from dprob_utils.attacks.minimal import MinimalResult, _finish
from dprob_utils.config.errors import ConfigError


def _run_cw(model: nn.Module, attack, x: torch.Tensor, y: torch.Tensor, batch_size: int) -> MinimalResult:
    import foolbox as fb

    _check_box(x)
    dev = model_device(model)
    advs, dists = [], []
    with eval_mode(model):
        fmodel = fb.PyTorchModel(model, bounds=(0, 1), device=dev)
        for i in range(0, len(x), batch_size):
            xb, yb = x[i : i + batch_size].to(dev), y[i : i + batch_size].to(dev)
            raw, _, _ = attack(fmodel, xb, yb, epsilons=None)
            # Foolbox's CW returns an all-zero image for samples on which it never found an adversarial
            found = raw.flatten(1).abs().sum(1) > 0
            res = _finish(model, xb, yb, raw.detach(), found)
            advs.append(res.adv)
            dists.append(res.dist)
    if not advs:
        return MinimalResult(adv=x.detach().clone().cpu(), dist=torch.empty(0))
    return MinimalResult(adv=torch.cat(advs), dist=torch.cat(dists))


def carlini_wagner_l2(model: nn.Module, x: torch.Tensor, y: torch.Tensor, steps: int = 10000, *,
                      binary_search_steps: int = 9, initial_const: float = 1e-3, stepsize: float = 1e-2,
                      confidence: float = 0.0, batch_size: int = 1000) -> MinimalResult:
    """Carlini-Wagner L2 (Foolbox ``L2CarliniWagnerAttack``): minimise ``||x' - x||² + c · max(Z_y - max_{i≠y}
    Z_i, -κ)`` (paper 2 eqs. (4), (5); Z = logits, κ = ``confidence``) with Adam (``stepsize``) for
    ``steps`` iterations per value of ``c``; ``c`` starts at ``initial_const`` and is searched per sample
    (×10 until success, then bisection) for ``binary_search_steps`` rounds. Foolbox defaults: 9 rounds, 10,000
    steps, c₀ = 1e-3, step 0.01, κ = 0 (paper 2 used Foolbox and 10,000 iterations)."""
    import foolbox as fb

    if steps <= 0 or binary_search_steps <= 0:
        raise ConfigError("Carlini-Wagner needs steps > 0 and binary_search_steps > 0")
    attack = fb.attacks.L2CarliniWagnerAttack(binary_search_steps=int(binary_search_steps), steps=int(steps),
                                              stepsize=stepsize, confidence=confidence,
                                              initial_const=initial_const, abort_early=True)
    return _run_cw(model, attack, x, y, batch_size)
