"""Line corruptions of MNIST-C (no severities): line, dotted line, zigzag.

Each function maps a batch ``x`` of shape ``[N, 28, 28]`` (float, values in [0, 1]) and a
:class:`numpy.random.Generator` to a float32 batch of the same shape in [0, 1]. Lines are drawn with
MNIST-C's soft profile (:func:`._common.line_from_points`) and added to the image.
"""

from __future__ import annotations

import numpy as np

from dprob_utils.data.corruptions._common import clip01, line_from_points


def line(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One line from column 0-4 to column 22-26, rows 0-26 at both ends (uniform integers)."""
    n = x.shape[0]
    c0, c1 = rng.integers(0, 5, n), rng.integers(22, 27, n)
    r0, r1 = rng.integers(0, 27, (2, n))
    return clip01(x + line_from_points(c0, r0, c1, r1))


def dotted_line(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A line across the whole width (rows 0-26 at both ends) with every other pair of columns removed
    (columns 0-1, 4-5, ..., 24-25 blank)."""
    n = x.shape[0]
    r0, r1 = rng.integers(0, 27, (2, n))
    lines = line_from_points(np.zeros(n), r0, np.full(n, 27.0), r1)
    cols = np.arange(x.shape[-1])
    lines[:, :, ((cols // 2) % 2 == 0) & (cols < 26)] = 0
    return clip01(x + lines)


def zigzag(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A zigzag (teeth 2 long, 2 high) from column 2 to column 25, starting at a random row 0-26 and ending
    -5..4 rows lower or higher, drawn segment by segment (each added and clipped)."""
    n = x.shape[0]
    a = b = 2.0
    c0, c1 = 2, 25
    r0 = rng.integers(0, 27, n)
    r1 = r0 + rng.integers(-5, 5, n)
    theta = np.arctan((r1 - r0) / (c1 - c0))
    d = (c1 - c0) / np.cos(theta)
    # MNIST-C builds the teeth along the x axis from the length d, then rotates by theta. For the range of
    # theta drawn here every image gets the same number of teeth, so the vertices stack into one array.
    counts = ((d - a) // (2 * a)).astype(int) + 1
    if np.any(counts != counts[0]):
        raise AssertionError("zigzag: unexpected tooth count")  # impossible for |r1 - r0| <= 5
    k = int(counts[0])
    i = np.arange(k)
    cols = [np.zeros(n)] + [np.full(n, (2 * j + 1) * a) for j in i]
    rows = [np.zeros(n)] + [np.full(n, (-1.0) ** j * b) for j in i]
    max_c = (2 * a) * (d // (2 * a))
    last_r = (-1.0) ** (k - 1) * b
    extra = d != max_c
    if not np.all(extra):
        raise AssertionError("zigzag: unexpected end point")  # d is never a multiple of 4 here
    cols.append(d)
    rows.append(last_r / (2 * (d - max_c)))  # MNIST-C's end point, kept as written
    cs, rs = np.stack(cols), np.stack(rows)  # [vertices, n]
    cos, sin = np.cos(theta), np.sin(theta)
    cs, rs = cos * cs - sin * rs + c0, sin * cs + cos * rs + r0
    out = np.asarray(x, dtype=np.float64).copy()
    for j in range(1, cs.shape[0]):
        out = np.clip(out + line_from_points(cs[j - 1], rs[j - 1], cs[j], rs[j]), 0, 1)
    return clip01(out)
