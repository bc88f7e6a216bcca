"""The poolings of the book's models, computed on the CPU from shifted views of their input.

- :class:`AvgPool2x2Stride1` (paper 2's LeNet): PyTorch's CPU ``avg_pool2d`` takes 6x longer than three shifted
  additions on LeNet's first activation (six channels, channels-last), and its backward 3x longer on the NCHW
  gradient that ``nn.Flatten`` hands the second. The sums are formed in the order of PyTorch's own kernels, so
  both directions are bit-identical to ``nn.AvgPool2d(2, stride=1)``.
- :class:`ShiftedMaxPool2d` (paper 1's MNIST CNN and CIFAR-10 net, paper 2's custom CNN): where no gradient is
  needed, the maximum over shifted views of the input, first along the rows, then along the columns.

Both are tested bit-identical to PyTorch's layers (``tests/models/test_pooling.py``): no number of the book
depends on which one runs. ``python benchmarks/pooling.py`` times them side by side.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

# below this many channels the shifted backward beats aten's channels-last kernel (benchmarks/pooling.py)
_SHIFTED_BACKWARD_MAX_CHANNELS = 8


class _ShiftedAvgPool(torch.autograd.Function):
    @staticmethod
    def forward(x: torch.Tensor) -> torch.Tensor:
        # aten's kernel: acc = 0; acc += x[i, j]; acc += x[i, j + 1]; acc += x[i + 1, j]; acc += x[i + 1, j + 1]; / 4
        out = x[:, :, :-1, :-1] + x[:, :, :-1, 1:]
        out += x[:, :, 1:, :-1]
        out += x[:, :, 1:, 1:]
        return out.div_(4)

    @staticmethod
    def setup_context(ctx, inputs, output) -> None:
        ctx.save_for_backward(inputs[0])

    @staticmethod
    def backward(ctx, g: torch.Tensor) -> torch.Tensor:
        (x,) = ctx.saved_tensors
        # after nn.Flatten the gradient arrives NCHW, where aten's backward takes 3x as long as a copy to
        # channels-last and its channels-last kernel together
        g = g.contiguous(memory_format=torch.channels_last)
        if g.shape[1] > _SHIFTED_BACKWARD_MAX_CHANNELS:
            return torch.ops.aten.avg_pool2d_backward(g, x, [2, 2], [1, 1], [0, 0], False, True, None)
        # aten visits the outputs row by row, adding each one's g / 4 to the four inputs under it
        g = g / 4
        n, c, h, w = g.shape
        gi = g.new_zeros((n, h + 1, w + 1, c)).permute(0, 3, 1, 2)  # channels-last, like x
        gi[:, :, 1:, 1:] += g
        gi[:, :, 1:, :-1] += g
        gi[:, :, :-1, 1:] += g
        gi[:, :, :-1, :-1] += g
        return gi


class AvgPool2x2Stride1(nn.AvgPool2d):
    """``nn.AvgPool2d(2, stride=1)`` (same values, same state dict), faster on channels-last CPU tensors
    ``[N, C, H, W]`` -> ``[N, C, H - 1, W - 1]``; elsewhere (GPU, NCHW, inside torch.func) it is PyTorch's."""

    def __init__(self) -> None:
        super().__init__(2, stride=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if (x.device.type == "cpu" and x.dim() == 4 and x.is_contiguous(memory_format=torch.channels_last)
                and not torch._C._are_functorch_transforms_active()):
            return _ShiftedAvgPool.apply(x)
        return F.avg_pool2d(x, 2, 1)


def _strided_max(x: torch.Tensor, dim: int, k: int, stride: int) -> torch.Tensor:
    """Max over windows of ``k`` along ``dim`` (2 or 3) of ``x`` with ``stride``, no padding (floor mode)."""
    n = (x.shape[dim] - k) // stride + 1
    span = stride * (n - 1) + 1
    out = x.narrow(dim, 0, span)[(slice(None),) * dim + (slice(None, None, stride),)]
    for d in range(1, k):
        out = torch.maximum(out, x.narrow(dim, d, span)[(slice(None),) * dim + (slice(None, None, stride),)])
    return out


class ShiftedMaxPool2d(nn.MaxPool2d):
    """``nn.MaxPool2d(kernel_size, stride)`` without padding (same values, same state dict). Where no gradient is
    needed (the Boundary attack, evaluation, MNIST-C, the cross-sections, CIFAR-10 features) on the CPU, it
    takes the maximum over the window's rows, then over its columns, from shifted views: 1.2-4x faster than
    aten's channels-last kernel (which also writes every window's index) and 6x faster than its NCHW one on the
    CIFAR-10 net's 3 x 3 windows. A maximum is exact, so the values are bit-identical (tested). With a gradient
    it is PyTorch's."""

    def __init__(self, kernel_size: int, stride: int) -> None:
        super().__init__(kernel_size, stride=stride)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if (x.device.type == "cpu" and x.dim() == 4 and not (torch.is_grad_enabled() and x.requires_grad)
                and not torch._C._are_functorch_transforms_active()):
            rows = _strided_max(x, 2, self.kernel_size, self.stride)
            return _strided_max(rows, 3, self.kernel_size, self.stride)
        return super().forward(x)


def with_pytorch_poolings(model: nn.Module) -> nn.Module:
    """``model`` with each of this module's poolings replaced, in place, by PyTorch's own layer of the same
    window: the reference the tests and ``benchmarks/pooling.py`` compare against."""
    for name, layer in list(model.named_modules()):
        parent, _, attr = name.rpartition(".")
        if isinstance(layer, AvgPool2x2Stride1):
            setattr(model.get_submodule(parent), attr, nn.AvgPool2d(2, stride=1))
        elif isinstance(layer, ShiftedMaxPool2d):
            setattr(model.get_submodule(parent), attr, nn.MaxPool2d(layer.kernel_size, stride=layer.stride))
    return model
