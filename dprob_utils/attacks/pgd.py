"""L∞ PGD: paper 1 eq. (4) (chapters 03, 05) and paper 2's Foolbox-style PGD (chapters 08, 10, 11).

L∞ PGD that records, per sample, the first iteration whose iterate fools the model (paper 2, Figs. 1, 2, 7).

One run gives both of paper 2's PGD curves: the success rate after ``T`` iterations is the share of samples
fooled at an iteration ``<= T``, so the curve against the number of iterations (Fig. 2) costs one run of
``max(T)`` iterations instead of one run per ``T``, and every ε of Fig. 1 is a row of the same batch.

- :func:`pgd_linf`: torchattacks ``PGD`` (paper 1 eq. (4), start at ``x``; chapters 03, 05);
- :func:`pgd_first_fool` / :func:`pgd_curves`: the one PGD loop that records the first fooling iteration:
  paper 2's Foolbox-style PGD (random start, ``α = ε/30``, per-sample ε and budgets; chapters 08, 10, 11);
- :func:`pgd_iterations_to_fool`: paper 1 Fig. 4 (chapter 03), the same loop started at ``x`` with
  torchattacks' projection.

The two projections, Foolbox's ``min(max(x', x - ε), x + ε)`` and torchattacks' ``x + clip(x' - x, -ε, ε)``, are
the same map but round differently; each chapter keeps the one of the library its paper used (``projection``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import nn

from dprob_utils.attacks.base import (
    _check_box,
    _check_eps,
    _torchattacks,
    eval_mode,
    model_device,
)
from dprob_utils.config.errors import ConfigError
from dprob_utils.config.rules import safe_eval

PGD_ALPHA_RULES = {
    "madry": "2.5*eps/steps",  # Madry et al. (2018): 2.5 ε / steps, so that the walk can reach the ball's edge
    "eps/steps": "eps/steps",  # the smallest step that can still reach the edge from x
    "eps/4": "eps/4",
    "kurakin": "1/255",  # Kurakin et al.'s BIM step of one grey level
}


def pgd_alpha(eps: float, steps: int, rule: str | float = "2.5*eps/steps") -> float:
    """The PGD step size α for radius ``eps`` and ``steps`` iterations.

    ``rule`` is a number (a fixed α), a name of :data:`PGD_ALPHA_RULES` (``"madry"``, ``"eps/steps"``,
    ``"eps/4"``, ``"kurakin"``) or an arithmetic expression in ``eps`` and ``steps`` such as
    ``"2.5*eps/steps"`` (the default: Madry et al.'s rule; paper 1 does not state its step size).
    """
    _check_eps(eps)
    if steps <= 0:
        raise ConfigError(f"steps must be > 0, got {steps}")
    if isinstance(rule, (int, float)):
        alpha = float(rule)
    else:
        expr = PGD_ALPHA_RULES.get(rule.strip(), rule)
        try:
            alpha = float(safe_eval(expr, {"eps": float(eps), "steps": float(steps)}))
        except (ValueError, SyntaxError, ZeroDivisionError, NameError, TypeError):
            raise ConfigError(f"unknown PGD step-size rule {rule!r}: use a number, one of "
                              f"{', '.join(PGD_ALPHA_RULES)}, or an expression in eps and steps") from None
    if not (alpha >= 0 and math.isfinite(alpha)):
        raise ConfigError(f"PGD step-size rule {rule!r} gives α = {alpha}; it must be a finite number >= 0")
    return alpha


def pgd_linf(model: nn.Module, x: torch.Tensor, y: torch.Tensor, eps: float, alpha: float, steps: int,
             random_start: bool = False) -> torch.Tensor:
    """L∞ PGD (paper 1 eq. (4)) by torchattacks ``PGD``: ``steps`` signed-gradient steps of size ``alpha``, each
    followed by projection on the ε-ball around ``x`` and on [0, 1]. Starts at ``x`` (as eq. (4)) unless
    ``random_start`` (uniform in the ball, Madry et al.)."""
    torchattacks = _torchattacks()

    _check_eps(eps)
    _check_eps(alpha, "alpha")
    if steps < 0:
        raise ConfigError(f"steps must be >= 0, got {steps}")
    _check_box(x)
    dev = model_device(model)
    x, y = x.to(dev), y.to(dev)
    if eps == 0 or steps == 0:
        return x.detach().clone()
    with eval_mode(model):
        atk = torchattacks.PGD(model, eps=float(eps), alpha=float(alpha), steps=int(steps),
                               random_start=bool(random_start))
        return atk(x, y).detach()


def pgd_iterations_to_fool(model: nn.Module, x: torch.Tensor, y: torch.Tensor, eps: float, alpha: float,
                           max_iters: int, batch_size: int = 1000) -> torch.Tensor:
    """For each sample, the number of PGD iterations (eq. (4), start at ``x``) after which the model first
    predicts a class other than ``y``: ``0`` if ``x`` itself is misclassified, ``-1`` if no iterate up to
    ``max_iters`` is (the sample was never fooled). Returns a ``LongTensor [N]`` on ``x``'s device.

    :func:`pgd_first_fool` without random start and with torchattacks' projection (that of :func:`pgd_linf`).
    """
    _check_eps(eps)
    _check_eps(alpha, "alpha")
    if max_iters < 0:
        raise ConfigError(f"max_iters must be >= 0, got {max_iters}")
    trace = pgd_first_fool(model, x, y, eps, alpha, max_iters, random_start=False, projection="torchattacks",
                           batch_size=batch_size)
    return trace.first_fool.to(x.device)


FOOLBOX_REL_STEPSIZE = 0.01 / 0.3  # foolbox 3 LinfPGD default: α = ε / 30


NEVER = -1

PROJECTIONS = {
    "foolbox": lambda x_new, x, e: torch.minimum(torch.maximum(x_new, x - e), x + e),
    "torchattacks": lambda x_new, x, e: x + torch.clamp(x_new - x, -e, e),
}


@dataclass
class PGDTrace:
    """Result of :func:`pgd_first_fool` on ``N`` samples.

    Attributes:
        first_fool: ``LongTensor [N]``: first iteration (0 = the starting point) whose iterate is misclassified,
            :data:`NEVER` (-1) if none within the sample's budget.
        adv: ``[N, C, H, W]`` in [0, 1]: the first fooling iterate, or the iterate after ``snapshot`` steps
            for samples not fooled by then (the output of a ``snapshot``-step attack).
    """

    first_fool: torch.Tensor
    adv: torch.Tensor

    def fooled_within(self, steps: int) -> torch.Tensor:
        """``BoolTensor [N]``: fooled at an iteration ``<= steps``."""
        return (self.first_fool >= 0) & (self.first_fool <= steps)


def _per_row(v: float | torch.Tensor, n: int, name: str) -> torch.Tensor:
    t = torch.as_tensor(v, dtype=torch.float32).flatten()
    if t.numel() == 1:
        t = t.expand(n).clone()
    if t.numel() != n:
        raise ConfigError(f"{name} must be a number or have one value per sample ({n}), got {t.numel()}")
    if bool((t < 0).any()) or not bool(torch.isfinite(t).all()):
        raise ConfigError(f"{name} must be finite and >= 0")
    return t


def pgd_first_fool(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    eps: float | torch.Tensor,
    alpha: float | torch.Tensor,
    steps: int | torch.Tensor,
    *,
    snapshot: int | None = None,
    full: torch.Tensor | None = None,
    random_start: bool = True,
    start: torch.Tensor | None = None,
    seed: int = 0,
    projection: str = "foolbox",
    batch_size: int = 2000,
) -> PGDTrace:
    """L∞ PGD on the cross-entropy of the logits (paper 2 eq. (3) with Foolbox's start and step).

    ``x_0 = clip(x + U(-ε, ε), 0, 1)`` (or ``x`` without ``random_start``), then
    ``x_t = clip(Π_ε(x_{t-1} + α · sign(∇_x CE(f(x_{t-1}), y))), 0, 1)``. ``eps``, ``alpha`` and ``steps`` are
    numbers or one value per sample, so one call runs many ε (and budgets) in one batch.

    Args:
        x: images ``[N, C, H, W]`` in [0, 1]; y: labels ``[N]``.
        snapshot: iteration whose iterate is returned for samples not fooled by then (default: each sample's
            own ``steps``); samples with a larger budget keep running only to record ``first_fool``.
        full: ``BoolTensor [N]``: samples that keep iterating after they fool the model, as Foolbox does, and
            return the iterate at ``snapshot`` (their ``first_fool`` is still the first fooling iteration).
            Such examples sit deeper in the wrong class than first-fooling iterates, which matters for
            transfer to other models.
        start: the random-start direction, ``U(-1, 1)`` noise of ``x``'s shape (scaled by ε); drawn with
            ``seed`` (independent of the global RNG) when not given.
        projection: ``"foolbox"`` (``min(max(x', x - ε), x + ε)``) or ``"torchattacks"``
            (``x + clip(x' - x, -ε, ε)``): the same map, rounded as each library rounds it.
    """
    if projection not in PROJECTIONS:
        raise ConfigError(f"projection must be one of {', '.join(PROJECTIONS)}, got {projection!r}")
    n = len(x)
    eps_t = _per_row(eps, n, "eps")
    alpha_t = _per_row(alpha, n, "alpha")
    steps_t = torch.as_tensor(steps, dtype=torch.long).flatten()
    steps_t = steps_t.expand(n).clone() if steps_t.numel() == 1 else steps_t
    if steps_t.numel() != n or bool((steps_t < 0).any()):
        raise ConfigError("steps must be >= 0, as a number or one value per sample")
    snap_t = steps_t.clone() if snapshot is None else torch.minimum(steps_t, torch.tensor(int(snapshot)))
    _check_box(x)
    dev = model_device(model)
    if random_start and start is None:
        start = torch.rand(x.shape, generator=torch.Generator().manual_seed(seed)) * 2 - 1
    full_t = torch.zeros(n, dtype=torch.bool) if full is None else torch.as_tensor(full, dtype=torch.bool)
    first = torch.full((n,), NEVER, dtype=torch.long)
    adv_out = x.detach().clone().cpu()
    with eval_mode(model):
        for lo in range(0, n, batch_size):
            sl = slice(lo, min(n, lo + batch_size))
            x0, yb = x[sl].to(dev), y[sl].to(dev)
            e = eps_t[sl].to(dev).view(-1, *([1] * (x.dim() - 1)))
            a = alpha_t[sl].to(dev).view_as(e)
            budget, snap, keep_on = steps_t[sl].to(dev), snap_t[sl].to(dev), full_t[sl].to(dev)
            cur = x0.clone()
            if random_start:
                cur = torch.clamp(x0 + start[sl].to(dev) * e, 0, 1)
            active = torch.arange(len(yb), device=dev)
            res = torch.full((len(yb),), NEVER, dtype=torch.long, device=dev)
            out = cur.clone()
            t = 0
            while active.numel():
                xa = cur.detach().requires_grad_(True)
                logits = model(xa)
                fooled = logits.argmax(1) != yb[active]
                res[active[fooled & (res[active] == NEVER)]] = t
                # the returned image: first fooling iterate (unless ``full``), else the iterate at the snapshot
                ko = keep_on[active]
                keep = (fooled & ~ko & (snap[active] >= t)) | (snap[active] == t)
                out[active[keep]] = cur[keep].detach()
                go = (~fooled | ko) & (budget[active] > t)
                if not bool(go.any()):
                    break
                loss = nn.functional.cross_entropy(logits, yb[active], reduction="sum")
                grad = torch.autograd.grad(loss, xa, allow_unused=True)[0] if loss.requires_grad else None
                grad = torch.zeros_like(xa) if grad is None else grad  # e.g. a non-differentiable input stage
                idx = active[go]
                step = cur[go].detach() + a[idx] * grad[go].sign()
                cur = torch.clamp(PROJECTIONS[projection](step, x0[idx], e[idx]), 0, 1)
                active = idx
                t += 1
            first[sl] = res.cpu()
            adv_out[sl] = out.cpu()
    return PGDTrace(first_fool=first, adv=adv_out)


@dataclass
class PGDCurves:
    """Per-sample outcome of PGD at every ε of a grid.

    Attributes:
        eps: the ε grid (L∞, pixel scale [0, 1]).
        first_fool: ``LongTensor [len(eps), N]``, as :attr:`PGDTrace.first_fool`.
        steps: iterations of the ε sweep (Fig. 1); the ``iter_eps`` row ran up to ``max_iters``.
        adv: ``{ε: images [N, C, H, W]}`` for the ε values asked for in ``keep_adv``.
    """

    eps: list[float]
    first_fool: torch.Tensor
    steps: int
    iter_eps: float
    max_iters: int
    adv: dict[float, torch.Tensor]

    def success(self, steps: int | None = None, subset: torch.Tensor | slice | None = None) -> list[float]:
        """Success rate in [0, 1] at each ε after ``steps`` iterations (default: :attr:`steps`)."""
        ff = self.first_fool if subset is None else self.first_fool[:, subset]
        s = self.steps if steps is None else steps
        return [float(((r >= 0) & (r <= s)).float().mean()) if r.numel() else 0.0 for r in ff]

    def success_vs_iterations(self, iters: Sequence[int], eps: float | None = None,
                              subset: torch.Tensor | slice | None = None) -> list[float]:
        """Success rate at ``eps`` (default :attr:`iter_eps`) after each number of iterations in ``iters``."""
        e = self.iter_eps if eps is None else eps
        row = self.first_fool[_index(self.eps, e)]
        row = row if subset is None else row[subset]
        if any(i > self.max_iters for i in iters) and e == self.iter_eps:
            raise ConfigError(f"the ε = {e} row ran {self.max_iters} iterations only")
        return [float(((row >= 0) & (row <= i)).float().mean()) if row.numel() else 0.0 for i in iters]


def _index(grid: Sequence[float], value: float) -> int:
    for i, g in enumerate(grid):
        if abs(g - value) < 1e-9:
            return i
    raise ConfigError(f"ε = {value} is not in the grid {list(grid)}")


def pgd_curves(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    eps_grid: Sequence[float],
    steps: int,
    *,
    iter_eps: float,
    max_iters: int,
    rel_stepsize: float = FOOLBOX_REL_STEPSIZE,
    random_start: bool = True,
    keep_adv: Sequence[float] = (),
    seed: int = 0,
    batch_size: int = 2000,
) -> PGDCurves:
    """PGD success against ε (``steps`` iterations, step ``α = rel_stepsize · ε``) and, for ``iter_eps``,
    against the number of iterations up to ``max_iters``, in one batched run.

    Every ε row attacks the same ``N`` samples with the same random-start noise direction (scaled by ε).
    """
    grid = [float(e) for e in eps_grid]
    if all(abs(g - iter_eps) > 1e-9 for g in grid):
        grid = sorted([*grid, float(iter_eps)])
    n = len(x)
    budget = torch.full((len(grid),), int(steps), dtype=torch.long)
    budget[_index(grid, iter_eps)] = max(int(steps), int(max_iters))
    budget[torch.tensor(grid) == 0] = 0  # an ε = 0 ball holds only x: nothing to iterate
    eps_rows = torch.tensor(grid).repeat_interleave(n)
    # one random-start direction per sample, shared by every ε row (the rows differ only in its scale)
    start = torch.rand(x.shape, generator=torch.Generator().manual_seed(seed)) * 2 - 1
    # the kept examples are those of a complete ``steps``-iteration attack (Foolbox's output)
    full = torch.tensor([any(abs(g - k) < 1e-9 for k in keep_adv) for g in grid]).repeat_interleave(n)
    tr = pgd_first_fool(model, x.repeat(len(grid), 1, 1, 1), y.repeat(len(grid)), eps_rows,
                        eps_rows * rel_stepsize, budget.repeat_interleave(n), snapshot=int(steps), full=full,
                        random_start=random_start, start=start.repeat(len(grid), 1, 1, 1),
                        batch_size=batch_size)
    first = tr.first_fool.view(len(grid), n)
    advs = tr.adv.view(len(grid), *x.shape)
    adv = {float(e): advs[_index(grid, e)].clone() for e in keep_adv}
    return PGDCurves(eps=grid, first_fool=first, steps=int(steps), iter_eps=float(iter_eps),
                     max_iters=max(int(steps), int(max_iters)), adv=adv)
