"""The four architectures of the two papers, all Opacus-compatible (Conv2d, Linear, pooling, ReLU only).

Inputs are images in [0, 1] (no normalisation layer: the attacks' epsilon is measured in that box).

=================  =========================================================================================
name               architecture
=================  =========================================================================================
``p1_mnist_cnn``   paper 1 MNIST CNN: conv 5x5 (20) -> max-pool 2 -> conv 5x5 (50) -> max-pool 2 -> FC 500
                   -> FC 500 -> 10, ReLU (section 3)
``p2_lenet``       paper 2 LeNet, Table I: conv 3x3 (6, valid) -> avg-pool 2 (stride 1) -> conv 3x3 (16,
                   valid) -> avg-pool 2 (stride 1) -> dense 120 -> 84 -> 10
``p2_custom``      paper 2 custom CNN, Table I: conv 8x8 (16, stride 2, same) -> max-pool 2 (stride 1)
                   -> conv 4x4 (32, stride 2, valid) -> max-pool 2 (stride 1) -> dense 32 -> 10
``p1_cifar_net``   paper 1 CIFAR-10 net (section 3.6): two 3x3 convs (stride 1, ReLU, 3x3 max-pool
                   stride 2) -> three FC 500 -> 10. Channels are not stated: 64 and 64 (as in Abadi et
                   al.'s CIFAR model, which paper 1 follows), padding 1; both are parameters.
=================  =========================================================================================
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from dprob_utils.config.errors import ConfigError
from dprob_utils.models.pooling import AvgPool2x2Stride1, ShiftedMaxPool2d


def p1_mnist_cnn() -> nn.Sequential:
    """Paper 1 MNIST CNN. Input ``[N, 1, 28, 28]``, output logits ``[N, 10]``; 681,580 parameters."""
    return nn.Sequential(
        nn.Conv2d(1, 20, 5), nn.ReLU(), ShiftedMaxPool2d(2, 2),
        nn.Conv2d(20, 50, 5), nn.ReLU(), ShiftedMaxPool2d(2, 2),
        nn.Flatten(),
        nn.Linear(50 * 4 * 4, 500), nn.ReLU(),
        nn.Linear(500, 500), nn.ReLU(),
        nn.Linear(500, 10),
    )


def p2_lenet() -> nn.Sequential:
    """Paper 2 LeNet (Table I). Input ``[N, 1, 28, 28]``, logits ``[N, 10]``; 941,354 parameters.

    Sizes: 28 -> conv3 26 -> avgpool(2, s1) 25 -> conv3 23 -> avgpool(2, s1) 22; 16*22*22 = 7744 features.
    """
    return nn.Sequential(
        nn.Conv2d(1, 6, 3), nn.ReLU(), AvgPool2x2Stride1(),
        nn.Conv2d(6, 16, 3), nn.ReLU(), AvgPool2x2Stride1(),
        nn.Flatten(),
        nn.Linear(16 * 22 * 22, 120), nn.ReLU(),
        nn.Linear(120, 84), nn.ReLU(),
        nn.Linear(84, 10),
    )


def p2_custom() -> nn.Sequential:
    """Paper 2 custom CNN (Table I; the TensorFlow Privacy MNIST tutorial model). Logits ``[N, 10]``; 26,010
    parameters.

    TensorFlow's ``padding='same'`` with stride 2 and kernel 8 on 28 pixels pads 6 in total, 3 per side:
    28 -> conv8/s2 14 -> maxpool(2, s1) 13 -> conv4/s2 valid 5 -> maxpool(2, s1) 4; 32*4*4 = 512 features.
    """
    return nn.Sequential(
        nn.Conv2d(1, 16, 8, stride=2, padding=3), nn.ReLU(), ShiftedMaxPool2d(2, 1),
        nn.Conv2d(16, 32, 4, stride=2), nn.ReLU(), ShiftedMaxPool2d(2, 1),
        nn.Flatten(),
        nn.Linear(32 * 4 * 4, 32), nn.ReLU(),
        nn.Linear(32, 10),
    )


class CifarNet(nn.Module):
    """Paper 1 CIFAR-10 net, split into ``features`` (the two convolutions, pre-trained on public data and
    frozen) and ``head`` (the three dense layers trained with SGD or DP-SGD).

    Input ``[N, 3, 32, 32]``, logits ``[N, num_classes]``. With padding 1: 32 -> conv 32 -> pool(3, s2) 15
    -> conv 15 -> pool(3, s2) 7, so ``channels[1] * 49`` features.
    """

    def __init__(self, channels: tuple[int, int] = (64, 64), padding: int = 1, num_classes: int = 10):
        super().__init__()
        c1, c2 = channels
        self.features = nn.Sequential(
            nn.Conv2d(3, c1, 3, stride=1, padding=padding), nn.ReLU(), ShiftedMaxPool2d(3, 2),
            nn.Conv2d(c1, c2, 3, stride=1, padding=padding), nn.ReLU(), ShiftedMaxPool2d(3, 2),
            nn.Flatten(),
        )
        with torch.no_grad():
            n_feat = self.features(torch.zeros(1, 3, 32, 32)).shape[1]
        self.head = make_cifar_head(n_feat, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


def make_cifar_head(n_features: int, num_classes: int = 10) -> nn.Sequential:
    """The three FC-500 layers and the output layer of the CIFAR net (the part trained privately)."""
    return nn.Sequential(
        nn.Linear(n_features, 500), nn.ReLU(),
        nn.Linear(500, 500), nn.ReLU(),
        nn.Linear(500, 500), nn.ReLU(),
        nn.Linear(500, num_classes),
    )


ARCHITECTURES: dict[str, Callable[..., nn.Module]] = {
    "p1_mnist_cnn": p1_mnist_cnn,
    "p2_lenet": p2_lenet,
    "p2_custom": p2_custom,
    "p1_cifar_net": CifarNet,
}
INPUT_SHAPES = {
    "p1_mnist_cnn": (1, 28, 28),
    "p2_lenet": (1, 28, 28),
    "p2_custom": (1, 28, 28),
    "p1_cifar_net": (3, 32, 32),
}


def build_model(arch: str, **kwargs) -> nn.Module:
    """A freshly initialised model of architecture ``arch`` (one of :data:`ARCHITECTURES`)."""
    if arch not in ARCHITECTURES:
        raise ConfigError(f"unknown architecture {arch!r}; choose one of {', '.join(ARCHITECTURES)}")
    # Channels-last convolution weights make every activation channels-last (NHWC): same values up to float
    # rounding, and PyTorch's CPU max-pooling and convolutions are much faster in that layout.
    return ARCHITECTURES[arch](**kwargs).to(memory_format=torch.channels_last)


def count_parameters(model: nn.Module) -> int:
    """Number of trainable parameters."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
