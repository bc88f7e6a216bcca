"""Blur corruptions (MNIST-C severities in brackets): gaussian (2), glass (1), defocus (1), motion (1),
zoom (5).

Each function maps a batch ``x`` of shape ``[N, 28, 28]`` (float, values in [0, 1]) and a
:class:`numpy.random.Generator` to a float32 batch of the same shape in [0, 1].
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage
from skimage.morphology import disk

from dprob_utils.data.corruptions._common import SIZE, clip01, clipped_zoom, gaussian
from dprob_utils.data.corruptions._common import motion_blur as _motion_blur


def gaussian_blur(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Gaussian blur with sigma = 2 pixels (severity 2), along the vertical axis only as in MNIST-C (its
    ``multichannel=True`` call on a 2-D image; see :func:`._common.gaussian`)."""
    return clip01(gaussian(x, 2.0, vertical_only=True))


def glass_blur(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Glass blur (severity 1: sigma 0.7, max shift 1, 2 passes): blur, quantise to uint8, then sweep the
    image from the bottom-right corner and swap each pixel, with probability 1/2, with a neighbour at
    offset (dy, dx) in {-1, 0}^2 (MNIST-C draws ``randint(-1, 1)``), then blur again.

    The swaps are sequential within an image (a pixel can move several times), so the sweep loops over
    positions and swaps all images of the batch at once. Both blurs act along the vertical axis only, as in
    MNIST-C (see :func:`._common.gaussian`).
    """
    sigma, delta, passes = 0.7, 1, 2
    y = np.floor(gaussian(x, sigma, vertical_only=True) * 255).astype(np.uint8)  # MNIST-C: np.uint8(gaussian(x) * 255)
    n = y.shape[0]
    positions = list(range(SIZE - delta, delta, -1))
    all_n = np.arange(n)
    for _ in range(passes):
        for h in positions:
            for w in positions:
                swap = rng.random(n) < 0.5
                dy, dx = rng.integers(-delta, delta, size=(2, n))
                sel = all_n[swap]
                h2, w2 = h + dy[swap], w + dx[swap]
                a = y[sel, h, w].copy()
                y[sel, h, w] = y[sel, h2, w2]
                y[sel, h2, w2] = a
    return clip01(gaussian(y / 255.0, sigma, vertical_only=True))


def _defocus_kernel(radius: int, alias_blur: float) -> np.ndarray:
    """ImageNet-C's anti-aliased disk on a 17 x 17 grid (radius <= 8): disk normalised to sum 1, then a
    3 x 3 Gaussian with sigma ``alias_blur``."""
    k = np.zeros((17, 17))
    k[8 - radius:9 + radius, 8 - radius:9 + radius] = disk(radius)
    k /= k.sum()
    return ndimage.gaussian_filter(k, alias_blur, mode="mirror", radius=1)


def defocus_blur(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Defocus blur: convolution with a disk of radius 3 (severity 1; alias blur 0.1), mirrored borders
    like OpenCV's ``filter2D``."""
    k = _defocus_kernel(3, 0.1)
    return clip01(ndimage.correlate(np.asarray(x, dtype=np.float64), k[None], mode="mirror"))


def motion_blur(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Motion blur (severity 1: radius 10, sigma 3) at a uniform random angle in [-45, 45] degrees per image,
    with ImageMagick's one-sided kernel (see :func:`._common.motion_blur`)."""
    angles = rng.uniform(-45, 45, size=x.shape[0])
    return clip01(_motion_blur(np.asarray(x, dtype=np.float64), 10, 3, angles))


def zoom_blur(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Zoom blur (severity 5): mean of the image and its centre zooms by 1, 1.03, ..., 1.30."""
    x = np.asarray(x, dtype=np.float32)
    factors = np.arange(1, 1.31, 0.03)
    out = np.zeros_like(x)
    for z in factors:
        out += clipped_zoom(x, z)
    return clip01((x + out) / (len(factors) + 1))
