"""Minimal-perturbation L2 attacks of paper 2: the Boundary attack (BA₂) and Carlini-Wagner (CW₂), by Foolbox 3.

Both return, per sample, the smallest adversarial example they found and its L2 distance to ``x`` (pixel
scale [0, 1], 784 pixels for MNIST). A success-against-ε curve follows from these distances: the attack
succeeds at bound ε on a sample when it found an adversarial example no farther than ε, so the curve is
non-decreasing in ε by construction and one run gives every ε (Table III reads it at ε = 1 and 2, Table II
reads the ε at which it reaches 100%).

- :func:`boundary_attack`: Brendel et al. (2018), decision-based (no gradients, only the predicted class),
  Foolbox ``BoundaryAttack`` started from Foolbox's default ``LinearSearchBlendedUniformNoiseAttack``;
- :func:`carlini_wagner_l2`: Carlini & Wagner (2017) L2 with a binary search on the constant ``c``, Foolbox
  ``L2CarliniWagnerAttack`` (torchattacks' ``CW`` has a fixed ``c`` and no binary search).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import nn

from .attacks import eval_mode, model_device
from .errors import ConfigError


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


def _run_cw(model: nn.Module, attack, x: torch.Tensor, y: torch.Tensor, batch_size: int) -> MinimalResult:
    import foolbox as fb

    if len(x) and (float(x.min()) < 0 or float(x.max()) > 1):
        raise ValueError("attack inputs must lie in [0, 1]")
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


def _blend_starts(model: nn.Module, x: torch.Tensor, y: torch.Tensor, pool: torch.Tensor,
                  bisection_steps: int = 12) -> tuple[torch.Tensor, torch.Tensor]:
    """Fallback starting points: for each sample the closest image of ``pool`` that the model assigns to
    another class, pulled towards ``x`` by bisection on the blend ``(1 - t) x + t p`` while it stays
    adversarial. Returns (starts, ok) where ``ok`` marks samples for which such an image exists."""
    with torch.no_grad():
        pool_pred = model(pool).argmax(1)
        d = torch.cdist(x.flatten(1), pool.flatten(1))
        d[pool_pred.view(1, -1) == y.view(-1, 1)] = math.inf
        best, j = d.min(1)
        ok = torch.isfinite(best)
        p = pool[j]
        lo = torch.zeros(len(x), device=x.device)  # blend weight known to be non-adversarial
        hi = torch.ones(len(x), device=x.device)  # known adversarial
        shape = (-1, *([1] * (x.dim() - 1)))
        for _ in range(bisection_steps):
            mid = (lo + hi) / 2
            adv = model((1 - mid.view(shape)) * x + mid.view(shape) * p).argmax(1) != y
            hi = torch.where(adv, mid, hi)
            lo = torch.where(adv, lo, mid)
        return (1 - hi.view(shape)) * x + hi.view(shape) * p, ok


def boundary_attack(model: nn.Module, x: torch.Tensor, y: torch.Tensor, steps: int = 25000, *,
                    spherical_step: float = 1e-2, source_step: float = 1e-2, init_steps: int = 50,
                    init_directions: int = 10, update_stats_every_k: int = 10, seed: int = 0,
                    batch_size: int = 1000) -> MinimalResult:
    """Boundary attack L2 (Foolbox ``BoundaryAttack``, its default step sizes) on ``x`` ``[N, C, H, W]`` in
    [0, 1] with labels ``y`` ``[N]``. It needs only the model's decisions: a random walk along the decision
    boundary that shrinks the distance to ``x`` from an adversarial start. Paper 2 ran 25,000 steps.

    The start is Foolbox's default, ``LinearSearchBlendedUniformNoiseAttack`` (``init_steps``), with
    ``init_directions`` uniform-noise draws instead of Foolbox's 1000 (each costs a forward pass of the whole
    batch, and on a model that puts noise in the true class all 1000 fail); where it finds nothing (Foolbox
    would then raise for the whole batch), the start is the closest other sample of the batch that the model
    puts in another class, blended towards ``x``. Samples without any start get ``dist = inf``.

    Foolbox adapts the two step sizes from the success statistics of the last 100 proposals, recorded every
    ``update_stats_every_k`` steps (default 10): the first adaptation comes after 1000 steps. Runs much shorter
    than the paper's 25,000 steps need ``update_stats_every_k = 1`` (adaptation after 100 steps).
    """
    import foolbox as fb

    if steps <= 0:
        raise ConfigError(f"the Boundary attack needs steps > 0, got {steps}")
    if len(x) and (float(x.min()) < 0 or float(x.max()) > 1):
        raise ValueError("attack inputs must lie in [0, 1]")
    dev = model_device(model)
    init = fb.attacks.LinearSearchBlendedUniformNoiseAttack(directions=init_directions, steps=init_steps)
    attack = fb.attacks.BoundaryAttack(steps=int(steps), spherical_step=spherical_step, source_step=source_step,
                                       update_stats_every_k=update_stats_every_k)
    advs, dists = [], []
    with torch.random.fork_rng(devices=[]), eval_mode(model):
        torch.manual_seed(seed)  # Foolbox draws its random numbers from torch's global generator
        fmodel = fb.PyTorchModel(model, bounds=(0, 1), device=dev)
        for i in range(0, len(x), batch_size):
            xb, yb = x[i : i + batch_size].to(dev), y[i : i + batch_size].to(dev)
            starts = init.run(fmodel, xb, yb)
            with torch.no_grad():
                ok = model(starts).argmax(1) != yb
            if not bool(ok.all()):
                fallback, found = _blend_starts(model, xb, yb, xb)
                starts = torch.where(ok.view(-1, 1, 1, 1), starts, fallback)
                ok = ok | found
            adv = xb.clone()
            if bool(ok.any()):
                raw, _, _ = attack(fmodel, xb[ok], yb[ok], epsilons=None, starting_points=starts[ok])
                adv[ok] = raw.detach()
            res = _finish(model, xb, yb, adv, ok)
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
