"""The slow, obviously correct DP-SGD step that the fast paths are tested against (chapter 01's models).

One example at a time: its gradient by autograd, clipped to L2 norm ``clip`` over all trainable parameters
(Abadi et al. 2016, as Opacus's flat clipping), summed; then ``N(0, (noise_multiplier · clip)²)`` noise on every
coordinate. :mod:`dprob_utils.dp.fast` must give the same clipped sum (the tests compare them), and the noise
the book adds has that standard deviation.
"""

from __future__ import annotations

import torch
from torch import nn

NORM_EPS = 1e-6  # Opacus's: factor = min(1, C / (norm + 1e-6))


def per_example_clipped_sum(model: nn.Module, x: torch.Tensor, y: torch.Tensor,
                            clip: float) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """Per-example gradient norms ``[B]`` (float64) of the cross-entropy and the clipped sum of the gradients,
    one tensor per trainable parameter (its shape), one example of ``x`` (``[B, ...]``) at a time."""
    params = [p for p in model.parameters() if p.requires_grad]
    total = [torch.zeros_like(p) for p in params]
    norms = []
    for i in range(len(y)):
        grads = torch.autograd.grad(nn.functional.cross_entropy(model(x[i: i + 1]), y[i: i + 1]), params)
        norm = torch.sqrt(sum((g.double() ** 2).sum() for g in grads))
        norms.append(float(norm))
        factor = min(1.0, clip / (float(norm) + NORM_EPS))
        total = [t + g * factor for t, g in zip(total, grads, strict=True)]
    return torch.tensor(norms, dtype=torch.float64), total


def noisy_clipped_sum(model: nn.Module, x: torch.Tensor, y: torch.Tensor, clip: float, noise_multiplier: float,
                      generator: torch.Generator | None = None) -> list[torch.Tensor]:
    """:func:`per_example_clipped_sum` plus Gaussian noise of standard deviation ``noise_multiplier · clip``:
    the privatised gradient sum of one DP-SGD step (divide by the expected batch size for the update)."""
    _, total = per_example_clipped_sum(model, x, y, clip)
    return [t + torch.normal(0.0, noise_multiplier * clip, t.shape, generator=generator) for t in total]
