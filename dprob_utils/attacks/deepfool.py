"""DeepFool (paper 1 eqs. (5), (6): the distance to the decision boundary; chapter 04), by Foolbox.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from dprob_utils.attacks.base import (
    _batches,
    _check_box,
    eval_mode,
    model_device,
    predict,
)
from dprob_utils.config.errors import ConfigError


def deepfool(model: nn.Module, x: torch.Tensor, y: torch.Tensor, norm: str = "l2", steps: int = 50,
             overshoot: float = 0.02, candidates: int | None = 10, batch_size: int = 500) -> torch.Tensor:
    """Full iterative DeepFool (Moosavi-Dezfooli et al. 2016) by foolbox ``L2DeepFoolAttack`` or
    ``LinfDeepFoolAttack`` (batched; torchattacks' DeepFool loops over samples and is L2-only).

    Each step linearises the logits around the current iterate and jumps to the closest linearised boundary
    among the ``candidates`` most likely classes (10 = all MNIST classes), with ``overshoot``; it stops at
    the first misclassified iterate or after ``steps``. Iterates are clipped to [0, 1]. Where it fails the
    returned image is still correctly classified (check with :func:`predict`).
    """
    import foolbox as fb

    if norm not in ("l2", "linf"):
        raise ConfigError(f"DeepFool norm must be 'l2' or 'linf', got {norm!r}")
    _check_box(x)
    dev = model_device(model)
    cls = fb.attacks.L2DeepFoolAttack if norm == "l2" else fb.attacks.LinfDeepFoolAttack
    attack = cls(steps=int(steps), candidates=candidates, overshoot=float(overshoot), loss="logits")
    out = []
    with eval_mode(model):
        fmodel = fb.PyTorchModel(model, bounds=(0, 1), device=dev)
        for s in _batches(len(x), batch_size):
            xb, yb = x[s].to(dev), y[s].to(dev)
            _, clipped, _ = attack(fmodel, xb, yb, epsilons=None)
            out.append(clipped.detach())
    return torch.cat(out) if out else x.to(dev).clone()


def minimal_perturbation(model: nn.Module, x: torch.Tensor, y: torch.Tensor, norm: str = "l2",
                         **deepfool_kwargs) -> torch.Tensor:
    """Size ``||x_adv - x||`` (L2 or L∞, as ``norm``) of the DeepFool perturbation per sample; ``inf``
    where DeepFool did not reach another class. Returns a float tensor ``[N]`` on the CPU."""
    adv = deepfool(model, x, y, norm=norm, **deepfool_kwargs)
    diff = (adv - x.to(adv.device)).flatten(1)
    size = diff.norm(dim=1) if norm == "l2" else diff.abs().amax(dim=1)
    fooled = predict(model, adv) != y.to(adv.device)
    size = torch.where(fooled, size, torch.full_like(size, math.inf))
    return size.cpu()
