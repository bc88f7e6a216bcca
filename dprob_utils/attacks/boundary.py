"""The Boundary attack L2 (Brendel et al. 2018; paper 2 Tables III, V; chapters 09, 11): decision-based
(only the predicted class), Foolbox ``BoundaryAttack`` from Foolbox's default blended-noise start.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence

import torch
from torch import nn

from dprob_utils.attacks.base import (
    _check_box,
    eval_mode,
    model_device,
)
from dprob_utils.attacks.minimal import MinimalResult, _finish
from dprob_utils.config.errors import ConfigError


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
    return boundary_walk(model, x, y, steps, spherical_step=spherical_step, source_step=source_step,
                         init_steps=init_steps, init_directions=init_directions,
                         update_stats_every_k=update_stats_every_k, seed=seed, batch_size=batch_size)[steps]


def boundary_walk(model: nn.Module, x: torch.Tensor, y: torch.Tensor, steps: int, checkpoints: Sequence[int] = (),
                  *, spherical_step: float = 1e-2, source_step: float = 1e-2, init_steps: int = 50,
                  init_directions: int = 10, update_stats_every_k: int = 10, seed: int = 0,
                  batch_size: int = 1000) -> dict[int, MinimalResult]:
    """:func:`boundary_attack` with ``steps``, and its state after each of ``checkpoints`` (< ``steps``) steps of
    the same walk: ``{n: MinimalResult}`` for ``steps`` and each checkpoint. A run of ``n`` steps is the first
    ``n`` steps of a longer run with the same seed (the walk's draws and step sizes do not depend on its length),
    so each checkpoint's result is bit-identical to ``boundary_attack(..., steps=n)`` (tested) at no extra cost:
    the saturation check of chapter 09 walks once instead of twice."""
    import foolbox as fb

    if steps <= 0:
        raise ConfigError(f"the Boundary attack needs steps > 0, got {steps}")
    marks = sorted({int(n) for n in checkpoints if 0 < int(n) < steps})
    if len(marks) != len(set(checkpoints)) or any(int(n) != n for n in checkpoints):
        raise ConfigError(f"Boundary checkpoints must be whole numbers of steps in 1 .. {steps - 1}, "
                          f"got {list(checkpoints)}")
    _check_box(x)
    dev = model_device(model)
    init = fb.attacks.LinearSearchBlendedUniformNoiseAttack(directions=init_directions, steps=init_steps)
    attack = fb.attacks.BoundaryAttack(steps=int(steps), spherical_step=spherical_step, source_step=source_step,
                                       update_stats_every_k=update_stats_every_k)
    parts: dict[int, list[MinimalResult]] = {n: [] for n in (*marks, steps)}
    with torch.random.fork_rng(devices=[]), eval_mode(model):
        torch.manual_seed(seed)  # Foolbox draws its random numbers from torch's global generator
        fmodel = fb.PyTorchModel(model, bounds=(0, 1), device=dev)
        for i in range(0, len(x), batch_size):
            xb, yb = x[i : i + batch_size].to(dev), y[i : i + batch_size].to(dev)
            with warnings.catch_warnings():  # the samples it misses take the fallback start below
                warnings.filterwarnings("ignore", message="LinearSearchBlendedUniformNoiseAttack failed")
                starts = init.run(fmodel, xb, yb)
            with torch.no_grad():
                ok = model(starts).argmax(1) != yb
            if not bool(ok.all()):
                fallback, found = _blend_starts(model, xb, yb, xb)
                starts = torch.where(ok.view(-1, 1, 1, 1), starts, fallback)
                ok = ok | found
            advs = {n: xb.clone() for n in parts}
            if bool(ok.any()):
                with _Checkpoints(model, starts[ok], marks, update_stats_every_k) as seen:
                    raw, _, _ = attack(fmodel, xb[ok], yb[ok], epsilons=None, starting_points=starts[ok])
                for n in parts:
                    advs[n][ok] = (seen.best.get(n, raw) if n in marks else raw).detach()
            for n in parts:
                parts[n].append(_finish(model, xb, yb, advs[n], ok))
    if not len(x):
        return {n: MinimalResult(adv=x.detach().clone().cpu(), dist=torch.empty(0)) for n in parts}
    return {n: MinimalResult(adv=torch.cat([r.adv for r in rs]), dist=torch.cat([r.dist for r in rs]))
            for n, rs in parts.items()}


class _Checkpoints:
    """Within the block, records the best adversarial images of Foolbox's Boundary attack after each of
    ``marks`` steps (``best``: ``{n: [N, C, H, W]}``; a walk that stops early, every sample converged, leaves
    the later marks to its final result). Foolbox exposes its per-step state only to its TensorBoard logger, so
    the block swaps that logger for one that reads the step's update mask (``new_best_adv``) and a forward hook
    that keeps the step's candidates (its first model call; the second, every ``k``-th step, is the spherical
    candidates); ``best`` follows Foolbox's own update, ``where(mask, candidates, best)``."""

    def __init__(self, model: nn.Module, starts: torch.Tensor, marks: Sequence[int], k: int) -> None:
        self.model, self.current, self.marks, self.k = model, starts, set(marks), k
        self.last = max(marks, default=0)
        self.best: dict[int, torch.Tensor] = {}
        self.calls: list[torch.Tensor] = []

    def __enter__(self) -> _Checkpoints:
        from foolbox.attacks import boundary_attack as fb_boundary

        if self.marks:
            self._module, self._logger = fb_boundary, fb_boundary.TensorBoard
            self._hook = self.model.register_forward_hook(lambda m, inp, out: self.calls.append(inp[0]))
            fb_boundary.TensorBoard = self._make_logger
        return self

    def __exit__(self, *exc) -> None:
        if self.marks:
            self._hook.remove()
            self._module.TensorBoard = self._logger

    def _make_logger(self, logdir=None) -> _Logger:
        return _Logger(self)

    def step(self, mask: torch.Tensor, step: int) -> None:
        candidates = self.calls[-2] if step % self.k == 0 else self.calls[-1]
        self.calls.clear()
        if step > self.last:
            return
        self.current = torch.where(mask, candidates, self.current)
        if step in self.marks:
            self.best[step] = self.current.clone()


class _Logger:
    """Stands in for Foolbox's TensorBoard logger inside :class:`_Checkpoints`: ignores every call but the
    step's update mask."""

    def __init__(self, checkpoints: _Checkpoints) -> None:
        self._checkpoints = checkpoints

    def probability(self, tag: str, x, step: int) -> None:
        if tag == "new_best_adv":
            self._checkpoints.step(x.raw, step)

    def __getattr__(self, name: str):
        return lambda *args, **kwargs: None
