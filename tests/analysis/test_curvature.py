"""The input Hessian (paper 1 eq. (7)) from torch.func equals finite differences of the gradient on a small
smooth model, equals the Gauss-Newton form on a ReLU / max-pool CNN, does not depend on the chunking, and its
top eigenvalues match a dense symmetric eigensolver."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from dprob_utils.analysis import curvature


def smooth_model() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Flatten(), nn.Linear(12, 8), nn.Tanh(), nn.Linear(8, 8), nn.Softplus(),
                         nn.Linear(8, 4)).double().eval()


def relu_cnn(channels: int = 1) -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(channels, 4, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                         nn.LazyLinear(6)).double().eval()


def fd_hessian(model: nn.Module, x1: torch.Tensor, label: int, h: float = 1e-5) -> torch.Tensor:
    """Central finite differences of the autograd gradient, one input coordinate at a time."""

    def grad(z):
        z = z.detach().clone().requires_grad_(True)
        loss = nn.functional.cross_entropy(model(z.unsqueeze(0)), torch.tensor([label]))
        return torch.autograd.grad(loss, z)[0].flatten()

    d = x1.numel()
    cols = []
    for i in range(d):
        e = torch.zeros(d, dtype=x1.dtype)
        e[i] = h
        e = e.reshape(x1.shape)
        cols.append((grad(x1 + e) - grad(x1 - e)) / (2 * h))
    return torch.stack(cols, dim=1)


def test_hessian_matches_finite_differences():
    model = smooth_model()
    gen = torch.Generator().manual_seed(3)
    x = torch.rand(3, 1, 3, 4, generator=gen, dtype=torch.float64)
    y = torch.tensor([0, 2, 3])
    hs = curvature.input_hessian(model, x, y)
    assert hs.shape == (3, 12, 12)
    for i in range(3):
        ref = fd_hessian(model, x[i], int(y[i]))
        assert torch.allclose(hs[i], ref, rtol=1e-6, atol=1e-8)
        assert torch.allclose(hs[i], hs[i].T)
    single = curvature.input_hessian(model, x[1], y[1])
    assert single.shape == (12, 12) and torch.allclose(single, hs[1])


def test_hessian_equals_gauss_newton_on_relu_cnn():
    model = relu_cnn()
    x = torch.rand(2, 1, 8, 8, dtype=torch.float64)
    model(x)  # materialise the lazy layer
    y = torch.tensor([1, 4])
    exact = curvature.input_hessian(model, x, y)
    gn = curvature.gauss_newton_hessian(model, x, y)
    assert torch.allclose(exact, gn, atol=1e-12)
    # rank <= K - 1: all but the largest K - 1 eigenvalues vanish
    ev = torch.linalg.eigvalsh(exact[0])
    k = 6
    assert float(ev.abs().sort(descending=True).values[k - 1 :].max()) < 1e-10 * float(ev.abs().max())
    assert float(ev.min()) > -1e-10 * float(ev.abs().max())  # positive semi-definite


def test_chunking_does_not_change_the_hessian():
    model = relu_cnn(channels=3)
    x = torch.rand(1, 3, 10, 10, dtype=torch.float64)
    model(x)
    y = torch.tensor([2])
    full = curvature.input_hessian(model, x, y, chunk_size=None)
    chunked = curvature.input_hessian(model, x, y, chunk_size=7)
    assert full.shape == (1, 300, 300)
    assert torch.allclose(full, chunked, atol=1e-13)


def test_top_eigenvalues_match_dense_solver():
    model = smooth_model()
    x = torch.rand(4, 1, 3, 4, dtype=torch.float64)
    y = torch.tensor([0, 1, 2, 3])
    top = curvature.top_eigenvalues(model, x, y, k=5)
    assert top.shape == (4, 5) and top.dtype == torch.float64
    for i in range(4):
        h = curvature.input_hessian(model, x[i], y[i]).numpy()
        ev = np.linalg.eigvalsh(h)
        ref = ev[np.argsort(-np.abs(ev))][:5]
        assert np.allclose(top[i].numpy(), ref, atol=1e-10)
        assert (np.diff(np.abs(top[i].numpy())) <= 1e-12).all()  # sorted by decreasing magnitude
    assert curvature.mean_profile(top)[0] == pytest.approx(float(top[:, 0].abs().mean()))
    assert curvature.largest_ratio(top, 2 * top) == pytest.approx(2.0)


def test_gauss_newton_method_agrees_on_relu_cnn():
    model = relu_cnn()
    x = torch.rand(3, 1, 8, 8, dtype=torch.float64)
    model(x)
    y = torch.tensor([0, 1, 5])
    a = curvature.top_eigenvalues(model, x, y, k=5, method="exact")
    b = curvature.top_eigenvalues(model, x, y, k=5, method="gauss-newton")
    assert torch.allclose(a, b, atol=1e-12)


def test_cifar_sized_hessian_is_chunked_within_budget():
    """A 3x32x32 input: the automatic chunk keeps one chunk under the memory budget, and the chunked exact
    Hessian (3072 x 3072) agrees with the Gauss-Newton form."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(3, 2, 3, padding=1), nn.ReLU(), nn.MaxPool2d(4), nn.Flatten(),
                          nn.Linear(2 * 8 * 8, 10)).eval()
    x = torch.rand(1, 3, 32, 32)
    y = torch.tensor([3])
    budget = 64 * 1024**2
    cs = curvature.auto_chunk_size(model, x[0], memory_budget=budget)
    assert 1 <= cs < 3072
    h = curvature.input_hessian(model, x, y, memory_budget=budget)
    assert h.shape == (1, 3072, 3072)
    gn = curvature.gauss_newton_hessian(model, x, y)
    assert torch.allclose(h, gn, atol=1e-6 * float(gn.abs().max()))
