"""Per-example gradient clipping in one backward pass ("book-keeping", Bu et al., ICML 2023).

Why not Opacus alone: Opacus 1.6 offers per-sample hooks (every example's full gradient is materialised: for the
400,000-weight dense layer of paper 1's CNN that is 400 MB per batch of 256) and ghost clipping (per-example
norms without per-example gradients, but a *second* full backward pass to form the clipped sum). The book-keeping
trick (Z. Bu, Y.-X. Wang, S. Zha, G. Karypis, "Differentially private optimization on large model at small
cost", ICML 2023) needs neither: one backward pass returns each layer's output gradients ``g`` (``[B, out]``);
with the stored layer inputs ``a`` it gives

- each example's gradient norm: for a dense layer ``||a_i||² ||g_i||²`` (the ghost norm, no per-example
  gradient); for a convolution the per-example gradient ``g_i U_i^T`` (``U_i``: the unfolded input) is formed,
  which is small for the convolutions of these papers (at most 25,000 numbers per example);
- the clipped sum ``Σ_i w_i ∇_θ ℓ_i`` with ``w_i = min(1, C / ||∇ℓ_i||)``: ``(w ⊙ g)^T a`` for a dense layer, one
  matrix product as in plain SGD's backward; ``Σ_i w_i G_i`` for a convolution.

The backward pass itself skips the weight gradients (only gradients with respect to the layer outputs are asked
for), so the extra cost over SGD is the norms. Noise, scaling and the update stay Opacus's:
:class:`opacus.optimizers.DPOptimizerFastGradientClipping` (subclassed as
:class:`dprob_utils.dp.fast.dp_optimizer.BookKeepingDPOptimizer`, which draws the noise on every core) takes the clipped
sum from ``p.grad``, adds ``N(0, σ²C²)`` and divides by the expected batch size, as with its own ghost clipping. The clipping
factor ``min(1, C / (||g|| + 1e-6))`` is Opacus's. The tests compare the update with a one-example-at-a-time
reference and with Opacus's modes.

Supported trainable layers: ``nn.Linear`` and ``nn.Conv2d`` (groups 1, zero padding), which is every trainable
layer of the book's models; anything else raises :class:`~dprob_utils.config.errors.ConfigError` naming the
``"ghost"`` mode, which handles any layer Opacus knows.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from dprob_utils.config.errors import ConfigError
from dprob_utils.dp.fast import compiled_grads
from dprob_utils.dp.fast.conv_grads import (
    by_rows,
    conv_chunk,
    grouped_chunks,
    per_example_blocks,
    use_grouped_backward,
    use_rows,
    use_unfold,
    weight_from_blocks,
)
from dprob_utils.dp.reference import NORM_EPS


def clip_factor(norms: torch.Tensor, max_grad_norm: float) -> torch.Tensor:
    """Opacus's clipping factor per example, ``min(1, C / (norm + 1e-6))`` (``norms``: ``[B]``), the one
    formula of every fast path (the slow reference, :mod:`dprob_utils.dp.reference`, writes it out per example)."""
    return (max_grad_norm / (norms + NORM_EPS)).clamp(max=1.0)


def _trainable(p: torch.Tensor | None) -> bool:
    return p is not None and p.requires_grad


class BookKeepingClipper:
    """Records each trainable layer's input and output in the forward pass and, in :meth:`backward`, writes the
    sum of the per-example gradients, each clipped to L2 norm ``max_grad_norm``, to ``p.grad``.

    Use ``loss = cross_entropy(model(x), y, reduction="none")`` (one loss per example, ``[B]``), then
    ``clipper.backward(loss)``. Remove the forward hooks with :meth:`close`.
    """

    def __init__(self, model: nn.Module, max_grad_norm: float):
        if not max_grad_norm > 0:
            raise ConfigError(f"the clipping bound must be > 0, got {max_grad_norm}")
        self.max_grad_norm = float(max_grad_norm)
        self.layers: list[nn.Module] = []
        for name, module in model.named_modules():
            own = list(module.parameters(recurse=False))
            if getattr(module, "inplace", False):
                # an in-place op would overwrite a recorded layer output before its gradient is taken
                raise ConfigError(f"book-keeping clipping needs out-of-place activations; {name or 'the model'} "
                                  "is in-place (set inplace=False or use grad_sample_mode='ghost')")
            if not any(p.requires_grad for p in own):
                continue
            _check_supported(name, module)
            self.layers.append(module)
        if not self.layers:
            raise ConfigError("the model has no trainable parameters")
        self._records: dict[nn.Module, tuple[torch.Tensor, torch.Tensor]] = {}
        self._hooks = [layer.register_forward_hook(self._record) for layer in self.layers]

    def _record(self, module: nn.Module, inputs: tuple[torch.Tensor, ...], output: torch.Tensor) -> None:
        if not (module.training and torch.is_grad_enabled()):
            return
        if module in self._records:
            self._records.clear()
            raise ConfigError("a trainable layer ran twice in one forward pass (shared weights); book-keeping "
                              "clipping handles each layer once: use grad_sample_mode='ghost'")
        self._records[module] = (inputs[0].detach(), output)

    def backward(self, per_example_loss: torch.Tensor) -> torch.Tensor:
        """Set ``p.grad`` of every trainable parameter to ``Σ_i min(1, C/||∇ℓ_i||) ∇ℓ_i``.

        Args:
            per_example_loss: ``[B]`` losses of the last forward pass, one per example.

        Returns:
            ``[B]`` per-example gradient L2 norms (before clipping).
        """
        if per_example_loss.dim() != 1:
            raise ConfigError(f"expected one loss per example (shape [B]), got shape {tuple(per_example_loss.shape)}")
        missing = [m for m in self.layers if m not in self._records]
        if missing:
            raise ConfigError("no recorded forward pass for every trainable layer: call the model in training "
                              "mode with gradients enabled before backward()")
        records = [self._records[m] for m in self.layers]
        self._records.clear()
        outputs = [out for _, out in records]
        # Gradients w.r.t. the layer outputs only: autograd skips every weight gradient of this pass.
        # The sum of per-example losses makes g_i exactly example i's gradient.
        backprops = torch.autograd.grad(per_example_loss.sum(), outputs)
        items = list(zip(self.layers, [a for a, _ in records], backprops, strict=True))
        last = _fused_layer(items)
        per_layer = [_layer_parts(m, a, g) for i, (m, a, g) in enumerate(items) if i != last]
        sq = sum((sq for sq, _ in per_layer), torch.zeros_like(per_example_loss.detach()))
        if last is None:
            norms, fused = torch.sqrt(sq), []
        else:  # that layer's norms complete the examples' norms chunk by chunk, and its clipped sum follows at once
            norms, fused = _fused_conv_clip(*items[last], sq, self.max_grad_norm)
        factor = clip_factor(norms, self.max_grad_norm)
        for p, grad in [pg for _, clipped_sum in per_layer for pg in clipped_sum(factor)] + fused:
            p.grad = grad if p.grad is None else p.grad + grad
        return norms

    def close(self) -> None:
        """Remove the forward hooks; the model is a plain module again."""
        for h in self._hooks:
            h.remove()
        self._hooks = []
        self._records.clear()


def _check_supported(name: str, module: nn.Module) -> None:
    where = name or type(module).__name__
    if isinstance(module, nn.Linear):
        return
    if isinstance(module, nn.Conv2d):
        if module.groups != 1 or module.padding_mode != "zeros" or isinstance(module.padding, str):
            raise ConfigError(f"book-keeping clipping supports Conv2d with groups=1 and numeric zero padding only "
                              f"({where}); use grad_sample_mode='ghost'")
        return
    raise ConfigError(f"book-keeping clipping does not support trainable {type(module).__name__} layers ({where}); "
                      "use grad_sample_mode='ghost'")


ClippedSum = Callable[[torch.Tensor], list[tuple[torch.Tensor, torch.Tensor]]]


def _layer_parts(module: nn.Module, a: torch.Tensor, g: torch.Tensor) -> tuple[torch.Tensor, ClippedSum]:
    """(``[B]`` squared per-example gradient norms of this layer's trainable parameters, a function of the
    ``[B]`` clipping factors that returns ``(parameter, clipped gradient sum)`` pairs)."""
    if isinstance(module, nn.Conv2d):
        return _conv_parts(module, a, g)
    if a.dim() == 2:
        return _linear_parts(module, a, g)
    return _linear_sequence_parts(module, a, g)


def _linear_parts(layer: nn.Linear, a: torch.Tensor, g: torch.Tensor) -> tuple[torch.Tensor, ClippedSum]:
    # a [B, in], g [B, out]: example i's weight gradient is the outer product g_i a_i^T, of norm |g_i| |a_i|
    g_sq = g.pow(2).sum(1)
    sq = torch.zeros_like(g_sq)
    if _trainable(layer.weight):
        sq = sq + g_sq * a.pow(2).sum(1)
    if _trainable(layer.bias):
        sq = sq + g_sq

    def clipped_sum(factor: torch.Tensor) -> list[tuple[torch.Tensor, torch.Tensor]]:
        wg = g * factor[:, None]
        out = []
        if _trainable(layer.weight):
            out.append((layer.weight, wg.t() @ a))
        if _trainable(layer.bias):
            out.append((layer.bias, wg.sum(0)))
        return out

    return sq, clipped_sum


def _linear_sequence_parts(layer: nn.Linear, a: torch.Tensor, g: torch.Tensor) -> tuple[torch.Tensor, ClippedSum]:
    # a [B, ..., in], g [B, ..., out]: the per-example gradient sums over the middle dimensions; materialise it
    a3, g3 = a.reshape(a.shape[0], -1, a.shape[-1]), g.reshape(g.shape[0], -1, g.shape[-1])
    grads = {}
    if _trainable(layer.weight):
        grads[layer.weight] = torch.bmm(g3.transpose(1, 2), a3)  # [B, out, in]
    if _trainable(layer.bias):
        grads[layer.bias] = g3.sum(1)
    return _materialised_parts(grads)


CONV_PATHS = ("compiled", "unfolded-input", "grouped-backward", "kernel-rows", "grouped-convolutions", "bias-only")


BLOCK_PATHS = ("unfolded-input", "grouped-backward", "kernel-rows")  # per-example gradients as matrix products


def plan(layer: nn.Module, g: torch.Tensor) -> str:
    """The path that forms ``layer``'s per-example gradient norms and clipped sum, given its output (gradient)
    ``g`` (``[B, out, H', W']`` for a convolution; only its shape and device matter):

    - ``"dense"`` / ``"dense-sequence"``: ``nn.Linear`` (ghost norms; per-example gradients for 3-d inputs);
    - ``"compiled"``: TorchInductor's per-example kernels (:mod:`.compiled_grads`; CPU, at most
      :data:`~.compiled_grads.MAX_WEIGHTS` weights), in place of kernel rows or grouped convolutions;
    - ``"unfolded-input"``: fewer than :data:`UNFOLD_BELOW_POSITIONS` output positions;
    - ``"grouped-backward"``: one input channel, strided (oneDNN's grouped backward-weights kernel);
    - ``"kernel-rows"``: several input channels (one matrix product per kernel row);
    - ``"grouped-convolutions"``: the rest (one input channel, stride 1), chunk by chunk;
    - ``"bias-only"``: a convolution whose weight is frozen.
    """
    if isinstance(layer, nn.Linear):
        return "dense" if g.dim() == 2 else "dense-sequence"
    if not _trainable(layer.weight):
        return "bias-only"
    if use_unfold(layer, g):
        return "unfolded-input"
    if use_grouped_backward(layer):
        return "grouped-backward"
    if compiled_grads.applies(layer, g):
        return "compiled"
    return "kernel-rows" if use_rows(layer) else "grouped-convolutions"


def explain(model: nn.Module, input_shape: tuple[int, ...], batch_size: int = 256) -> list[dict]:
    """One row per trainable layer of ``model`` for a batch of ``batch_size`` inputs of ``input_shape``
    (``(C, H, W)``): its name, type, number of weights, :func:`plan`, and whether it is the layer whose clipped
    sum is fused with the norms, chunk by chunk (:func:`_fused_layer`). E.g.
    ``explain(build_model("p1_mnist_cnn"), (1, 28, 28))``."""
    seen: list[tuple[str, nn.Module, torch.Tensor]] = []
    hooks = [m.register_forward_hook(lambda mod, _i, out, name=name: seen.append((name, mod, out.detach())))
             for name, m in model.named_modules() if isinstance(m, (nn.Linear, nn.Conv2d))
             and any(p.requires_grad for p in m.parameters(recurse=False))]
    try:
        with torch.no_grad():
            model(torch.zeros(batch_size, *input_shape, device=next(model.parameters()).device))
    finally:
        for h in hooks:
            h.remove()
    fused = _fused_layer([(m, None, out) for _, m, out in seen])
    return [{"layer": name, "type": type(m).__name__, "weights": sum(p.numel() for p in m.parameters(recurse=False)),
             "path": plan(m, out), "fused": i == fused} for i, (name, m, out) in enumerate(seen)]


def _conv_parts(layer: nn.Conv2d, a: torch.Tensor, g: torch.Tensor) -> tuple[torch.Tensor, ClippedSum]:
    sq = torch.zeros(a.shape[0], dtype=g.dtype, device=g.device)
    blocks, chunks = [], []
    compiled = None
    path = plan(layer, g)
    if path == "compiled":
        compiled = compiled_grads.conv_grads_and_norms(layer, a, g)  # ([B, in, kh, kw, out], [B]) or None
        if compiled is None:  # the compile failed (warned once): the path it replaces
            path = "kernel-rows" if use_rows(layer) else "grouped-convolutions"
    if compiled is not None:
        sq = sq + compiled[1]
    elif path in BLOCK_PATHS:
        blocks = per_example_blocks(layer, a, g)
        for r in blocks:
            sq = sq + torch.linalg.vector_norm(r, dim=(1, 2)).square()
    elif path == "grouped-convolutions":
        # grouped convolutions are 1.5-4x faster on NCHW tensors, worth the copy
        a, g = a.contiguous(), g.contiguous()
        for i, r in grouped_chunks(layer, a, g):
            # the norms while the chunk is still in the CPU's cache
            sq[i : i + r.shape[1]] += torch.linalg.vector_norm(r, dim=(0, 2, 3, 4)).square()
            chunks.append((i, r))
    if _trainable(layer.bias):
        gb = g.sum((2, 3))  # [B, out]
        sq = sq + gb.pow(2).sum(1)

    def clipped_sum(factor: torch.Tensor) -> list[tuple[torch.Tensor, torch.Tensor]]:
        out = []
        if compiled is not None:  # Σ_i f_i G_i, [in, kh, kw, out]
            total = (factor @ compiled[0].flatten(1)).view(compiled[0].shape[1:])
            out.append((layer.weight, total.permute(3, 0, 1, 2).contiguous()))
        elif blocks and not by_rows(layer, g):  # Σ_i f_i G_i, [1, out, kh * kw * in]
            out.append((layer.weight, weight_from_blocks(layer, g, (factor @ blocks[0].flatten(1)).view(1, -1))))
        elif blocks:  # Σ_i f_i R_i per kernel row, [kh, out, in * kw]
            total = torch.stack([torch.einsum("n,nok->ok", factor, r) for r in blocks])
            out.append((layer.weight, weight_from_blocks(layer, g, total)))
        elif _trainable(layer.weight):
            # Σ_i f_i G_i chunk by chunk, each [in, n, out, kh, kw]: one batched matrix-vector product per chunk
            total = sum(torch.einsum("n,inr->ir", factor[i : i + r.shape[1]], r.flatten(2)) for i, r in chunks)
            out.append((layer.weight, total.view(layer.in_channels, *layer.weight.shape[:1],
                                                 *layer.kernel_size).transpose(0, 1)))
        if _trainable(layer.bias):
            out.append((layer.bias, factor @ gb))
        return out

    return sq, clipped_sum


def _fused_layer(items: list[tuple[nn.Module, torch.Tensor, torch.Tensor]]) -> int | None:
    """Index of the layer whose clipped sum :func:`_fused_conv_clip` forms chunk by chunk: of the convolutions
    whose per-example gradients are matrix products (kernel rows, unfolded input, grouped backward weights) and
    not compiled kernels (:func:`plan`), the one with the most weights (paper 1's second layer, the custom
    CNN's second; LeNet's second with ``DPROB_COMPILE=0``), or None."""
    convs = [(m.weight.numel(), i) for i, (m, _, g) in enumerate(items)
             if isinstance(m, nn.Conv2d) and plan(m, g) in BLOCK_PATHS]
    return max(convs)[1] if convs else None


def _fused_conv_clip(layer: nn.Conv2d, a: torch.Tensor, g: torch.Tensor, other_sq: torch.Tensor,
                     max_grad_norm: float) -> tuple[torch.Tensor, list[tuple[torch.Tensor, torch.Tensor]]]:
    """(``[B]`` per-example gradient norms of the whole model, ``(parameter, clipped sum)`` pairs of ``layer``),
    given ``other_sq``, the ``[B]`` squared norms of every other layer.

    The per-example weight gradients (:func:`per_example_blocks`) of a chunk of examples (:func:`conv_chunk`)
    give the chunk's norms, hence its clipping factors, and are added into the clipped sum while they are still
    in the CPU's cache: they are never stored for the whole batch (paper 1's second layer: 25.6 MB at batch 256,
    written once and read twice otherwise)."""
    b = g.shape[0]
    gb = g.sum((2, 3)) if _trainable(layer.bias) else None  # [B, out]
    total: torch.Tensor | None = None
    norms = torch.empty_like(other_sq)
    chunk = conv_chunk(layer)
    for i in range(0, b, chunk):
        blocks = per_example_blocks(layer, a[i : i + chunk], g[i : i + chunk])
        sq = other_sq[i : i + chunk] + sum(torch.linalg.vector_norm(r, dim=(1, 2)).square() for r in blocks)
        if gb is not None:
            sq = sq + gb[i : i + chunk].pow(2).sum(1)
        norms[i : i + chunk] = sq.sqrt()
        factor = clip_factor(norms[i : i + chunk], max_grad_norm)
        if total is None:
            total = g.new_zeros(len(blocks), *blocks[0].shape[1:])
        for k, r in enumerate(blocks):
            total[k].view(-1).addmv_(r.flatten(1).t(), factor)
    out = [(layer.weight, weight_from_blocks(layer, g, total))]
    if gb is not None:
        out.append((layer.bias, clip_factor(norms, max_grad_norm) @ gb))
    return norms, out


def _materialised_parts(grads: dict[torch.Tensor, torch.Tensor]) -> tuple[torch.Tensor, ClippedSum]:
    """Parts from per-example gradients ``{parameter: [B, *parameter.shape]}``."""
    sq = sum(torch.linalg.vector_norm(gs.reshape(gs.shape[0], -1), dim=1) ** 2 for gs in grads.values())

    def clipped_sum(factor: torch.Tensor) -> list[tuple[torch.Tensor, torch.Tensor]]:
        return [(p, (factor @ gs.reshape(gs.shape[0], -1)).view_as(p)) for p, gs in grads.items()]

    return sq, clipped_sum


class BookKeepingLoss:
    """Cross-entropy whose ``.backward()`` runs :meth:`BookKeepingClipper.backward` (the interface of Opacus's
    ``DPLossFastGradientClipping``): ``criterion(model(x), y).backward(); dp_optimizer.step()``."""

    def __init__(self, clipper: BookKeepingClipper):
        self.clipper = clipper

    def __call__(self, logits: torch.Tensor, target: torch.Tensor) -> ClippedLoss:
        return ClippedLoss(self.clipper, nn.functional.cross_entropy(logits, target, reduction="none"))

    def close(self) -> None:
        self.clipper.close()


class ClippedLoss:
    """Per-example losses ``[B]`` of one batch; ``backward()`` writes the clipped gradient sum to ``p.grad``."""

    def __init__(self, clipper: BookKeepingClipper, per_example: torch.Tensor):
        self.clipper, self.per_example = clipper, per_example

    def backward(self) -> None:
        self.clipper.backward(self.per_example)

    def item(self) -> float:
        """Mean loss over the batch."""
        return float(self.per_example.detach().mean())

    def detach(self) -> torch.Tensor:
        """Mean loss over the batch, a 0-d tensor on the batch's device (as Opacus's DP loss gives)."""
        return self.per_example.detach().mean()
