"""Shared helpers of the corruptions: batched versions of the MNIST-C helpers (``clipped_zoom``,
``plasma_fractal``, ``line_from_points``, ImageMagick's motion blur).

Every helper works on a batch ``[N, 28, 28]`` of float images in [0, 1] (row, column order) and draws its
randomness from a :class:`numpy.random.Generator`, so a whole test set is corrupted in one call.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

SIZE = 28  # MNIST-C's corruptions are defined on 28 x 28 images (centre 13.5, line geometry)
CENTER = (SIZE - 1) / 2  # 13.5


def clip01(x: np.ndarray) -> np.ndarray:
    """``x`` clipped to [0, 1] as float32."""
    return np.clip(x, 0.0, 1.0).astype(np.float32)


def to_uint8(x: np.ndarray) -> np.ndarray:
    """Float images in [0, 1] to uint8 (rounded), the form MNIST-C hands to PIL."""
    return np.clip(np.rint(np.asarray(x, dtype=np.float64) * 255.0), 0, 255).astype(np.uint8)


def gaussian(x: np.ndarray, sigma: float, mode: str = "nearest", truncate: float = 4.0,
             vertical_only: bool = False) -> np.ndarray:
    """``skimage.filters.gaussian`` of each image of a batch ``[N, H, W]`` (no smoothing across images).

    ``vertical_only`` reproduces MNIST-C's call ``gaussian(img, sigma, multichannel=True)`` on a 2-D
    grayscale image: skimage then takes the columns for colour channels and blurs along the rows' axis only.
    """
    sig = (0, sigma, 0) if vertical_only else (0, sigma, sigma)
    return ndimage.gaussian_filter(np.asarray(x, dtype=np.float64), sigma=sig, mode=mode, truncate=truncate)


def clipped_zoom(x: np.ndarray, factor: float) -> np.ndarray:
    """MNIST-C's ``clipped_zoom``: the central ``ceil(28 / factor)`` square, zoomed by ``factor`` (bilinear,
    ``scipy.ndimage.zoom``) and cropped back to 28 x 28. ``x``: ``[N, 28, 28]``."""
    h = x.shape[-1]
    ch = int(np.ceil(h / float(factor)))
    top = (h - ch) // 2
    z = ndimage.zoom(x[:, top:top + ch, top:top + ch], (1, factor, factor), order=1)
    trim = (z.shape[-1] - h) // 2
    return z[:, trim:trim + h, trim:trim + h]


def plasma_fractal(n: int, rng: np.random.Generator, mapsize: int = 256, wibbledecay: float = 3.0,
                   crop: int = SIZE, batch: int = 64) -> np.ndarray:
    """``n`` diamond-square height maps (MNIST-C / ImageNet-C ``plasma_fractal``), normalised to [0, 1] over
    the whole ``mapsize`` square, of which the top-left ``crop`` x ``crop`` corner is returned
    (``[n, crop, crop]``), as MNIST-C's fog uses it. Computed ``batch`` maps at a time to bound memory."""
    if mapsize & (mapsize - 1):
        raise ValueError(f"mapsize must be a power of two, got {mapsize}")
    out = np.empty((n, crop, crop), dtype=np.float64)
    for start in range(0, n, batch):
        b = min(batch, n - start)
        m = np.zeros((b, mapsize, mapsize), dtype=np.float64)
        step, wibble = mapsize, 100.0

        def wibbled_mean(a: np.ndarray, wib: float) -> np.ndarray:
            return a / 4 + wib * rng.uniform(-wib, wib, a.shape)

        while step >= 2:
            half = step // 2
            # squares: centre of each square = mean of its corners + noise
            corners = m[:, 0:mapsize:step, 0:mapsize:step]
            acc = corners + np.roll(corners, -1, axis=1)
            acc = acc + np.roll(acc, -1, axis=2)
            m[:, half:mapsize:step, half:mapsize:step] = wibbled_mean(acc, wibble)
            # diamonds: edge midpoints = mean of the two corners and two centres + noise
            dr = m[:, half:mapsize:step, half:mapsize:step]
            ul = m[:, 0:mapsize:step, 0:mapsize:step]
            lt = dr + np.roll(dr, 1, axis=1) + ul + np.roll(ul, -1, axis=2)
            m[:, 0:mapsize:step, half:mapsize:step] = wibbled_mean(lt, wibble)
            tt = dr + np.roll(dr, 1, axis=2) + ul + np.roll(ul, -1, axis=1)
            m[:, half:mapsize:step, 0:mapsize:step] = wibbled_mean(tt, wibble)
            step //= 2
            wibble /= wibbledecay
        lo = m.min(axis=(1, 2), keepdims=True)
        hi = m.max(axis=(1, 2), keepdims=True)
        out[start:start + b] = ((m - lo) / (hi - lo))[:, :crop, :crop]
    return out


def line_from_points(c0, r0, c1, r1) -> np.ndarray:
    """MNIST-C's ``line_from_points`` for a batch of segments (each argument a scalar or ``[N]`` array):
    intensity ``log(1 - d / 2.3) + 1`` of the vertical distance ``d`` to the line through (c0, r0) and
    (c1, r1), zero outside the columns ``[floor(c0), ceil(c1))``; vertical segments give no line.
    Returns ``[N, 28, 28]``."""
    c0, r0, c1, r1 = (np.atleast_1d(np.asarray(v, dtype=np.float64)) for v in (c0, r0, c1, r1))
    cc = np.arange(SIZE, dtype=np.float64)[None, None, :]
    rr = np.arange(SIZE, dtype=np.float64)[None, :, None]
    vertical = c1 == c0
    slope = (r1 - r0) / np.where(vertical, 1.0, c1 - c0)
    f = slope[:, None, None] * (cc - c0[:, None, None]) + r0[:, None, None]
    dist = np.clip(np.abs(rr - f), 0, 2.3 - 1e-10)
    line = np.clip(np.log(1 - dist / 2.3) + 1, 0, 1)
    left, right = np.floor(c0), np.ceil(c1)
    cols = np.arange(SIZE)[None, :]
    keep = (cols >= left[:, None]) & (cols < right[:, None]) & ~vertical[:, None]
    return line * keep[:, None, :]


def motion_blur(x: np.ndarray, radius: float, sigma: float, angles_deg: np.ndarray) -> np.ndarray:
    """ImageMagick's ``-motion-blur radius x sigma + angle`` (what MNIST-C calls through Wand), per image.

    The kernel is one-sided: ``2 * radius + 1`` taps with weights ``exp(-i^2 / (2 sigma^2))`` (normalised),
    tap ``i`` reading the pixel ``i`` steps along the angle, rounded as ImageMagick rounds, with edge pixels
    repeated beyond the border (ImageMagick's default virtual pixels). Each image has its own angle, so the
    taps are gathered by index rather than through a shared convolution kernel. ``x``: ``[N, H, W]``.
    """
    n, h, w = x.shape
    width = int(2 * radius + 1)
    taps = np.arange(width, dtype=np.float64)
    kernel = np.exp(-(taps**2) / (2 * sigma**2))
    kernel /= kernel.sum()
    a = np.deg2rad(np.asarray(angles_deg, dtype=np.float64))
    # ImageMagick: offset.x = ceil(i * cos(a) - 0.5), offset.y = ceil(i * sin(a) - 0.5)
    off_r = np.ceil(taps[None, :] * np.sin(a)[:, None] - 0.5).astype(int)  # [N, width]
    off_c = np.ceil(taps[None, :] * np.cos(a)[:, None] - 0.5).astype(int)
    rows = np.arange(h)[None, :, None]
    cols = np.arange(w)[None, None, :]
    idx_n = np.arange(n)[:, None, None]
    out = np.zeros((n, h, w), dtype=np.float64)
    for i in range(width):
        r = np.clip(rows + off_r[:, i, None, None], 0, h - 1)
        c = np.clip(cols + off_c[:, i, None, None], 0, w - 1)
        out += kernel[i] * x[idx_n, r, c]
    return out
