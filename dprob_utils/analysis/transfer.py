"""Transferability of adversarial examples between models (paper 2 section V, Figs. 4 and 8).

Adversarial examples crafted on a *source* model (a row) are fed to a *target* model (a column); the
transfer success rate is the share of them the target misclassifies. Only samples that the target
classifies correctly when clean are counted (otherwise a target's own test errors would count as
transferred attacks); the diagonal is then the white-box success rate of the attack on the source.
Every crafted example is used, whether or not it fooled its source (the paper crafts CW₂ examples with
100% success, and PGD₍∞₎ examples at ε = 0.3).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import torch
from torch import nn

from dprob_utils.attacks import predict


@dataclass
class Crafted:
    """Adversarial examples crafted on one source model: clean images ``x`` ``[N, C, H, W]``, labels ``y``
    ``[N]`` and their adversarial versions ``adv`` (same shape as ``x``)."""

    x: torch.Tensor
    y: torch.Tensor
    adv: torch.Tensor


@dataclass
class TransferMatrix:
    """``rate[i, j]``: success in [0, 1] of examples crafted on ``rows[i]`` against ``cols[j]``;
    ``count[i, j]``: number of samples it is measured on (those ``cols[j]`` classifies correctly when clean)."""

    rows: list[str]
    cols: list[str]
    rate: torch.Tensor
    count: torch.Tensor

    def to_dict(self) -> dict:
        return {"rows": self.rows, "cols": self.cols, "rate": self.rate.tolist(), "count": self.count.tolist()}

    def off_diagonal_mean(self) -> float:
        """Mean transfer rate over pairs of different models (rows and columns matched by name), ignoring pairs
        without any counted sample."""
        vals = [float(self.rate[i, j]) for i, r in enumerate(self.rows) for j, c in enumerate(self.cols)
                if r != c and int(self.count[i, j]) > 0]
        return sum(vals) / len(vals) if vals else float("nan")


def transfer_outcomes(target: nn.Module, crafted: Crafted) -> torch.Tensor:
    """``BoolTensor [n]``: for each crafted sample the target classifies correctly when clean, whether its
    adversarial version fools the target (the per-sample outcomes behind :func:`transfer_success`)."""
    clean_ok = predict(target, crafted.x) == crafted.y
    if not bool(clean_ok.any()):
        return torch.zeros(0, dtype=torch.bool)
    return (predict(target, crafted.adv[clean_ok]) != crafted.y[clean_ok]).cpu()


def transfer_success(target: nn.Module, crafted: Crafted) -> tuple[float, int]:
    """(success rate in [0, 1], number of samples counted) of ``crafted`` against ``target``, counting only
    samples the target classifies correctly when clean."""
    fooled = transfer_outcomes(target, crafted)
    if len(fooled) == 0:
        return float("nan"), 0
    return float(fooled.float().mean()), len(fooled)


def transfer_matrix(sources: Mapping[str, Crafted], targets: Mapping[str, nn.Module]) -> TransferMatrix:
    """Transfer success of every source's examples (rows, in order) against every target (columns)."""
    rows, cols = list(sources), list(targets)
    rate = torch.full((len(rows), len(cols)), float("nan"))
    count = torch.zeros((len(rows), len(cols)), dtype=torch.long)
    for i, r in enumerate(rows):
        for j, c in enumerate(cols):
            s, n = transfer_success(targets[c], sources[r])
            rate[i, j], count[i, j] = s, n
    return TransferMatrix(rows=rows, cols=cols, rate=rate, count=count)
