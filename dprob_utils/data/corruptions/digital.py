"""Digital corruptions (MNIST-C severities in brackets): contrast (4), brightness (5), saturate (5),
jpeg compression (5), pixelate (3), elastic transform (1), quantize (5); and the deterministic identity,
inverse, stripe and canny edges.

Each function maps a batch ``x`` of shape ``[N, 28, 28]`` (float, values in [0, 1]) and a
:class:`numpy.random.Generator` to a float32 batch of the same shape in [0, 1].
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image
from scipy import ndimage
from skimage import color, feature

from dprob_utils.data.corruptions._common import SIZE, clip01, gaussian, to_uint8


def identity(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The image itself (as float32)."""
    return np.asarray(x, dtype=np.float32).copy()


def contrast(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Contrast reduced to 10% around each image's mean (severity 4)."""
    x = np.asarray(x, dtype=np.float64)
    mean = x.mean(axis=(1, 2), keepdims=True)
    return clip01((x - mean) * 0.1 + mean)


def _hsv_round_trip(x: np.ndarray, fn) -> np.ndarray:
    """Grey -> RGB -> HSV, ``fn`` on the HSV array ``[N, H, W, 3]``, -> RGB -> grey (skimage.color)."""
    hsv = color.rgb2hsv(color.gray2rgb(np.asarray(x, dtype=np.float64)))
    return color.rgb2gray(color.hsv2rgb(fn(hsv)))


def brightness(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Brightness (severity 5): HSV value + 0.5, clipped. For a grey image this is ``min(x + 0.5, 1)``."""

    def up(hsv):
        hsv[..., 2] = np.clip(hsv[..., 2] + 0.5, 0, 1)
        return hsv

    return clip01(_hsv_round_trip(x, up))


def saturate(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Saturate (severity 5): every HSV channel becomes ``clip(20 c + 0.2)``; a grey image so acquires hue
    0.2 and saturation 0.2, and its value is multiplied by 20 (plus 0.2)."""
    return clip01(_hsv_round_trip(x, lambda hsv: np.clip(hsv * 20 + 0.2, 0, 1)))


def jpeg_compression(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """JPEG at quality 7 (severity 5), with Pillow, image by image (JPEG's 8 x 8 blocks do not tile 28)."""
    out = np.empty(x.shape, dtype=np.float32)
    for i, img in enumerate(to_uint8(x)):
        buf = io.BytesIO()
        Image.fromarray(img, mode="L").save(buf, "JPEG", quality=7)
        out[i] = np.asarray(Image.open(buf), dtype=np.float32) / 255
    return out


def pixelate(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Pixelate (severity 3): box-resize to 11 x 11 and back to 28 x 28 with Pillow."""
    small = int(SIZE * 0.4)
    out = np.empty(x.shape, dtype=np.float32)
    for i, img in enumerate(to_uint8(x)):
        im = Image.fromarray(img, mode="L").resize((small, small), Image.BOX).resize((SIZE, SIZE), Image.BOX)
        out[i] = np.asarray(im, dtype=np.float32) / 255
    return out


def elastic_transform(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Elastic transform (severity 1: alpha 56, sigma 19.6, affine jitter 2.8 pixels).

    1. a random affine map: three points (the corners of the central 18 x 18 square) moved by uniform
       [-2.8, 2.8] pixels; the image is warped with it (bilinear, zero outside), like OpenCV's ``warpAffine``;
    2. a displacement field: uniform [-1, 1] noise smoothed by a Gaussian (sigma 19.6, reflected borders,
       truncated at 3 sigma) times 56, per axis, applied with ``scipy.ndimage.map_coordinates`` (bilinear).
    """
    alpha, sigma, jitter = SIZE * 2, SIZE * 0.7, SIZE * 0.1
    x = np.asarray(x, dtype=np.float64)
    n = x.shape[0]
    centre, half = SIZE // 2, SIZE // 3
    # points as (column, row) like OpenCV
    src = np.array([[centre + half, centre + half], [centre + half, centre - half], [centre - half, centre - half]],
                   dtype=np.float64)
    dst = src[None] + rng.uniform(-jitter, jitter, size=(n, 3, 2))
    # affine A (2 x 3) with dst = A [src; 1]; warpAffine samples the source at A^-1 (output pixel)
    src_h = np.concatenate([src, np.ones((3, 1))], axis=1)  # [3, 3]
    fwd = np.linalg.solve(src_h[None], dst).transpose(0, 2, 1)  # [n, 2, 3]
    full = np.concatenate([fwd, np.tile([[[0.0, 0.0, 1.0]]], (n, 1, 1))], axis=1)
    inv = np.linalg.inv(full)
    rr, cc = np.meshgrid(np.arange(SIZE, dtype=np.float64), np.arange(SIZE, dtype=np.float64), indexing="ij")
    grid = np.stack([cc.ravel(), rr.ravel(), np.ones(SIZE * SIZE)])  # [3, H*W] (x, y, 1)
    sx, sy = (inv[:, :2] @ grid).transpose(1, 0, 2)  # source column, row: [n, H*W] each
    idx = np.broadcast_to(np.arange(n, dtype=np.float64)[:, None], sx.shape)
    shape = (n, SIZE, SIZE)
    warped = ndimage.map_coordinates(x, [idx.reshape(shape), sy.reshape(shape), sx.reshape(shape)], order=1,
                                     mode="constant", cval=0.0)
    dx = gaussian(rng.uniform(-1, 1, size=shape), sigma, mode="reflect", truncate=3) * alpha
    dy = gaussian(rng.uniform(-1, 1, size=shape), sigma, mode="reflect", truncate=3) * alpha
    idx3 = np.broadcast_to(np.arange(n, dtype=np.float64)[:, None, None], shape)
    out = ndimage.map_coordinates(warped, [idx3, rr[None] + dy, cc[None] + dx], order=1, mode="constant")
    return clip01(out)


def quantize(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Quantise to 1 bit (severity 5): pixels round to 0 or 1 at threshold 0.5."""
    levels = 2**1 - 1
    return clip01(np.round(np.asarray(x, dtype=np.float64) * levels) / levels)


def inverse(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """``1 - x``."""
    return clip01(1.0 - np.asarray(x, dtype=np.float64))


def stripe(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The seven leftmost and seven rightmost columns inverted."""
    out = np.asarray(x, dtype=np.float64).copy()
    out[:, :, :7] = 1 - out[:, :, :7]
    out[:, :, 21:] = 1 - out[:, :, 21:]
    return clip01(out)


def canny_edges(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Binary edge map of ``skimage.feature.canny`` (sigma 1, default thresholds), image by image (canny is
    2-D only)."""
    x = np.asarray(x, dtype=np.float64)
    return np.stack([feature.canny(img) for img in x]).astype(np.float32)

