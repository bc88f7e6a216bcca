"""What every attack shares: the model's device and eval mode, input checks, batching, predictions,
the input gradient of the cross-entropy, and accuracy under an attack.

Every attack of :mod:`dprob_utils.attacks` has the call shape ``attack(model, x, y, **params) -> x_adv``: a
classifier ``model`` (logits out), images ``x`` in [0, 1] (``[N, C, H, W]``), integer labels ``y`` (``[N]``);
it returns adversarial images in [0, 1] on the model's device, with the model in eval mode during the attack
(its previous mode restored afterwards).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import torch
from torch import nn

from dprob_utils.config.errors import ConfigError, DprobError

AttackFn = Callable[[nn.Module, torch.Tensor, torch.Tensor], torch.Tensor]


def model_device(model: nn.Module) -> torch.device:
    """The device of the model's first parameter (CPU for a model without parameters)."""
    try:
        return next(model.parameters()).device
    except StopIteration:
        return torch.device("cpu")


@contextmanager
def eval_mode(model: nn.Module) -> Iterator[nn.Module]:
    """Put ``model`` in eval mode and disable parameter gradients for the block; restore both afterwards."""
    was_training = model.training
    flags = [(p, p.requires_grad) for p in model.parameters()]
    model.eval()
    for p, _ in flags:
        p.requires_grad_(False)
    try:
        yield model
    finally:
        for p, flag in flags:
            p.requires_grad_(flag)
        model.train(was_training)


def _check_box(x: torch.Tensor) -> None:
    if x.numel() and (float(x.min()) < 0.0 or float(x.max()) > 1.0):
        raise ValueError("attack inputs must lie in [0, 1]")


def _check_eps(eps: float, name: str = "eps") -> None:
    if not (eps >= 0 and math.isfinite(eps)):
        raise ConfigError(f"{name} must be a finite number >= 0, got {eps}")


def _batches(n: int, batch_size: int) -> Iterator[slice]:
    if batch_size <= 0:
        raise ConfigError(f"batch_size must be > 0, got {batch_size}")
    for i in range(0, n, batch_size):
        yield slice(i, min(n, i + batch_size))


@torch.no_grad()
def predict(model: nn.Module, x: torch.Tensor, batch_size: int = 2000) -> torch.Tensor:
    """Predicted classes (``LongTensor [N]`` on ``x``'s device), batched, in eval mode."""
    dev = model_device(model)
    out = []
    with eval_mode(model):
        for s in _batches(len(x), batch_size):
            out.append(model(x[s].to(dev)).argmax(1).to(x.device))
    return torch.cat(out) if out else torch.empty(0, dtype=torch.long, device=x.device)


def _input_grad(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Gradient of the summed cross-entropy with respect to ``x`` (sum, not mean: no 1/N underflow)."""
    x = x.detach().clone().requires_grad_(True)
    loss = nn.functional.cross_entropy(model(x), y, reduction="sum")
    return torch.autograd.grad(loss, x)[0]


def _torchattacks():
    """torchattacks, or one clear error. It is a declared dependency whose stale pins (an old ``requests``, a
    torchvision that does not import beside the CPU torch wheel; neither needed at run time) uv's overrides drop;
    an install with ``--no-deps`` may lack it."""
    try:
        import torchattacks
    except ImportError as e:
        raise DprobError("torchattacks is not installed: run `pip install --no-deps torchattacks==3.5.1` "
                         "(it needs neither of its pins at run time; see the README's Installing)") from e
    return torchattacks


def correct_under(model: nn.Module, attack_fn: AttackFn | None, x: torch.Tensor, y: torch.Tensor,
                  batch_size: int = 1000) -> torch.Tensor:
    """Per sample, whether ``model`` classifies ``attack_fn(model, x, y)`` correctly (``BoolTensor [N]`` on
    the CPU). ``attack_fn=None`` means the clean images."""
    dev = model_device(model)
    out = []
    for s in _batches(len(x), batch_size):
        xb, yb = x[s].to(dev), y[s].to(dev)
        adv = xb if attack_fn is None else attack_fn(model, xb, yb)
        with torch.no_grad(), eval_mode(model):
            out.append((model(adv.to(dev)).argmax(1) == yb).cpu())
    return torch.cat(out) if out else torch.empty(0, dtype=torch.bool)


def accuracy_under(model: nn.Module, attack_fn: AttackFn | None, x: torch.Tensor, y: torch.Tensor,
                   batch_size: int = 1000) -> float:
    """Accuracy in [0, 1] of ``model`` on the adversarial images ``attack_fn(model, x, y)``, computed batch by
    batch. ``attack_fn`` is e.g. ``lambda m, x, y: pgd_linf(m, x, y, 0.1, 0.01, 40)``; ``None`` = clean."""
    correct = correct_under(model, attack_fn, x, y, batch_size)
    return int(correct.sum()) / len(correct) if len(correct) else 0.0
