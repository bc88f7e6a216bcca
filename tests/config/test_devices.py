"""Device selection for training: DPROB_DEVICE, clear errors, and CPU training unchanged by the device option."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from dprob_utils.config.devices import training_device
from dprob_utils.config.errors import ConfigError
from dprob_utils.config.training import TrainConfig
from dprob_utils.dp.training import fit


def test_default_is_cuda_only_when_visible(monkeypatch):
    monkeypatch.delenv("DPROB_DEVICE", raising=False)
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert training_device().type == expected


def test_environment_names_the_device(monkeypatch):
    monkeypatch.setenv("DPROB_DEVICE", "cpu")
    assert training_device() == torch.device("cpu")
    assert training_device("cpu") == torch.device("cpu")


@pytest.mark.parametrize("name", ["gpu0", "mps", "cuda:99"])
def test_bad_or_missing_device_is_a_config_error(name):
    with pytest.raises(ConfigError):
        training_device(name)


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the error on a machine without a GPU")
def test_cuda_without_gpu_is_a_config_error(monkeypatch):
    monkeypatch.setenv("DPROB_DEVICE", "cuda")
    with pytest.raises(ConfigError, match="sees no GPU"):
        training_device()


def _run(device):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(16, 10))
    g = torch.Generator().manual_seed(3)
    x, y = torch.rand(64, 1, 4, 4, generator=g), torch.randint(0, 10, (64,), generator=g)
    cfg = TrainConfig(arch="p2_custom", mode="dpsgd", sigma=1.0, clip=1.0, lr=0.5, batch_size=16, epochs=2)
    steps, _, history = fit(model, x, y, cfg, progress=False, device=device)
    return [p.detach().clone() for p in model.parameters()], steps, history


def test_device_none_and_cpu_train_the_same_model(monkeypatch):
    monkeypatch.setenv("DPROB_DEVICE", "cpu")
    a, steps_a, hist_a = _run("cpu")
    b, steps_b, hist_b = _run(None)
    assert steps_a == steps_b == 8
    assert all(torch.equal(p, q) for p, q in zip(a, b, strict=True))
    assert hist_a == hist_b and all(isinstance(h["loss"], float) for h in hist_a)
