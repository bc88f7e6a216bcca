"""The compiled per-example convolution kernel against one-example autograd, its chunking and its fallback."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import torch
from torch import nn

from dprob_utils.dp.fast import compiled_grads
from dprob_utils.dp.fast.bk_clipping import BookKeepingClipper


def _per_example_autograd(conv: nn.Conv2d, a: torch.Tensor, g: torch.Tensor) -> torch.Tensor:
    """``[B, out, in, kh, kw]``, one example at a time."""
    return torch.stack([torch.autograd.grad(conv(a[i : i + 1]), conv.weight, g[i : i + 1])[0]
                        for i in range(a.shape[0])])


@pytest.mark.parametrize(("b", "expected"), [
    (0, []),
    (5, [(0, 5, 8)]),
    (64, [(0, 64, 64)]),
    (77, [(0, 64, 64), (64, 8, 8), (72, 5, 8)]),
    (250, [(0, 64, 64), (64, 64, 64), (128, 64, 64), (192, 32, 32), (224, 16, 16), (240, 8, 8), (248, 2, 8)]),
])
def test_chunks_cover_the_batch_with_fixed_sizes(b, expected):
    chunks = compiled_grads._chunks(b)
    assert chunks == expected
    assert sum(n for _, n, _ in chunks) == b and all(size in compiled_grads.CHUNK_SIZES for *_, size in chunks)


@pytest.mark.parametrize(("conv", "size", "fmt"), [
    (nn.Conv2d(1, 16, 8, stride=2, padding=3), 28, torch.contiguous_format),  # the custom CNN's first layer
    (nn.Conv2d(16, 32, 4, stride=2), 13, torch.channels_last),                # its second
    (nn.Conv2d(3, 4, (3, 2), stride=(2, 1), padding=(1, 2)), 9, torch.contiguous_format),
    (nn.Conv2d(2, 5, 3, padding=1), 7, torch.channels_last),
])
def test_matches_one_example_autograd(conv, size, fmt):
    torch.manual_seed(0)
    a = torch.rand(13, conv.in_channels, size, size).to(memory_format=fmt)  # 8 + 5 (padded to 8)
    g = torch.randn_like(conv(a))
    assert compiled_grads.applies(conv, g)
    grads, sq = compiled_grads.conv_grads_and_norms(conv, a, g)
    ref = _per_example_autograd(conv, a, g)  # [B, out, in, kh, kw]
    torch.testing.assert_close(grads.permute(0, 4, 1, 2, 3), ref, rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(sq, ref.pow(2).sum((1, 2, 3, 4)), rtol=1e-4, atol=1e-6)
    assert compiled_grads.enabled()  # it ran compiled, not through the fallback


def test_applies_only_to_small_undilated_cpu_convolutions(monkeypatch):
    g = torch.zeros(1, 1, 5, 5)
    assert compiled_grads.applies(nn.Conv2d(16, 32, 4), g)  # 8,192 weights
    assert not compiled_grads.applies(nn.Conv2d(20, 50, 5), g)  # paper 1's second convolution, 25,000
    assert not compiled_grads.applies(nn.Conv2d(1, 4, 3, dilation=2), g)
    monkeypatch.setitem(compiled_grads._state, "enabled", False)
    assert not compiled_grads.applies(nn.Conv2d(16, 32, 4), g)


def test_a_failed_compile_warns_and_the_clipper_falls_back(monkeypatch):
    def broken(*args):
        raise RuntimeError("no C++ compiler")

    monkeypatch.setitem(compiled_grads._state, "fn", broken)
    monkeypatch.setitem(compiled_grads._state, "enabled", True)
    torch.manual_seed(1)
    model = nn.Sequential(nn.Conv2d(2, 3, 3), nn.Flatten(), nn.LazyLinear(2))  # 64 positions: kernel rows
    x, y = torch.rand(4, 2, 10, 10), torch.randint(0, 2, (4,))
    model(x)
    ref = [torch.autograd.grad(nn.functional.cross_entropy(model(x[i : i + 1]), y[i : i + 1]), model[0].weight)[0]
           for i in range(4)]
    clipper = BookKeepingClipper(model, 1e6)  # no clipping: the sum of the per-example gradients
    with pytest.warns(RuntimeWarning, match="no C\\+\\+ compiler"):
        clipper.backward(nn.functional.cross_entropy(model(x), y, reduction="none"))
    clipper.close()
    assert not compiled_grads.enabled()
    torch.testing.assert_close(model[0].weight.grad, sum(ref), rtol=1e-4, atol=1e-6)


def test_environment_variable_switches_it_off():
    env = dict(os.environ, DPROB_COMPILE="0")
    out = subprocess.run([sys.executable, "-c", "from dprob_utils.dp.fast import compiled_grads as c; print(c.enabled())"],
                         env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_every_chunk_size_is_compiled_at_a_layers_first_batch(monkeypatch):
    calls = []
    fn = compiled_grads._compiled()

    def counting(a, g, *args):
        calls.append(a.shape[0])
        return fn(a, g, *args)

    monkeypatch.setitem(compiled_grads._state, "fn", counting)
    monkeypatch.setattr(compiled_grads, "_warm", set())
    conv = nn.Conv2d(2, 3, 3)
    a = torch.rand(5, 2, 10, 10)
    g = torch.randn_like(conv(a))
    compiled_grads.conv_grads_and_norms(conv, a, g)
    assert calls == [*compiled_grads.CHUNK_SIZES, 8]  # each size once, then the batch (5, padded to 8)
    compiled_grads.conv_grads_and_norms(conv, a, g)
    assert calls[len(compiled_grads.CHUNK_SIZES) + 1 :] == [8]
