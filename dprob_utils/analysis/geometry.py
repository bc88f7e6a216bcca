"""Geometry of the decision boundary: linearised distances (paper 1 eqs. (5), (6)) and cross-sections (Fig. 1).

For a sample ``x`` of class ``t`` and every other class ``k``, DeepFool's one-step linearisation gives the
distance to the boundary between ``t`` and ``k``::

    l_k(x) = |f_t(x) - f_k(x)| / ||grad f_t(x) - grad f_k(x)||_q

with ``q`` the dual norm of the distance measured: ``q = 2`` for the L2 distance (eq. (5)) and ``q = 1`` for
the L∞ distance (eq. (6)). The distance to the closest decision boundary is ``min_{k != t} l_k(x)``. For an
affine classifier this is exact (the region of class ``t`` is an intersection of half-spaces); a test checks
it. The Jacobian of all logits is computed batch by batch with autograd (one backward pass per class).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from dprob_utils.attacks.base import _batches, eval_mode, model_device
from dprob_utils.config.errors import ConfigError

NORMS = {"2": 2.0, "l2": 2.0, "inf": math.inf, "linf": math.inf}


def _norm_p(p) -> float:
    if isinstance(p, str):
        key = p.lower()
        if key not in NORMS:
            raise ConfigError(f"norm must be 2 or inf, got {p!r}")
        return NORMS[key]
    p = float(p)
    if p not in (2.0, math.inf):
        raise ConfigError(f"norm must be 2 or inf, got {p!r}")
    return p


def logits_and_jacobian(model: nn.Module, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Logits ``[N, K]`` and their Jacobian with respect to the input, flattened: ``[N, K, d]``.

    One forward pass and ``K`` backward passes for the whole batch (samples are independent, so the gradient
    of ``sum_n f_k(x_n)`` with respect to ``x_n`` is ``grad f_k(x_n)``).
    """
    x = x.detach().clone().requires_grad_(True)
    logits = model(x)
    k = logits.shape[1]
    grads = [torch.autograd.grad(logits[:, c].sum(), x, retain_graph=c < k - 1)[0].flatten(1) for c in range(k)]
    return logits.detach(), torch.stack(grads, dim=1)


@dataclass
class BoundaryDistances:
    """Per sample: the linearised distance to the closest other class and which class that is."""

    distance: torch.Tensor  # [N] float, inf where no other class has a non-zero gradient difference
    closest_class: torch.Tensor  # [N] long


def _distances_batch(logits: torch.Tensor, jac: torch.Tensor, y: torch.Tensor, p: float) -> tuple:
    idx = torch.arange(len(y), device=logits.device)
    f_diff = (logits[idx, y].unsqueeze(1) - logits).abs()  # [B, K]
    g_diff = jac[idx, y].unsqueeze(1) - jac  # [B, K, d]
    dual = g_diff.norm(dim=2) if p == 2.0 else g_diff.abs().sum(dim=2)
    dist = f_diff / dual
    dist = torch.where(dual > 0, dist, torch.full_like(dist, math.inf))
    dist[idx, y] = math.inf
    return dist.min(dim=1)


def boundary_distances(model: nn.Module, x: torch.Tensor, y: torch.Tensor, p=2, batch_size: int = 500,
                       return_class: bool = False):
    """Paper 1 eq. (5) (``p=2``) or eq. (6) (``p=inf``): the linearised distance from each ``x`` (class ``y``)
    to the closest decision boundary, ``min_{k != y} |f_y - f_k| / ||grad f_y - grad f_k||_dual``.

    Returns a float tensor ``[N]`` on the CPU, or a :class:`BoundaryDistances` with the closest class when
    ``return_class``. ``p`` may be ``2``, ``math.inf``, ``"l2"`` or ``"linf"``. The paper uses only correctly
    classified samples: pass those (this function takes ``y`` as the class whose region is left).
    """
    out = boundary_distances_all(model, x, y, norms=(p,), batch_size=batch_size)
    res = out[_norm_p(p)]
    return res if return_class else res.distance


def boundary_distances_all(model: nn.Module, x: torch.Tensor, y: torch.Tensor, norms=(2, math.inf),
                           batch_size: int = 500) -> dict[float, BoundaryDistances]:
    """:func:`boundary_distances` for several norms from one Jacobian per batch: ``{p: BoundaryDistances}``."""
    ps = [_norm_p(p) for p in norms]
    dev = model_device(model)
    dists: dict[float, list] = {p: [] for p in ps}
    classes: dict[float, list] = {p: [] for p in ps}
    with eval_mode(model):
        for s in _batches(len(x), batch_size):
            xb, yb = x[s].to(dev), y[s].to(dev)
            logits, jac = logits_and_jacobian(model, xb)
            for p in ps:
                d, c = _distances_batch(logits, jac, yb, p)
                dists[p].append(d.cpu())
                classes[p].append(c.cpu())
    empty_f, empty_l = torch.empty(0), torch.empty(0, dtype=torch.long)
    return {p: BoundaryDistances(torch.cat(dists[p]) if dists[p] else empty_f,
                                 torch.cat(classes[p]) if classes[p] else empty_l) for p in ps}


def boundary_normal(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Unit (L2) normal to the closest linearised decision boundary at each sample, pointing out of the
    region of class ``y``: ``(grad f_k - grad f_y) / ||.||_2`` for the class ``k`` of eq. (5).
    Shape as ``x``, on the model's device."""
    dev = model_device(model)
    x, y = x.to(dev), y.to(dev)
    with eval_mode(model):
        logits, jac = logits_and_jacobian(model, x)
    _, k = _distances_batch(logits, jac, y, 2.0)
    idx = torch.arange(len(y), device=dev)
    w = jac[idx, k] - jac[idx, y]
    w = w / w.norm(dim=1, keepdim=True).clamp_min(1e-30)
    return w.reshape(x.shape)


def distance_along_normal(model: nn.Module, x: torch.Tensor, y: torch.Tensor, span: float, step: float,
                          batch_size: int = 4096) -> torch.Tensor:
    """Paper 1 Fig. 1's distance, for many samples: the first ``b`` in ``step, 2 step, ... <= span`` (L2 units)
    at which the model's class at ``x + b * normal`` (:func:`boundary_normal`, not clamped to [0, 1], as in the
    cross-sections) is not ``y``. ``x`` ``[N, C, H, W]``, ``y`` ``[N]``; returns ``[N]`` on the CPU, ``inf`` where
    the class never changes within ``span``. The same grid as :func:`cross_section`'s half-axis when ``step`` is
    its spacing."""
    if not (span > 0 and step > 0):
        raise ConfigError(f"span and step must be > 0, got {span} and {step}")
    dev = model_device(model)
    x, y = x.to(dev), y.to(dev)
    return _first_change_along(model, x, boundary_normal(model, x, y), y, span, step, batch_size)


def _first_change_along(model: nn.Module, x: torch.Tensor, direction: torch.Tensor, y: torch.Tensor, span: float,
                        step: float, batch_size: int = 4096, start: int = 1) -> torch.Tensor:
    """The first ``b`` in ``start * step, (start + 1) * step, ... <= span`` at which the class at
    ``x + b * direction`` is not ``y`` (``[N]`` on the CPU, ``inf`` where there is none)."""
    dev = x.device
    coords = torch.arange(start, int(math.floor(span / step + 1e-9)) + 1, device=dev, dtype=x.dtype) * step
    out = torch.full((len(x),), math.inf, dtype=x.dtype)
    chunk = max(1, batch_size // max(1, len(coords)))
    with eval_mode(model), torch.no_grad():
        for first_row in range(0, len(x), chunk):
            xb, nb, yb = (t[first_row : first_row + chunk] for t in (x, direction, y))
            pts = xb.unsqueeze(1) + coords.view(1, -1, *[1] * (x.dim() - 1)) * nb.unsqueeze(1)
            pred = model(pts.flatten(0, 1)).argmax(1).view(len(xb), len(coords))
            changed = pred != yb.unsqueeze(1)
            first = torch.where(changed.any(1), changed.float().argmax(1), -1).cpu()
            hit = first >= 0
            out[first_row : first_row + len(xb)][hit] = coords.cpu()[first[hit]]
    return out


def boundary_bend(model: nn.Module, x: torch.Tensor, y: torch.Tensor, span: float, step: float, seed: int = 0,
                  batch_size: int = 4096) -> torch.Tensor:
    """Paper 1 Fig. 1's "looks more curved", for many samples. With ``b0`` the distance along the normal
    (:func:`distance_along_normal`) and ``u`` a random unit direction orthogonal to the normal (the cross-section's
    x-axis; :func:`random_orthogonal` with ``seed + i`` for sample ``i``), ``b±`` is the distance along the same
    normal from the laterally shifted points ``x ± b0 u`` (0 when a shifted point already lies in another class).
    Returns ``(|b+ − b0| + |b− − b0|) / (2 b0)`` per sample, ``[N]`` on the CPU: 0 for a flat boundary orthogonal
    to the normal, larger the more the boundary bends within one distance of the sample. A distance beyond
    ``span`` counts as ``span + step``; a sample without a boundary within ``span`` along the normal counts 0."""
    if not (span > 0 and step > 0):
        raise ConfigError(f"span and step must be > 0, got {span} and {step}")
    dev = model_device(model)
    x, y = x.to(dev), y.to(dev)
    normal = boundary_normal(model, x, y)
    b0 = _first_change_along(model, x, normal, y, span, step, batch_size)
    cap = span + step
    u = torch.stack([random_orthogonal(normal[i], seed + i) for i in range(len(x))]) if len(x) else normal
    found = torch.isfinite(b0)
    shift = torch.where(found, b0, torch.zeros_like(b0)).to(dev).view(-1, *[1] * (x.dim() - 1))
    sides = []
    for sign in (1.0, -1.0):
        b = _first_change_along(model, x + sign * shift * u, normal, y, span, step, batch_size, start=0)
        sides.append(torch.where(torch.isfinite(b), b, torch.full_like(b, cap)))
    base = torch.where(found, b0, torch.ones_like(b0))
    bend = ((sides[0] - base).abs() + (sides[1] - base).abs()) / (2 * base)
    return torch.where(found, bend, torch.zeros_like(bend))


@dataclass
class CrossSection:
    """Predicted classes on a plane through a sample (paper 1 Fig. 1).

    ``classes[i, j]`` is the class predicted at ``x + b[i] * normal + a[j] * direction``: rows run along the
    normal to the decision boundary (the figure's y-axis), columns along a random direction orthogonal to it
    (its x-axis). ``a`` and ``b`` are L2 distances from the sample, which sits at the centre.
    """

    classes: torch.Tensor  # [R, R] long
    a: torch.Tensor  # [R] coordinates along the random direction
    b: torch.Tensor  # [R] coordinates along the normal
    label: int
    normal: torch.Tensor  # unit vector, shape of one sample
    direction: torch.Tensor  # unit vector orthogonal to ``normal``

    def fraction_correct(self) -> float:
        """Share of the plotted square where the true class is predicted."""
        return float((self.classes == self.label).float().mean())


def random_orthogonal(normal: torch.Tensor, seed: int = 0) -> torch.Tensor:
    """A random unit vector orthogonal to ``normal`` (Gaussian draw with ``seed``, one Gram-Schmidt step)."""
    gen = torch.Generator().manual_seed(seed)
    r = torch.randn(normal.numel(), generator=gen, dtype=torch.float64)
    n = normal.detach().flatten().double().cpu()
    n = n / n.norm()
    r = r - (r @ n) * n
    r = r / r.norm()
    return r.to(normal.dtype).reshape(normal.shape).to(normal.device)


@torch.no_grad()
def _grid_classes(model: nn.Module, x: torch.Tensor, u: torch.Tensor, v: torch.Tensor, a: torch.Tensor,
                  b: torch.Tensor, clamp: bool, batch_size: int) -> torch.Tensor:
    bb, aa = torch.meshgrid(b, a, indexing="ij")
    coef_b, coef_a = bb.flatten(), aa.flatten()
    preds = []
    for s in _batches(len(coef_a), batch_size):
        pts = x.unsqueeze(0) + coef_b[s].view(-1, *[1] * x.dim()) * u + coef_a[s].view(-1, *[1] * x.dim()) * v
        if clamp:
            pts = pts.clamp(0, 1)
        preds.append(model(pts).argmax(1))
    return torch.cat(preds).reshape(len(b), len(a)).cpu()


def cross_section(model: nn.Module, x: torch.Tensor, y: int | torch.Tensor, span: float = 1.0,
                  resolution: int = 201, seed: int = 0, clamp: bool = False,
                  batch_size: int = 4096) -> CrossSection:
    """Classes predicted on the plane through one sample ``x`` (shape ``[C, H, W]``) spanned by the normal to
    its closest decision boundary (:func:`boundary_normal`) and a random orthogonal direction (``seed``),
    on a ``resolution`` x ``resolution`` grid covering ``[-span, span]`` (L2 units) on both axes.

    ``clamp=False`` (default) evaluates the model off the pixel box too, as cross-section plots usually do;
    ``clamp=True`` clips every point to [0, 1].
    """
    if resolution < 2:
        raise ConfigError(f"resolution must be >= 2, got {resolution}")
    if not span > 0:
        raise ConfigError(f"span must be > 0, got {span}")
    dev = model_device(model)
    x = x.to(dev)
    label = int(y)
    normal = boundary_normal(model, x.unsqueeze(0), torch.tensor([label], device=dev))[0]
    direction = random_orthogonal(normal, seed)
    half = (resolution - 1) / 2  # symmetric grid with the sample exactly at 0 when the resolution is odd
    coords = span * (torch.arange(resolution, device=dev, dtype=x.dtype) - half) / half
    with eval_mode(model):
        classes = _grid_classes(model, x, normal, direction, coords, coords, clamp, batch_size)
    return CrossSection(classes=classes, a=coords.cpu(), b=coords.cpu(), label=label, normal=normal.cpu(),
                        direction=direction.cpu())
