"""Per-example convolution weight gradients and their norms from one kernel that ``torch.compile`` generates.

Why: on a CPU the book-keeping clipper's per-example gradients of a convolution, ``g_i^T U_i`` (``U_i``: the
unfolded input of example ``i``), are batched matrix products of a few dozen rows each. MKL runs them at about
half the speed of oneDNN's weight-gradient kernel that plain SGD uses. Written as a broadcast product summed
over output positions, with the output channel innermost, TorchInductor fuses the unfold, the products, the sum
and the squared norm into one vectorised C++ loop nest (per-layer timings in benchmarks/README.md).

So the compiled kernel serves convolutions of at most :data:`MAX_WEIGHTS` weights on a CPU, and the clipper
(:func:`dprob_utils.dp.fast.bk_clipping.plan`) uses it only in place of its kernel-row and grouped-convolution
paths: inside whole DP steps the custom CNN's layers (unfolded input, grouped backward weights, chunk-fused) were
no faster compiled. Each shape is compiled once per process for fixed chunks of :data:`CHUNK_SIZES` examples (a
Poisson batch's remainder is zero-padded to the next multiple of 8; zero output gradients give zero gradients):
kernels for a symbolic batch size were slower. Compiling needs a C++ compiler (its cost: benchmarks/README.md).
Without a compiler, or with ``DPROB_COMPILE=0``, :func:`conv_grads_and_norms` returns None and the clipper keeps
its other path (one warning).
"""

from __future__ import annotations

import os
import warnings

import torch
from torch import nn

# Convolutions with more weights keep the matrix-product path (paper 1's second convolution, 25,000 weights,
# and the CIFAR net's second, 36,864, were slower compiled; the custom CNN's second, 8,192, was faster on its
# own, though not inside a whole step: see bk_clipping.plan).
MAX_WEIGHTS = 8192
# Examples per compiled call: full chunks of 64, the rest in chunks of 32, 16 and 8 (the last zero-padded).
CHUNK_SIZES = (64, 32, 16, 8)
# Each (layer shape, chunk size) pair is one entry of TorchDynamo's cache for _grads_and_norms; its default limit
# of 8 entries per function would silently fall back to eager PyTorch (100x slower here) after a few layers.
_RECOMPILE_LIMIT = 256

_state: dict[str, object] = {"enabled": os.environ.get("DPROB_COMPILE", "1") != "0", "fn": None}
_warm: set[tuple] = set()  # (input shape, output-gradient shape, kernel, stride, dtype) compiled for every chunk


def enabled() -> bool:
    """Whether compiled kernels are used (``DPROB_COMPILE`` is not ``0`` and no compile has failed)."""
    return bool(_state["enabled"])


def set_enabled(on: bool) -> None:
    """Turn the compiled kernels on or off for this process (tests; ``DPROB_COMPILE=0`` sets off at import)."""
    _state["enabled"] = bool(on)


def applies(layer: nn.Conv2d, g: torch.Tensor) -> bool:
    """Whether :func:`conv_grads_and_norms` serves ``layer`` (CPU, dilation 1, at most :data:`MAX_WEIGHTS`
    weights, compiling not switched off)."""
    return (enabled() and g.device.type == "cpu" and layer.dilation == (1, 1)
            and layer.weight.numel() <= MAX_WEIGHTS)


def _grads_and_norms(a: torch.Tensor, g: torch.Tensor, kh: int, kw: int, sh: int, sw: int):
    """``a`` ``[n, Hp, Wp, in]`` padded input and ``g`` ``[n, Ho, Wo, out]`` output gradients, both NHWC and
    contiguous -> (``[n, in, kh, kw, out]`` per-example weight gradients, ``[n]`` their squared L2 norms)."""
    patches = a.unfold(1, kh, sh).unfold(2, kw, sw)  # [n, Ho, Wo, in, kh, kw], a view
    grads = (patches[..., None] * g[:, :, :, None, None, None, :]).sum((1, 2))
    return grads, grads.square().sum((1, 2, 3, 4))


def _compiled():
    if _state["fn"] is None:
        import torch._dynamo

        cfg = torch._dynamo.config
        cfg.recompile_limit = max(cfg.recompile_limit, _RECOMPILE_LIMIT)
        cfg.accumulated_recompile_limit = max(cfg.accumulated_recompile_limit, 4 * _RECOMPILE_LIMIT)
        _state["fn"] = torch.compile(_grads_and_norms, dynamic=False)
    return _state["fn"]


def _chunks(b: int) -> list[tuple[int, int, int]]:
    """``(start, examples, padded size)`` of each compiled call for a batch of ``b`` examples."""
    out, i = [], 0
    for size in CHUNK_SIZES:
        while b - i >= size:
            out.append((i, size, size))
            i += size
    if i < b:
        out.append((i, b - i, CHUNK_SIZES[-1]))
    return out


def _compile_every_chunk(fn, a: torch.Tensor, g: torch.Tensor, layer: nn.Conv2d) -> None:
    """Compile ``fn`` for every chunk size at a layer's first batch, so that no compile (~0.1-1 s) falls in the
    middle of training when a later Poisson batch needs another chunk size."""
    key = (tuple(a.shape[1:]), tuple(g.shape[1:]), layer.kernel_size, layer.stride, a.dtype)
    if key in _warm:
        return
    for size in CHUNK_SIZES:
        fn(a.new_zeros(size, *a.shape[1:]), g.new_zeros(size, *g.shape[1:]), *layer.kernel_size, *layer.stride)
    _warm.add(key)


def conv_grads_and_norms(layer: nn.Conv2d, a: torch.Tensor, g: torch.Tensor
                         ) -> tuple[torch.Tensor, torch.Tensor] | None:
    """Per-example weight gradients ``[B, in, kh, kw, out]`` and their squared norms ``[B]`` of ``layer``, from its
    input ``a`` ``[B, in, H, W]`` and output gradients ``g`` ``[B, out, Ho, Wo]``; None when compiling failed (the
    caller takes another path)."""
    ph, pw = layer.padding
    nhwc = a.permute(0, 2, 3, 1)
    nhwc = (nn.functional.pad(nhwc, (0, 0, pw, pw, ph, ph)) if ph or pw else nhwc).contiguous()
    g_nhwc = g.permute(0, 2, 3, 1).contiguous()  # no copy when autograd gave channels-last gradients
    b = a.shape[0]
    grads = g.new_empty(b, layer.in_channels, *layer.kernel_size, layer.out_channels)
    sq = g.new_empty(b)
    try:
        fn = _compiled()
        with torch.no_grad():
            _compile_every_chunk(fn, nhwc, g_nhwc, layer)
            for i, n, size in _chunks(b):
                ai, gi = nhwc[i : i + n], g_nhwc[i : i + n]
                if n < size:
                    ai = torch.cat([ai, ai.new_zeros(size - n, *ai.shape[1:])])
                    gi = torch.cat([gi, gi.new_zeros(size - n, *gi.shape[1:])])
                r, s = fn(ai, gi, *layer.kernel_size, *layer.stride)
                grads[i : i + n], sq[i : i + n] = r[:n], s[:n]
    except Exception as err:  # no C++ compiler, or an Inductor failure: the matrix-product path still works
        set_enabled(False)
        warnings.warn(f"compiled per-example gradients unavailable ({type(err).__name__}: {err}); using the "
                      "matrix-product path (set DPROB_COMPILE=0 to skip this attempt)", RuntimeWarning, stacklevel=2)
        return None
    return grads, sq
