"""Minimal-perturbation results (paper 2 Tables II-V): per sample the closest adversarial example an
attack found and its L2 distance, and the success-against-ε curve that follows from them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import nn

from dprob_utils.attacks.base import (
    eval_mode,
)


@dataclass
class MinimalResult:
    """Outcome of a minimal-perturbation attack on ``N`` samples.

    Attributes:
        adv: ``[N, C, H, W]`` in [0, 1]: the closest adversarial example found (``x`` itself where none).
        dist: ``[N]`` L2 distance ``||adv - x||_2``, ``inf`` where the attack found no adversarial example.
    """

    adv: torch.Tensor
    dist: torch.Tensor

    @property
    def fooled(self) -> torch.Tensor:
        """``BoolTensor [N]``: an adversarial example was found (at any distance)."""
        return torch.isfinite(self.dist)

    def success(self, eps: float, subset: torch.Tensor | slice | None = None) -> float:
        """Share of samples in [0, 1] with an adversarial example within L2 distance ``eps``."""
        return success_curve(self.dist if subset is None else self.dist[subset], [eps])[0]

    def curve(self, eps_grid: Sequence[float]) -> list[float]:
        return success_curve(self.dist, eps_grid)

    def eps_for_full_success(self) -> float:
        """:func:`eps_for_full_success` of :attr:`dist`."""
        return eps_for_full_success(self.dist)


def success_curve(dist: torch.Tensor, eps_grid: Sequence[float]) -> list[float]:
    """Success rate in [0, 1] at each L2 bound: the share of ``dist`` (``[N]``, ``inf`` = failed) ``<= ε``."""
    if dist.numel() == 0:
        return [0.0 for _ in eps_grid]
    return [float((dist <= float(e)).float().mean()) for e in eps_grid]


def eps_for_full_success(dist: torch.Tensor) -> float:
    """The smallest L2 bound at which every sample is fooled (paper 2 Table II): ``max(dist)``; ``inf`` when
    the attack failed on some sample (100% is never reached)."""
    return float(dist.max()) if dist.numel() else math.nan


def l2_distance(adv: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """``[N]`` L2 norms of ``adv - x`` over all pixels."""
    return (adv - x.to(adv.device)).flatten(1).norm(dim=1)


def _finish(model: nn.Module, x: torch.Tensor, y: torch.Tensor, adv: torch.Tensor,
            found: torch.Tensor | None = None) -> MinimalResult:
    """Re-check every returned image with the model (Foolbox's flag is not trusted blindly)."""
    with torch.no_grad(), eval_mode(model):
        fooled = model(adv).argmax(1) != y
    if found is not None:
        fooled &= found
    dist = l2_distance(adv, x)
    adv = torch.where(fooled.view(-1, *([1] * (x.dim() - 1))), adv, x)
    return MinimalResult(adv=adv.detach().cpu(),
                         dist=torch.where(fooled, dist, torch.full_like(dist, math.inf)).cpu())
