"""Small, fast models for the paper 2 tests: a plain softmax regression trained with mini-batch SGD on 3,000
MNIST images (about 87% test accuracy, sane gradients), and versions of it built to mask gradients.

To keep the tests fast only the MNIST test split is loaded: the model trains on test images 5,000-7,999 and
the tests attack images from the first 1,000."""

from __future__ import annotations

import functools

import torch
from torch import nn

from dprob_utils.data.datasets import load_dataset


class HardThreshold(nn.Module):
    """Binarises the input at 0.5 with ``torch.round``: its gradient is zero everywhere (shattered gradients)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.round(x)


class Saturate(nn.Module):
    """Multiplies the logits by 10^4: the softmax saturates and the cross-entropy gradient underflows to 0."""

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return z * 1e4


@functools.lru_cache(maxsize=1)
def plain_model() -> nn.Module:
    test = load_dataset("mnist", "test")
    tx, ty = test.x[5000:8000], test.y[5000:8000]
    torch.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(784, 10))
    opt = torch.optim.SGD(model.parameters(), lr=0.5)
    g = torch.Generator().manual_seed(0)
    for _ in range(3):
        perm = torch.randperm(len(ty), generator=g)
        for i in range(0, len(ty), 50):
            idx = perm[i : i + 50]
            opt.zero_grad()
            nn.functional.cross_entropy(model(tx[idx]), ty[idx]).backward()
            opt.step()
    return model.eval()


def thresholded_model() -> nn.Module:
    return nn.Sequential(HardThreshold(), plain_model()).eval()


def saturated_model() -> nn.Module:
    return nn.Sequential(plain_model(), Saturate()).eval()


def correct_points(model: nn.Module, n: int, offset: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """The first ``n`` MNIST test images (from ``offset``) that ``model`` classifies correctly."""
    test = load_dataset("mnist", "test")
    x, y = test.x[offset : offset + 4 * n], test.y[offset : offset + 4 * n]
    with torch.no_grad():
        ok = model(x).argmax(1) == y
    return x[ok][:n], y[ok][:n]
