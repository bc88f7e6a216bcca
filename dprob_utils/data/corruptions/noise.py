"""Noise corruptions (MNIST-C severities in brackets): gaussian (5), shot (5), impulse (4), speckle (5),
pessimal (1).

Each function maps a batch ``x`` of shape ``[N, 28, 28]`` (float, values in [0, 1]) and a
:class:`numpy.random.Generator` to a float32 batch of the same shape in [0, 1].
"""

from __future__ import annotations

import numpy as np
from skimage.util import random_noise

from dprob_utils.data.corruptions._common import clip01

PESSIMAL_EPS = 10.63  # MNIST-C: L2 norm of the full 28 x 28 noise is eps / 2 (eps / 4 per 14 x 14 tile)


def gaussian_noise(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Additive N(0, 0.38^2) per pixel (severity 5)."""
    return clip01(x + rng.normal(scale=0.38, size=x.shape))


def shot_noise(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Poisson noise: Poisson(3 x) / 3 (severity 5)."""
    return clip01(rng.poisson(x * 3.0) / 3.0)


def impulse_noise(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Salt-and-pepper noise on 17% of the pixels (severity 4), via ``skimage.util.random_noise``."""
    return clip01(random_noise(np.asarray(x, dtype=np.float64), mode="s&p", amount=0.17, rng=rng))


def speckle_noise(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Multiplicative noise x + x * N(0, 0.6^2) (severity 5)."""
    return clip01(x + x * rng.normal(scale=0.6, size=x.shape))


def pessimal_noise(x: np.ndarray, rng: np.random.Generator, matrix: np.ndarray | None = None) -> np.ndarray:
    """MNIST-C's pessimal noise: ``z @ A`` with ``z ~ N(0, I_196)``, scaled to L2 norm ``10.63 / 4``, reshaped
    to 14 x 14 and tiled 2 x 2 over the image. ``A`` (196 x 196) was learned by MNIST-C to maximise a CNN's
    loss; the released matrix is not available here, so :mod:`.pessimal` learns one the same way.
    ``matrix=None`` uses the identity (isotropic noise of the same norm), for tests only.
    """
    a = np.eye(196) if matrix is None else np.asarray(matrix, dtype=np.float64)
    if a.shape != (196, 196):
        raise ValueError(f"the pessimal noise matrix must be 196 x 196, got {a.shape}")
    noise = rng.normal(size=(x.shape[0], 196)) @ a
    noise *= (PESSIMAL_EPS / 4) / np.linalg.norm(noise, axis=1, keepdims=True)
    tiled = np.tile(noise.reshape(-1, 14, 14), (1, 2, 2))
    return clip01(x + tiled)
