"""Gradient statistics of paper 2 section VI (Figs. 5, 6, 9, 10).

**Which gradient.** Paper 2 defines gradients as "the first order partial derivatives of each weight w.r.t.
the costs" (section II-A) and plots their values "at the models' first dense layer for a test data batch".
Here that is the gradient

    g = ∂ L / ∂ θ_layer,   L = Σ_{(x, y) in batch} CE(f(x), y)

of the cross-entropy of the logits with the true labels, **summed** over a batch of test images, with
respect to the parameters θ of each layer (weights for Fig. 5 / 10; weights and biases for the zero counts
of Figs. 6 / 9), the model in eval mode, without DP-SGD's per-example clipping or noise: the raw gradient
back-propagation produces for that batch. The sum (not the mean) matches TensorFlow's gradient of a
per-example loss vector, which the paper's TensorFlow-Privacy code works with; ``reduction="mean"`` divides
every value by the batch size and leaves the zero counts unchanged.

A gradient entry is *zero* when it is exactly ``0.0`` in float32, e.g. a unit whose ReLU is inactive for
every image of the batch passes no gradient to its weights.
"""

from __future__ import annotations

import torch
from torch import nn

from dprob_utils.config.errors import ConfigError


def parametric_layers(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """The convolution and dense layers in forward order, named ``conv1, conv2, ..., dense1, dense2, ...``."""
    out, n_conv, n_dense = [], 0, 0
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            n_conv += 1
            out.append((f"conv{n_conv}", m))
        elif isinstance(m, nn.Linear):
            n_dense += 1
            out.append((f"dense{n_dense}", m))
    return out


def loss_gradients(model: nn.Module, x: torch.Tensor, y: torch.Tensor,
                   reduction: str = "sum") -> dict[str, dict[str, torch.Tensor]]:
    """``{layer: {"weight": grad, "bias": grad}}``: the gradient of the cross-entropy (``reduction`` over the
    batch ``x`` ``[N, C, H, W]``, ``y`` ``[N]``) with respect to every parameter of every layer of
    :func:`parametric_layers` (tensors of the parameters' shapes, on the CPU). The model's ``.grad`` fields
    and mode are left untouched."""
    if reduction not in ("sum", "mean"):
        raise ConfigError(f"reduction must be 'sum' or 'mean', got {reduction!r}")
    layers = parametric_layers(model)
    dev = next(model.parameters()).device
    x, y = x.to(dev), y.to(dev)
    params = [(name, kind, p) for name, m in layers for kind, p in m.named_parameters(recurse=False)]
    was_training = model.training
    model.eval()
    try:
        loss = nn.functional.cross_entropy(model(x), y, reduction=reduction)
        grads = torch.autograd.grad(loss, [p for _, _, p in params], allow_unused=True)
    finally:
        model.train(was_training)
    out: dict[str, dict[str, torch.Tensor]] = {name: {} for name, _ in layers}
    for (name, kind, p), g in zip(params, grads, strict=True):
        out[name][kind] = (torch.zeros_like(p) if g is None else g).detach().cpu()
    return out


def first_dense_gradients(model: nn.Module, x: torch.Tensor, y: torch.Tensor,
                          reduction: str = "sum") -> torch.Tensor:
    """Flat tensor of the gradient of the loss with respect to the weights of the first dense layer (Fig. 5:
    ``dense1``, 7744 x 120 for LeNet, 512 x 32 for the custom CNN)."""
    grads = loss_gradients(model, x, y, reduction)
    dense = [name for name in grads if name.startswith("dense")]
    if not dense:
        raise ConfigError("the model has no dense (nn.Linear) layer")
    return grads[dense[0]]["weight"].flatten()


def zero_gradient_percentage(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> dict[str, float]:
    """Per layer, the percentage (0-100) of gradient entries (weights and biases) that are exactly zero."""
    out = {}
    for name, g in loss_gradients(model, x, y).items():
        flat = torch.cat([t.flatten() for t in g.values()])
        out[name] = 100.0 * float((flat == 0).float().mean()) if flat.numel() else float("nan")
    return out


def input_gradient_zero_share(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    """Share in [0, 1] of samples whose gradient of the cross-entropy with respect to the input image is
    exactly zero everywhere: the signature of shattered or saturated gradients (PGD and FGSM cannot move)."""
    was_training = model.training
    model.eval()
    dev = next(model.parameters()).device
    try:
        xg = x.detach().clone().to(dev).requires_grad_(True)
        loss = nn.functional.cross_entropy(model(xg), y.to(dev), reduction="sum")
        g = torch.autograd.grad(loss, xg, allow_unused=True)[0] if loss.requires_grad else None
        g = torch.zeros_like(xg) if g is None else g  # an input the graph does not reach has zero gradient
    finally:
        model.train(was_training)
    return float((g.flatten(1).abs().amax(1) == 0).float().mean()) if len(x) else float("nan")


def summary(values: torch.Tensor) -> dict[str, float]:
    """Min, max, mean absolute value, 1st / 99th percentile and zero share of a flat gradient tensor."""
    v = values.flatten().float()
    q = torch.quantile(v, torch.tensor([0.01, 0.99])) if v.numel() else torch.tensor([float("nan")] * 2)
    return {"min": float(v.min()), "max": float(v.max()), "mean_abs": float(v.abs().mean()),
            "p01": float(q[0]), "p99": float(q[1]), "zero_share": float((v == 0).float().mean())}
