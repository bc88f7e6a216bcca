"""DP-SGD correctness against a slow reference, and the training entry point."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from dprob_utils.config import versions
from dprob_utils.config.errors import ConfigError
from dprob_utils.config.training import TrainConfig
from dprob_utils.dp.training import fit, make_private, train


def _tiny_model(seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(4 * 3 * 3, 10))


def _batch(n: int = 12, seed: int = 1):
    g = torch.Generator().manual_seed(seed)
    return torch.rand(n, 1, 8, 8, generator=g), torch.randint(0, 10, (n,), generator=g)


def _reference_clipped_sum(model: nn.Module, x, y, clip: float) -> list[torch.Tensor]:
    """Slow reference: one example at a time, clip its whole gradient to L2 norm ``clip``, sum."""
    total = [torch.zeros_like(p) for p in model.parameters()]
    for i in range(len(y)):
        model.zero_grad()
        nn.functional.cross_entropy(model(x[i : i + 1]), y[i : i + 1]).backward()
        grads = [p.grad.detach().clone() for p in model.parameters()]
        norm = torch.sqrt(sum((g**2).sum() for g in grads))
        factor = min(1.0, clip / (float(norm) + 1e-6))
        total = [t + g * factor for t, g in zip(total, grads, strict=True)]
    return total


def _dp_update(mode: str, sigma: float, clip: float, grad_sample_mode: str, x, y, seed: int = 0):
    """Parameter change of one DP-SGD step with lr = 1 on the tiny model: equals (clipped sum + noise) / b."""
    model = _tiny_model()
    before = [p.detach().clone() for p in model.parameters()]
    cfg = TrainConfig(arch="p2_custom", mode=mode, sigma=sigma, clip=clip, lr=1.0, batch_size=len(y))
    opt = torch.optim.SGD(model.parameters(), lr=1.0)
    module, dp_opt, crit = make_private(model, opt, cfg, torch.Generator().manual_seed(seed), grad_sample_mode)
    dp_opt.zero_grad()
    crit(module(x), y).backward()
    dp_opt.step()
    return [b - p.detach() for b, p in zip(before, model.parameters(), strict=True)]


@pytest.mark.parametrize("grad_sample_mode", ["bk", "ghost", "hooks"])
@pytest.mark.parametrize("clip", [0.05, 0.5, 100.0])
def test_clipping_matches_one_example_at_a_time_reference(grad_sample_mode, clip):
    x, y = _batch()
    update = _dp_update("dpsgd", 0.0, clip, grad_sample_mode, x, y)
    ref = _reference_clipped_sum(_tiny_model(), x, y, clip)
    for u, r in zip(update, ref, strict=True):
        torch.testing.assert_close(u, r / len(y), atol=1e-6, rtol=1e-4)


def test_small_clip_actually_clips():
    """With C far below the gradient norms the update norm is at most C (mean of vectors of norm <= C)."""
    x, y = _batch()
    update = _dp_update("dpsgd", 0.0, 1e-3, "ghost", x, y)
    norm = torch.sqrt(sum((u**2).sum() for u in update))
    assert norm <= 1e-3 + 1e-7
    unclipped = _reference_clipped_sum(_tiny_model(), x, y, 1e9)
    assert torch.sqrt(sum((g**2).sum() for g in unclipped)) / len(y) > 10 * 1e-3


@pytest.mark.parametrize(("mode", "sigma", "clip", "expected_std"), [
    ("dpsgd", 1.3, 0.5, 1.3 * 0.5),            # N(0, sigma^2 C^2 I)
    ("dpsgd", 2.0, 3.0, 2.0 * 3.0),
    ("dpsgd-fixed-noise", 1.3, 0.5, 1.3),      # N(0, sigma^2 I), independent of C
    ("dpsgd-fixed-noise", 1.3, 3.0, 1.3),
])
@pytest.mark.parametrize("grad_sample_mode", ["bk", "ghost", "hooks"])
def test_noise_std_is_calibrated(mode, sigma, clip, expected_std, grad_sample_mode):
    x, y = _batch(n=16)
    update = _dp_update(mode, sigma, clip, grad_sample_mode, x, y, seed=3)
    ref = _reference_clipped_sum(_tiny_model(), x, y, clip)
    noise = torch.cat([(u * len(y) - r).flatten() for u, r in zip(update, ref, strict=True)])
    assert noise.numel() > 400
    assert abs(float(noise.mean())) < 0.2 * expected_std
    assert float(noise.std()) == pytest.approx(expected_std, rel=0.12)


def test_fit_trains_only_unfrozen_parameters_and_reports_steps():
    model = _tiny_model()
    model[0].weight.requires_grad_(False)
    frozen = model[0].weight.detach().clone()
    x, y = _batch(n=64)
    cfg = TrainConfig(arch="p2_custom", mode="dpsgd", sigma=1.0, clip=1.0, lr=0.1, batch_size=16, epochs=2)
    steps, seconds, history = fit(model, x, y, cfg, progress=False)
    assert steps == 8 and seconds > 0 and len(history) == 2
    assert torch.equal(model[0].weight, frozen)
    assert not hasattr(model[4].weight, "grad_sample") or model[4].weight.grad_sample is None


def test_fit_is_deterministic_for_a_seed():
    x, y = _batch(n=64)
    cfg = TrainConfig(arch="p2_custom", mode="dpsgd", sigma=1.0, clip=1.0, lr=0.1, batch_size=16, epochs=1, seed=5)
    a, b = _tiny_model(), _tiny_model()
    fit(a, x, y, cfg, progress=False)
    fit(b, x, y, cfg, progress=False)
    for pa, pb in zip(a.parameters(), b.parameters(), strict=True):
        assert torch.equal(pa, pb)


@pytest.mark.parametrize("kwargs", [
    {"arch": "nope"}, {"arch": "p2_custom", "sigma": -0.1}, {"arch": "p2_custom", "clip": 0.0},
    {"arch": "p2_custom", "epochs": 0}, {"arch": "p2_custom", "mode": "adam"}, {"arch": "p2_custom", "lr": 0},
    {"arch": "p2_custom", "lr_schedule": "cosine"},
])
def test_bad_config_raises_config_error(kwargs):
    with pytest.raises(ConfigError):
        TrainConfig(**kwargs)


def test_sgd_key_ignores_sigma_and_clip_but_dp_key_does_not():
    a = TrainConfig(arch="p2_custom", mode="sgd", sigma=0.0, clip=1.0)
    b = TrainConfig(arch="p2_custom", mode="sgd", sigma=5.0, clip=3.0)
    assert a.key() == b.key()
    c = TrainConfig(arch="p2_custom", mode="dpsgd", sigma=1.3, clip=1.0)
    d = TrainConfig(arch="p2_custom", mode="dpsgd", sigma=1.3, clip=1.2)
    assert c.key() != d.key() and c.key() != a.key()


def test_fixed_noise_key_is_the_dp_sgd_model_it_equals():
    """Noise N(0, sigma^2 I) at bound C is DP-SGD with multiplier sigma / C: one model, one key."""
    fixed = TrainConfig(arch="p2_custom", mode="dpsgd-fixed-noise", sigma=1.3, clip=1.0)
    assert fixed.key() == TrainConfig(arch="p2_custom", mode="dpsgd", sigma=1.3, clip=1.0).key()
    fixed3 = TrainConfig(arch="p2_custom", mode="dpsgd-fixed-noise", sigma=1.3, clip=3.0)
    assert fixed3.key() == TrainConfig(arch="p2_custom", mode="dpsgd", sigma=1.3 / 3.0, clip=3.0).key()
    assert fixed3.key() != TrainConfig(arch="p2_custom", mode="dpsgd", sigma=1.3, clip=3.0).key()


def test_fixed_noise_model_equals_its_dp_sgd_model():
    x, y = _batch(n=64)
    cfgs = [TrainConfig(arch="p2_custom", mode=m, sigma=s, clip=2.0, lr=0.1, batch_size=16, epochs=1, seed=5)
            for m, s in (("dpsgd-fixed-noise", 1.3), ("dpsgd", 1.3 / 2.0), ("dpsgd", 1.3))]
    models = [_tiny_model() for _ in cfgs]
    for model, cfg in zip(models, cfgs, strict=True):
        fit(model, x, y, cfg, progress=False)
    same = [torch.equal(a, b) for a, b in zip(models[0].parameters(), models[1].parameters(), strict=True)]
    other = [torch.equal(a, b) for a, b in zip(models[0].parameters(), models[2].parameters(), strict=True)]
    assert all(same) and not all(other)


@pytest.mark.parametrize("mode", ["sgd", "dpsgd"])
def test_linear_schedule_decays_every_step_to_zero(mode, monkeypatch):
    seen = []
    step = torch.optim.SGD.step

    def spy(self, *args, **kwargs):
        seen.append(self.param_groups[0]["lr"])
        return step(self, *args, **kwargs)

    monkeypatch.setattr(torch.optim.SGD, "step", spy)
    x, y = _batch(n=64)
    cfg = TrainConfig(arch="p2_custom", mode=mode, sigma=1.0, lr=0.4, batch_size=16, epochs=2, lr_schedule="linear")
    steps, _, _ = fit(_tiny_model(), x, y, cfg, progress=False)
    # Poisson sampling may draw an empty batch (no optimizer step), so compare the steps that ran
    expected = [0.4 * (1 - t / steps) for t in range(steps)]
    assert steps == 8 and len(seen) >= 6 and all(any(abs(v - e) < 1e-12 for e in expected) for v in seen)
    assert seen == sorted(seen, reverse=True) and seen[0] == 0.4
    if mode == "sgd":
        assert seen == pytest.approx(expected, abs=1e-12)
    seen.clear()
    fit(_tiny_model(), x, y, TrainConfig(arch="p2_custom", mode=mode, sigma=1.0, lr=0.4, batch_size=16, epochs=2),
        progress=False)
    assert set(seen) == {0.4}


def test_constant_schedule_keeps_the_key_a_schedule_changes_it():
    cfg = TrainConfig(arch="p2_custom", mode="dpsgd", sigma=1.3)
    assert "lr_schedule" not in cfg.canonical()
    assert TrainConfig(arch="p2_custom", mode="dpsgd", sigma=1.3, lr_schedule="linear").key() != cfg.key()


def test_noise_stream_version_keys_private_models_only(monkeypatch):

    sgd, dp = TrainConfig(arch="p2_custom", mode="sgd"), TrainConfig(arch="p2_custom", mode="dpsgd", sigma=1.0)
    keys = sgd.key(), dp.key()
    monkeypatch.setattr(versions, "NOISE_STREAM_VERSION", versions.NOISE_STREAM_VERSION + 1)
    assert sgd.key() == keys[0] and dp.key() != keys[1]


def test_diverged_training_is_flagged():
    from dprob_utils.dp.training import DivergedWarning

    cfg = TrainConfig(arch="p2_custom", lr=1e4, batch_size=64, epochs=1, train_subset=640)
    with pytest.warns(DivergedWarning, match="diverged"):
        _, res = train(cfg, progress=False)
    assert res.accuracy <= 0.2


@pytest.mark.filterwarnings("ignore::dprob_utils.dp.training.DivergedWarning")  # 64 images: too few to learn
@pytest.mark.parametrize("compiled", [True, False])
def test_result_records_whether_compiled_kernels_trained_a_private_model(compiled, monkeypatch):
    from dprob_utils.dp.fast import compiled_grads

    monkeypatch.setitem(compiled_grads._state, "enabled", compiled)
    private = TrainConfig(arch="p2_lenet", mode="dpsgd", sigma=1.0, clip=1.0, batch_size=32, epochs=1,
                          train_subset=64)
    _, res = train(private, progress=False, device="cpu")
    assert res.compiled_kernels is compiled
    _, res = train(TrainConfig(arch="p2_lenet", batch_size=32, epochs=1, train_subset=64), progress=False,
                   device="cpu")
    assert res.compiled_kernels is None  # SGD
