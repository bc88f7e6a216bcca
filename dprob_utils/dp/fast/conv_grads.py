"""Per-example weight gradients of a convolution, for book-keeping clipping
(:mod:`.bk_clipping`): which path each layer takes (kernel rows, the unfolded input, a grouped backward) and in
what chunks of examples, so that a chunk's per-example gradients stay small.
"""

from __future__ import annotations

import torch
from torch import nn

# Per-example weight gradients held per grouped-convolution chunk: about 4 MB, to stay in the CPU's cache while its
# norms are taken; small layers are capped at MAX_CONV_CHUNK examples.
CONV_CHUNK_FLOATS = 2**20


MAX_CONV_CHUNK = 256


CONV_CHUNK: int | None = None  # a fixed number of examples per chunk (tests), instead of the rule above


# Below this many output positions (and without dilation), unfolding the input (:func:`unfolded_grads`) is the
# faster way; with more, the unfolded copy no longer fits the cache.
UNFOLD_BELOW_POSITIONS = 64


def use_rows(layer: nn.Conv2d) -> bool:
    """Kernel-row products (:func:`kernel_row_grads`) for every convolution of more than one input channel
    without dilation; with one input channel each product is too thin and grouped convolutions stay faster."""
    return layer.in_channels > 1 and layer.dilation == (1, 1)


def kernel_row_grads(layer: nn.Conv2d, a: torch.Tensor, g: torch.Tensor) -> list[torch.Tensor]:
    """Per-example weight gradients of ``layer`` as one ``[B, out, in * kw]`` tensor per kernel row (``kh`` of
    them; entry ``[i, o, c * kw + j]`` of row ``r`` is example i's gradient of weight ``[o, c, r, j]``).

    The input ``a`` ``[B, in, H, W]`` is unfolded along the width only (``kw`` copies instead of the ``kh * kw``
    of a full unfold), channels-last. The inputs that kernel row ``r`` meets are then the image rows ``r, r + s,
    ...``: one batched matrix product over all output positions, ``g_i^T [out, T] @ [T, in * kw]``."""
    kh, kw = layer.kernel_size
    sh, sw = layer.stride
    ph, pw = layer.padding
    b, o, ho, wo = g.shape
    padded = nn.functional.pad(a, (pw, pw, ph, ph)) if ph or pw else a
    # [B, H, Wo, in, kw]: a view of NHWC memory, copied once into that order
    rows_in = padded.permute(0, 2, 3, 1).unfold(2, kw, sw)[:, :, :wo].contiguous()
    gt = g.permute(0, 2, 3, 1).reshape(b, ho * wo, o).transpose(1, 2)  # [B, out, T], no copy if channels-last
    return [torch.bmm(gt, rows_in[:, r : r + sh * (ho - 1) + 1 : sh].reshape(b, ho * wo, -1)) for r in range(kh)]


def by_rows(layer: nn.Conv2d, g: torch.Tensor) -> bool:
    """Whether ``layer`` takes kernel rows or grouped convolutions, i.e. neither the unfolded input nor the grouped
    backward weights; for :func:`per_example_blocks`: kernel rows (else one block in the unfolded layout)."""
    return not (use_unfold(layer, g) or use_grouped_backward(layer))


def per_example_blocks(layer: nn.Conv2d, a: torch.Tensor, g: torch.Tensor) -> list[torch.Tensor]:
    """Per-example weight gradients of ``layer`` as ``[B, out, K]`` blocks: one per kernel row
    (:func:`kernel_row_grads`), or a single one in :func:`unfolded_grads`'s layout."""
    if use_unfold(layer, g):
        return [unfolded_grads(layer, a, g)]
    if use_grouped_backward(layer):
        return [grouped_backward_grads(layer, a, g)]
    return kernel_row_grads(layer, a, g)


def weight_from_blocks(layer: nn.Conv2d, g: torch.Tensor, total: torch.Tensor) -> torch.Tensor:
    """``[out, in, kh, kw]`` from a sum over examples of :func:`per_example_blocks` (``[blocks, out, K]``)."""
    kh, kw = layer.kernel_size
    o, c = layer.out_channels, layer.in_channels
    if by_rows(layer, g):  # [kh, out, in * kw]
        return total.view(kh, o, c, kw).permute(1, 2, 0, 3).contiguous()
    return total.view(o, kh, kw, c).permute(0, 3, 1, 2).contiguous()  # [1, out, kh * kw * in]


def use_unfold(layer: nn.Conv2d, g: torch.Tensor) -> bool:
    return layer.dilation == (1, 1) and g.shape[2] * g.shape[3] < UNFOLD_BELOW_POSITIONS


def unfolded_grads(layer: nn.Conv2d, a: torch.Tensor, g: torch.Tensor) -> torch.Tensor:
    """Per-example weight gradients of ``layer`` (dilation 1), ``[B, out, kh * kw * in]`` (entry
    ``[i, o, (r * kw + j) * in + c]`` is example i's gradient of weight ``[o, c, r, j]``).

    The input ``a`` ``[B, in, H, W]`` is unfolded channels-last: the patch of output position ``(y, x)`` is the
    ``[kh, kw, in]`` block at ``(y * sh, x * sw)`` of the padded NHWC input, a strided view copied once into
    ``[B, T, kh * kw * in]``; then one batched matrix product ``g_i^T [out, T] @ [T, kh * kw * in]``. Unlike
    ``nn.functional.unfold`` (4x slower here) it needs no NCHW input."""
    kh, kw = layer.kernel_size
    sh, sw = layer.stride
    ph, pw = layer.padding
    b, o, ho, wo = g.shape
    nhwc = a.permute(0, 2, 3, 1)
    nhwc = (nn.functional.pad(nhwc, (0, 0, pw, pw, ph, ph)) if ph or pw else nhwc).contiguous()
    _, hp, wp, c = nhwc.shape
    patches = nhwc.as_strided((b, ho, wo, kh, kw, c), (hp * wp * c, sh * wp * c, sw * c, wp * c, c, 1))
    gt = g.permute(0, 2, 3, 1).reshape(b, ho * wo, o).transpose(1, 2)  # [B, out, T], no copy if channels-last
    return torch.bmm(gt, patches.reshape(b, ho * wo, kh * kw * c))


def use_grouped_backward(layer: nn.Conv2d) -> bool:
    """Strided convolutions of one input channel: oneDNN's backward-weights kernel for a convolution grouped by
    example takes the stride as it is, where :func:`grouped_chunks` dilates the output gradients by it; not for stride 1 nor for several input channels, where the other paths are faster."""
    return layer.in_channels == 1 and layer.stride != (1, 1)


def grouped_backward_grads(layer: nn.Conv2d, a: torch.Tensor, g: torch.Tensor) -> torch.Tensor:
    """Per-example weight gradients of ``layer`` in :func:`unfolded_grads`'s layout, ``[B, out, kh * kw * in]``,
    as the weight gradient of one convolution over a single image whose channels are the examples' channels,
    grouped by example (``groups = B``). Both tensors are laid out channels-last for oneDNN (``[H, W, B * in]``);
    in NCHW its grouped kernel is 2x slower."""
    b, o, ho, wo = g.shape
    c, h, w = a.shape[1:]
    kh, kw = layer.kernel_size
    cl = torch.channels_last
    a1 = a.permute(2, 3, 0, 1).reshape(h, w, b * c).permute(2, 0, 1).unsqueeze(0).contiguous(memory_format=cl)
    g1 = g.permute(2, 3, 0, 1).reshape(ho, wo, b * o).permute(2, 0, 1).unsqueeze(0).contiguous(memory_format=cl)
    weight = torch.empty(b * o, c, kh, kw, dtype=g.dtype, device=g.device).contiguous(memory_format=cl)
    _, gw, _ = torch.ops.aten.convolution_backward(
        g1, a1, weight, None, list(layer.stride), list(layer.padding), list(layer.dilation), False, [0, 0], b,
        [False, True, False])  # [B * out, in, kh, kw]
    return gw.permute(0, 2, 3, 1).reshape(b, o, kh * kw * c)


def conv_chunk(layer: nn.Conv2d) -> int:
    """Examples per grouped convolution, or per chunk of :func:`_fused_conv_clip`, for ``layer`` (a power of two,
    1 to :data:`MAX_CONV_CHUNK`)."""
    if CONV_CHUNK is not None:
        return CONV_CHUNK
    per_example = layer.weight.numel()
    return max(1, min(MAX_CONV_CHUNK, 1 << max(0, (CONV_CHUNK_FLOATS // per_example).bit_length() - 1)))


def grouped_chunks(layer: nn.Conv2d, a: torch.Tensor, g: torch.Tensor):
    """Yields ``(first example, [in, n, out, kh, kw] weight gradients of examples first .. first + n - 1)``.

    Each chunk is one grouped convolution (groups = examples) of the inputs with the output gradients as kernels
    (dilated by the layer's stride, stepped by its dilation)."""
    b, o = g.shape[:2]
    ph, pw = layer.padding
    padded = nn.functional.pad(a, (pw, pw, ph, ph)) if ph or pw else a
    kh, kw = layer.kernel_size
    chunk = conv_chunk(layer)
    for i in range(0, b, chunk):
        ai, gi = padded[i : i + chunk], g[i : i + chunk]
        n = ai.shape[0]
        res = nn.functional.conv2d(ai.transpose(0, 1), gi.reshape(n * o, 1, *g.shape[2:]), stride=layer.dilation,
                                   dilation=layer.stride, groups=n)  # [in, n*out, >= kh, >= kw]
        yield i, res[:, :, :kh, :kw].unflatten(1, (n, o))


def per_example_conv_weight_grad(layer: nn.Conv2d, a: torch.Tensor, g: torch.Tensor) -> torch.Tensor:
    """``[B, out, in, kh, kw]`` weight gradient of each example, from the layer input ``a`` ``[B, in, H, W]`` and
    output gradient ``g`` ``[B, out, Ho, Wo]``.

    Grouped convolutions over chunks of examples (:func:`conv_chunk`): on a CPU 1.5-3x faster than unfolding
    the input and a batched matrix product (Opacus's way), except for layers with few output positions, which
    use that way.
    """
    b, o = g.shape[:2]
    if not by_rows(layer, g):
        kh, kw = layer.kernel_size
        return per_example_blocks(layer, a, g)[0].view(b, o, kh, kw, -1).permute(0, 1, 4, 2, 3)
    out = torch.empty(b, *layer.weight.shape, dtype=g.dtype, device=g.device)
    for i, r in grouped_chunks(layer, a, g):
        out[i : i + r.shape[1]] = r.permute(1, 2, 0, 3, 4)
    return out
