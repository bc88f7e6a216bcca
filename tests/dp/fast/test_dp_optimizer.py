"""The noise of the book-keeping DP optimizer: calibrated, independent chunks, reproducible for any thread count."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from dprob_utils.config.training import TrainConfig
from dprob_utils.dp.fast.dp_optimizer import CHUNKED_NOISE_FROM, NOISE_CHUNKS, gaussian_noise
from dprob_utils.dp.training import make_private

N = 3 * CHUNKED_NOISE_FROM


def test_chunked_noise_is_standard_normal_times_std():
    noise = gaussian_noise(N, 2.5, torch.Generator().manual_seed(0))
    assert noise.shape == (N,) and noise.dtype == torch.float32
    assert abs(float(noise.mean())) < 0.03  # 3.3 standard errors of the mean at n = 196,608
    assert float(noise.std()) == pytest.approx(2.5, rel=0.01)
    # the tails of a normal, not of a uniform: P(|z| > 3) = 0.27%
    assert float((noise.abs() > 3 * 2.5).float().mean()) == pytest.approx(0.0027, rel=0.25)


def test_chunks_are_independent_streams():
    noise = gaussian_noise(N, 1.0, torch.Generator().manual_seed(0))
    halves = noise[: N // NOISE_CHUNKS], noise[N // NOISE_CHUNKS : 2 * (N // NOISE_CHUNKS)]
    assert not torch.equal(halves[0], halves[1])
    corr = torch.corrcoef(torch.stack(halves))[0, 1]
    assert abs(float(corr)) < 0.02


def test_noise_is_reproducible_and_independent_of_thread_count():
    threads = torch.get_num_threads()
    try:
        torch.set_num_threads(2)
        a = gaussian_noise(N, 1.0, torch.Generator().manual_seed(7))
        torch.set_num_threads(1)
        b = gaussian_noise(N, 1.0, torch.Generator().manual_seed(7))
    finally:
        torch.set_num_threads(threads)
    assert torch.equal(a, b)
    gen = torch.Generator().manual_seed(7)
    first, second = gaussian_noise(N, 1.0, gen), gaussian_noise(N, 1.0, gen)
    assert torch.equal(first, a) and not torch.equal(first, second)


def test_small_noise_is_one_call_on_the_generator():
    a = gaussian_noise(100, 1.5, torch.Generator().manual_seed(3))
    b = torch.empty(100).normal_(0.0, 1.5, generator=torch.Generator().manual_seed(3))
    assert torch.equal(a, b)


def _step(model: nn.Module, sigma: float, clip: float, grad_sample_mode: str, x, y) -> list[torch.Tensor]:
    before = [p.detach().clone() for p in model.parameters()]
    cfg = TrainConfig(arch="p2_custom", mode="dpsgd", sigma=sigma, clip=clip, lr=1.0, batch_size=len(y))
    module, opt, crit = make_private(model, torch.optim.SGD(model.parameters(), lr=1.0), cfg,
                                     torch.Generator().manual_seed(0), grad_sample_mode)
    opt.zero_grad()
    crit(module(x), y).backward()
    opt.step()
    return [b - p.detach() for b, p in zip(before, model.parameters(), strict=True)]


def test_bk_optimizer_adds_calibrated_noise_to_opacus_clipped_sum():
    """A model with more weights than CHUNKED_NOISE_FROM: the bk update minus Opacus's noise-free ghost update
    is noise of std sigma * C / b, the same for every parameter."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(64, 1500), nn.ReLU(), nn.Linear(1500, 10))
    assert sum(p.numel() for p in model.parameters()) > CHUNKED_NOISE_FROM
    x, y = torch.rand(8, 1, 8, 8), torch.randint(0, 10, (8,))
    state = {k: v.clone() for k, v in model.state_dict().items()}
    noisy = _step(model, 1.3, 0.5, "bk", x, y)
    model.load_state_dict(state)
    clean = _step(model, 0.0, 0.5, "ghost", x, y)
    for u, c in zip(noisy, clean, strict=True):
        noise = (u - c) * len(y)
        if noise.numel() > 1000:
            assert float(noise.std()) == pytest.approx(1.3 * 0.5, rel=0.03)
            assert abs(float(noise.mean())) < 4 * 1.3 * 0.5 / noise.numel() ** 0.5  # 4 standard errors


def test_bk_optimizer_does_not_copy_the_clipped_sum():
    """accumulate() takes the clipper's fresh gradient tensor instead of a deep copy."""
    model = nn.Sequential(nn.Flatten(), nn.Linear(4, 3))
    cfg = TrainConfig(arch="p2_custom", mode="dpsgd", sigma=0.0, clip=1.0, lr=1.0, batch_size=2)
    _, opt, crit = make_private(model, torch.optim.SGD(model.parameters(), lr=1.0), cfg,
                                torch.Generator().manual_seed(0), "bk")
    opt.zero_grad()
    crit(model(torch.rand(2, 1, 2, 2)), torch.tensor([0, 1])).backward()
    grads = [p.grad for p in model.parameters()]
    opt.accumulate()
    assert all(p.summed_grad is g for p, g in zip(model.parameters(), grads, strict=True))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_noise_on_a_gpu_is_one_draw_on_its_generator():
    gen = torch.Generator(device="cuda").manual_seed(0)
    noise = gaussian_noise(N, 2.0, gen, "cuda")
    assert noise.device.type == "cuda"
    assert float(noise.std()) == pytest.approx(2.0, rel=0.01)
    expected = torch.empty(N, device="cuda").normal_(0.0, 2.0, generator=torch.Generator(device="cuda").manual_seed(0))
    assert torch.equal(noise, expected)
