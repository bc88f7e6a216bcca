"""Paper 2 LeNet's 2 x 2 average pooling with stride 1, computed on the CPU as three shifted additions.

PyTorch's CPU ``avg_pool2d`` takes 6x longer than this on LeNet's first activation (six channels, channels-last),
and its backward 3x longer on the NCHW gradient that ``nn.Flatten`` hands the second (``benchmarks/avg_pool.py``). The sums are formed in the order of PyTorch's own kernels, so both directions are
bit-identical to ``nn.AvgPool2d(2, stride=1)`` (tested): no number of the book depends on which one runs.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

# below this many channels the shifted backward beats aten's channels-last kernel (benchmarks/avg_pool.py)
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


def _windows(x: torch.Tensor, stride: int) -> tuple[torch.Tensor, ...]:
    """The four corners of every 2 x 2 window of ``x`` ``[N, C, H, W]`` (stride 1 or 2), in aten's scan order."""
    if stride == 2:
        h, w = x.shape[2] // 2 * 2, x.shape[3] // 2 * 2
        return x[:, :, 0:h:2, 0:w:2], x[:, :, 0:h:2, 1:w:2], x[:, :, 1:h:2, 0:w:2], x[:, :, 1:h:2, 1:w:2]
    return x[:, :, :-1, :-1], x[:, :, :-1, 1:], x[:, :, 1:, :-1], x[:, :, 1:, 1:]


class MaxPool2x2(nn.MaxPool2d):
    """``nn.MaxPool2d(2, stride)`` for stride 1 or 2 (same values, same state dict). Where no gradient is needed
    (the Boundary attack, evaluation, MNIST-C, the cross-sections) on a channels-last CPU tensor, it takes the
    maximum of the four shifted corners (2-4x faster than aten's kernel, which also writes every window's index);
    the maximum is exact, so the values are bit-identical (tested). With a gradient it is PyTorch's."""

    def __init__(self, stride: int = 2) -> None:
        if stride not in (1, 2):
            raise ValueError(f"MaxPool2x2 takes stride 1 or 2, got {stride}")
        super().__init__(2, stride=stride)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if (x.device.type == "cpu" and x.dim() == 4 and x.is_contiguous(memory_format=torch.channels_last)
                and not (torch.is_grad_enabled() and x.requires_grad)
                and not torch._C._are_functorch_transforms_active()):
            a, b, c, d = _windows(x, self.stride)
            return torch.maximum(torch.maximum(torch.maximum(a, b), c), d)
        return super().forward(x)
