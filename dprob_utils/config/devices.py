"""Which device trains the models: ``DPROB_DEVICE`` (``cpu``, ``cuda``, ``cuda:1``, ...), else CUDA when
PyTorch sees a GPU, else the CPU.

The device is not part of a model's cache key: a model trained on a GPU differs from its CPU twin only by
float rounding (as between two CPU thread counts), and either serves every chapter.
"""

from __future__ import annotations

import os

import torch

from dprob_utils.config.errors import ConfigError


def training_device(name: str | torch.device | None = None) -> torch.device:
    """The device named by ``name``, else by ``DPROB_DEVICE``, else ``cuda`` if available, else ``cpu``.

    Raises:
        ConfigError: the name is not a device, or names a CUDA device that this PyTorch cannot see.
    """
    name = name if name is not None else os.environ.get("DPROB_DEVICE") or None
    if name is None:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        dev = torch.device(name)
    except (RuntimeError, TypeError) as err:
        raise ConfigError(f"not a device: {name!r} (expected cpu, cuda or cuda:N)") from err
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise ConfigError(f"device {name!r} asked for (DPROB_DEVICE or device=), but this PyTorch sees no GPU")
        if dev.index is not None and dev.index >= torch.cuda.device_count():
            raise ConfigError(f"device {name!r}: only {torch.cuda.device_count()} GPU(s) visible")
    elif dev.type != "cpu":
        raise ConfigError(f"unsupported device {name!r}: dprob trains on cpu or cuda")
    return dev
