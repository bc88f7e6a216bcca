"""Affine corruptions (MNIST-C severities in brackets): shear (2), rotate (2), scale (3), translate (3).

Each function maps a batch ``x`` of shape ``[N, 28, 28]`` (float, values in [0, 1]) and a
:class:`numpy.random.Generator` to a float32 batch of the same shape in [0, 1].

MNIST-C builds a ``skimage.transform.AffineTransform`` about the image centre (13.5, 13.5) and passes it to
``warp`` as the *inverse* map (output pixel -> input pixel), bilinear, zero outside. We build the same
3 x 3 matrices explicitly: skimage changed the meaning of ``shear`` in 0.21 (MNIST-C's matrix has
``-sin(shear)``, newer versions ``-tan(shear)``).
"""

from __future__ import annotations

import numpy as np
from skimage.transform import AffineTransform, warp

from dprob_utils.data.corruptions._common import CENTER, clip01


def _about_centre(linear: np.ndarray) -> np.ndarray:
    """3 x 3 matrix with the 2 x 2 ``linear`` part (x = column, y = row) that keeps (13.5, 13.5) fixed."""
    m = np.eye(3)
    m[:2, :2] = linear
    m[0, 2] = CENTER * (1 - linear[0, 0] - linear[0, 1])
    m[1, 2] = CENTER * (1 - linear[1, 0] - linear[1, 1])
    return m


def _warp_groups(x: np.ndarray, matrices: list[np.ndarray], choice: np.ndarray) -> np.ndarray:
    """Warp image ``i`` with ``matrices[choice[i]]`` (used as the inverse map), one skimage call per matrix
    on the images stacked along skimage's channel axis."""
    x = np.asarray(x, dtype=np.float64)
    out = np.empty_like(x)
    for k, m in enumerate(matrices):
        sel = np.flatnonzero(choice == k)
        if sel.size:
            stacked = np.moveaxis(x[sel], 0, -1)  # [H, W, n]
            out[sel] = np.moveaxis(warp(stacked, inverse_map=AffineTransform(matrix=m), order=1), -1, 0)
    return clip01(out)


def shear(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Horizontal shear by angle +-0.4 (random sign per image; severity 2), MNIST-C's matrix
    ``[[1, -sin s], [0, cos s]]``."""
    mats = [_about_centre(np.array([[1.0, -np.sin(s)], [0.0, np.cos(s)]])) for s in (-0.4, 0.4)]
    return _warp_groups(x, mats, rng.integers(0, 2, x.shape[0]))


def rotate(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Rotation by +-0.4 rad (about 23 degrees; random sign per image; severity 2)."""
    mats = [_about_centre(np.array([[np.cos(r), -np.sin(r)], [np.sin(r), np.cos(r)]])) for r in (-0.4, 0.4)]
    return _warp_groups(x, mats, rng.integers(0, 2, x.shape[0]))


def scale(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Shrink to 70% about the centre (inverse map scale 1 / 0.7; severity 3)."""
    mats = [_about_centre(np.eye(2) / 0.7)]
    return _warp_groups(x, mats, np.zeros(x.shape[0], dtype=int))


def translate(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Shift by 3 pixels along each axis, each direction's sign random per image (severity 3)."""
    mats = []
    for sx in (-3, 3):
        for sy in (-3, 3):
            m = np.eye(3)
            m[0, 2], m[1, 2] = sx, sy
            mats.append(m)
    return _warp_groups(x, mats, rng.integers(0, 4, x.shape[0]))
