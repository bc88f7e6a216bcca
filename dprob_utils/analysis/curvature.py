"""Curvature profile (paper 1 eq. (7), Figs. 5c and 6c): eigenvalues of the Hessian of the loss with respect to
the input.

The Hessian is exact: reverse-over-reverse automatic differentiation with :mod:`torch.func`
(``jacrev(grad(loss), chunk_size=...)``: the gradient's Jacobian, its vector-Jacobian products vectorised with
``vmap`` in chunks; on the CPU this is about three times faster than forward-over-reverse ``jvp(grad)`` here). Each sample's
``d x d`` Hessian (784 x 784 for MNIST, 3072 x 3072 for CIFAR-10) is built, symmetrised and handed to a
symmetric eigensolver (``torch.linalg.eigvalsh`` in float64) before the next sample is started, so memory holds
one Hessian plus one chunk of Hessian-vector products at a time.

For a network made only of affine layers, ReLU and max-pooling (all of the papers' networks) the logits are
piecewise linear in the input, so the Hessian of the cross-entropy is ``J^T (diag(p) - p p^T) J`` (``J``
the ``K x d`` Jacobian of the logits, ``p`` the softmax): positive semi-definite of rank at most ``K - 1``.
Eigenvalues beyond the ``K - 1``-th are zero up to round-off (:func:`gauss_newton_hessian` computes this form;
a test checks both agree).
"""

from __future__ import annotations

import copy
import math

import torch
from torch import nn

from dprob_utils.attacks import eval_mode, model_device
from dprob_utils.config.errors import ConfigError

DEFAULT_MEMORY_BUDGET = 2 * 1024**3  # bytes for one chunk of Hessian-vector products


def _sample_loss(model: nn.Module, label: torch.Tensor):
    def loss(x1: torch.Tensor) -> torch.Tensor:
        return nn.functional.cross_entropy(model(x1.unsqueeze(0)), label.view(1))

    return loss


def _activation_elems(model: nn.Module, x1: torch.Tensor) -> int:
    """Number of output elements of every leaf module for one sample (a proxy for per-tangent memory)."""
    total = [x1.numel()]
    hooks = [m.register_forward_hook(lambda _m, _i, o: total.append(o.numel() if torch.is_tensor(o) else 0))
             for m in model.modules() if len(list(m.children())) == 0]
    try:
        with torch.no_grad():
            model(x1.unsqueeze(0))
    finally:
        for h in hooks:
            h.remove()
    return sum(total)


def auto_chunk_size(model: nn.Module, x1: torch.Tensor, memory_budget: int = DEFAULT_MEMORY_BUDGET) -> int:
    """How many Hessian-vector products to vectorise at once for a sample like ``x1`` (``[C, H, W]``) so that
    one chunk needs about ``memory_budget`` bytes: every activation is kept for the backward pass together with
    its tangent and cotangent, counted generously (x 16 floats)."""
    per_tangent = 4 * 16 * _activation_elems(model, x1)
    return max(1, min(x1.numel(), int(memory_budget // max(per_tangent, 1))))


def _hessian_one(model: nn.Module, x1: torch.Tensor, label: torch.Tensor, chunk_size: int) -> torch.Tensor:
    from torch.func import grad, jacrev

    d = x1.numel()
    h = jacrev(grad(_sample_loss(model, label)), chunk_size=chunk_size)(x1)  # shape x1.shape + x1.shape
    return h.reshape(d, d)


def input_hessian(model: nn.Module, x: torch.Tensor, y: torch.Tensor, chunk_size: int | None = None,
                  memory_budget: int = DEFAULT_MEMORY_BUDGET) -> torch.Tensor:
    """Exact Hessian of the cross-entropy loss with respect to the (flattened) input, paper 1 eq. (7).

    Args:
        x: one sample ``[C, H, W]`` or a batch ``[N, C, H, W]`` (any shape whose first axis is the batch).
        y: the label (scalar tensor or int) or labels ``[N]``.
        chunk_size: Hessian-vector products vectorised at once; ``None`` picks one from ``memory_budget``.

    Returns:
        ``[d, d]`` for one sample, ``[N, d, d]`` for a batch (``d`` = pixels per sample), on the model's
        device, symmetrised (``(H + H^T) / 2``; the asymmetry is round-off only).
    """
    dev = model_device(model)
    single = torch.as_tensor(y).dim() == 0
    xb = (x.unsqueeze(0) if single else x).to(dev)
    yb = torch.as_tensor(y, device=dev).view(-1).long()
    if len(xb) != len(yb):
        raise ConfigError(f"{len(xb)} samples but {len(yb)} labels")
    out = []
    # torch.func's vmap cannot run channels-last tensors, and dprob's models keep their convolution weights
    # channels-last for speed (dprob_utils.models.architectures): the Hessians use an NCHW copy of the model.
    model = copy.deepcopy(model).to(memory_format=torch.contiguous_format)
    with eval_mode(model):
        for i in range(len(xb)):
            cs = chunk_size or auto_chunk_size(model, xb[i], memory_budget)
            h = _hessian_one(model, xb[i].detach(), yb[i], cs)
            out.append((h + h.T) / 2)
    hs = torch.stack(out) if out else torch.empty(0, 0, 0)
    return hs[0] if single else hs


def gauss_newton_hessian(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """``J^T (diag(p) - p p^T) J`` per sample (``[N, d, d]``): the input Hessian of the cross-entropy when the
    logits are piecewise linear in the input (ReLU / max-pool / affine networks), where it is exact almost
    everywhere. Used by the tests as an independent check of :func:`input_hessian`."""
    from dprob_utils.analysis.geometry import logits_and_jacobian

    dev = model_device(model)
    with eval_mode(model):
        logits, jac = logits_and_jacobian(model, x.to(dev))
    p = logits.softmax(dim=1)
    a = torch.diag_embed(p) - p.unsqueeze(2) * p.unsqueeze(1)
    return jac.transpose(1, 2) @ a @ jac


def top_by_magnitude(eigenvalues: torch.Tensor, k: int) -> torch.Tensor:
    """The ``k`` eigenvalues of largest magnitude of each row (sign kept), sorted by decreasing magnitude."""
    k = min(k, eigenvalues.shape[-1])
    idx = eigenvalues.abs().argsort(dim=-1, descending=True)[..., :k]
    return torch.gather(eigenvalues, -1, idx)


HESSIAN_METHODS = ("exact", "gauss-newton")


def top_eigenvalues(model: nn.Module, x: torch.Tensor, y: torch.Tensor, k: int = 15,
                    chunk_size: int | None = None, memory_budget: int = DEFAULT_MEMORY_BUDGET,
                    method: str = "exact") -> torch.Tensor:
    """The ``k`` largest-magnitude eigenvalues of the input Hessian of each sample (``float64 [N, k]`` on the
    CPU, sign kept, by decreasing magnitude).

    ``method="exact"`` (default) builds the Hessian with :func:`input_hessian` (torch.func);
    ``"gauss-newton"`` uses :func:`gauss_newton_hessian`, identical for ReLU / max-pool networks and about a
    hundred times cheaper on a CPU (the notebooks check the two agree on their models).

    Samples are processed one at a time: one ``d x d`` Hessian (37.7 MB in float32 for a 3072-pixel CIFAR
    image, twice that in the float64 eigensolver) and one chunk of Hessian-vector products (about
    ``memory_budget`` bytes) are alive at once, so a CIFAR Hessian fits comfortably in 24 GiB.
    """
    if k <= 0:
        raise ConfigError(f"k must be > 0, got {k}")
    if len(x) != len(y):
        raise ConfigError(f"{len(x)} samples but {len(y)} labels")
    if method not in HESSIAN_METHODS:
        raise ConfigError(f"unknown Hessian method {method!r}; choose one of {', '.join(HESSIAN_METHODS)}")
    rows = []
    for i in range(len(x)):
        if method == "exact":
            h = input_hessian(model, x[i], y[i], chunk_size=chunk_size, memory_budget=memory_budget)
        else:
            h = gauss_newton_hessian(model, x[i : i + 1], y[i : i + 1])[0]
        ev = torch.linalg.eigvalsh(h.double())
        del h
        rows.append(top_by_magnitude(ev, k).cpu())
    return torch.stack(rows) if rows else torch.empty(0, k, dtype=torch.float64)


def mean_profile(eigs: torch.Tensor) -> list[float]:
    """Average of the magnitudes of the top eigenvalues over samples, as Fig. 5c plots them (one value per rank)."""
    if eigs.numel() == 0:
        return []
    return [float(v) for v in eigs.abs().mean(dim=0)]


def largest_ratio(eigs_a: torch.Tensor, eigs_b: torch.Tensor) -> float:
    """Ratio of the mean largest-magnitude eigenvalue of ``b`` to that of ``a`` (paper 1: DP-SGD / SGD ~ 100)."""
    a = float(eigs_a[:, 0].abs().mean())
    b = float(eigs_b[:, 0].abs().mean())
    return b / a if a > 0 else math.inf
