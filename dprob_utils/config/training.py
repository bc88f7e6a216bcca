"""What determines a trained model: :class:`TrainConfig` (its fields are its cache key), the training modes, and
the architectures by name with the dataset each trains on (the models themselves: :mod:`dprob_utils.models`).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from dprob_utils.config import versions
from dprob_utils.config.errors import ConfigError
from dprob_utils.config.keys import content_key

# every architecture of dprob_utils.models.architectures and the dataset it trains on
ARCHITECTURE_DATASETS = {"p1_mnist_cnn": "mnist", "p2_lenet": "mnist", "p2_custom": "mnist", "p1_cifar_net": "cifar10"}
MODES = ("sgd", "dpsgd", "dpsgd-fixed-noise")
LR_SCHEDULES = ("constant", "linear")


@dataclass(frozen=True)
class TrainConfig:
    """Everything that determines a trained model (and so its cache key).

    Attributes:
        arch: architecture name (see :mod:`dprob_utils.models.architectures`: one of :data:`ARCHITECTURE_DATASETS`).
        mode: ``sgd``, ``dpsgd`` or ``dpsgd-fixed-noise``.
        sigma: noise multiplier (``dpsgd``) or noise std (``dpsgd-fixed-noise``); ignored for ``sgd``.
        clip: per-example L2 clipping bound C; ignored for ``sgd``.
        lr: learning rate of SGD (no momentum, no weight decay, as in both papers); the first step's under
            ``lr_schedule``.
        batch_size: batch size b (expected batch size under Poisson sampling).
        epochs: passes over the training set (``round(N / b)`` steps each).
        seed: seed of initialisation, batch sampling and noise.
        dataset: training dataset; defaults to the architecture's.
        train_subset: number of training samples (stratified, seed 0), ``None`` for all.
        lr_schedule: ``constant`` (both papers) or ``linear``: step t of T uses ``lr * (1 - t / T)``, so that
            the last steps average the noise of DP-SGD (and of SGD's batches) away in few epochs.
    """

    arch: str
    mode: str = "sgd"
    sigma: float = 0.0
    clip: float = 1.0
    lr: float = 0.05
    batch_size: int = 256
    epochs: int = 1
    seed: int = 0
    dataset: str = ""
    train_subset: int | None = None
    lr_schedule: str = "constant"

    def __post_init__(self) -> None:
        if not self.dataset:
            object.__setattr__(self, "dataset", ARCHITECTURE_DATASETS.get(self.arch, ""))
        self.validate()

    def validate(self) -> None:
        """Raise :class:`ConfigError` with one clear sentence for any invalid setting."""
        if self.arch not in ARCHITECTURE_DATASETS:
            raise ConfigError(f"unknown architecture {self.arch!r}; choose one of {', '.join(ARCHITECTURE_DATASETS)}")
        if self.mode not in MODES:
            raise ConfigError(f"unknown mode {self.mode!r}; choose one of {', '.join(MODES)}")
        if not (self.sigma >= 0 and math.isfinite(self.sigma)):
            raise ConfigError(f"sigma must be a finite number >= 0, got {self.sigma}")
        if not (self.clip > 0 and math.isfinite(self.clip)):
            raise ConfigError(f"the clipping bound C must be > 0, got {self.clip}")
        if not self.lr > 0:
            raise ConfigError(f"the learning rate must be > 0, got {self.lr}")
        if self.epochs <= 0:
            raise ConfigError(f"epochs must be > 0, got {self.epochs}")
        if self.batch_size <= 0:
            raise ConfigError(f"the batch size must be > 0, got {self.batch_size}")
        if self.train_subset is not None and self.train_subset <= 0:
            raise ConfigError(f"train_subset must be > 0 or None, got {self.train_subset}")
        if self.lr_schedule not in LR_SCHEDULES:
            raise ConfigError(f"unknown lr_schedule {self.lr_schedule!r}; choose one of {', '.join(LR_SCHEDULES)}")

    @property
    def private(self) -> bool:
        return self.mode != "sgd"

    @property
    def noise_multiplier(self) -> float:
        """Noise std divided by C, the quantity the accountants use."""
        if self.mode == "dpsgd":
            return self.sigma
        if self.mode == "dpsgd-fixed-noise":
            return self.sigma / self.clip
        return 0.0

    def canonical(self) -> dict:
        """The fields that determine the model, so that equal models share a key: sigma and C are dropped for
        SGD, and ``dpsgd-fixed-noise`` (sigma, C) is written as the ``dpsgd`` model it is, noise multiplier
        sigma / C at bound C (paper 1's fixed-noise model at C = 1 is its main DP-SGD model)."""
        d = asdict(self)
        if self.lr_schedule == "constant":
            del d["lr_schedule"]  # the models trained before schedules existed keep their keys
        if not self.private:
            d["sigma"], d["clip"] = None, None
        if self.mode == "dpsgd-fixed-noise":
            d["mode"], d["sigma"] = "dpsgd", self.noise_multiplier
        d["training_code_version"] = versions.TRAINING_CODE_VERSION
        if self.private:
            d["noise_stream"] = versions.NOISE_STREAM_VERSION
        return d

    def key(self) -> str:
        """The model's cache key: :func:`~dprob_utils.store.core.content_key` of :meth:`canonical`."""
        return content_key(self.canonical())

    def label(self) -> str:
        """Short human label, e.g. ``SGD`` or ``DP-SGD s=1.3 C=1``."""
        if self.mode == "sgd":
            return "SGD"
        tag = "DP-SGD" if self.mode == "dpsgd" else "DP-SGD fixed-noise"
        return f"{tag} σ={self.sigma:g} C={self.clip:g}"
