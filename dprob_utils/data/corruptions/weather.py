"""Weather corruptions (MNIST-C severities in brackets): fog (5), frost (5), snow (5), spatter (4).

Each function maps a batch ``x`` of shape ``[N, 28, 28]`` (float, values in [0, 1]) and a
:class:`numpy.random.Generator` to a float32 batch of the same shape in [0, 1].

Frost blends the digit with a crop of one of ImageNet-C's frost photographs, read from the ``imagecorruptions``
wheel on PyPI, which ships the files MNIST-C's ``frost()`` reads (:func:`frost_photographs`; the package is
located, never imported, and nothing is copied into this repository). Without that package, procedural stand-ins
take their place (:func:`frost_textures`) and a warning says so. Everything else follows MNIST-C's code.
"""

from __future__ import annotations

import hashlib
import importlib.util
import warnings
from functools import lru_cache
from pathlib import Path

import numpy as np
from skimage.draw import line_aa

from dprob_utils.data.corruptions._common import (
    SIZE,
    clip01,
    clipped_zoom,
    gaussian,
    motion_blur,
    plasma_fractal,
)


def fog(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Fog (severity 5: strength 3, wibble decay 1.4): ``(x + 3 p) * max(x) / (max(x) + 3)`` where ``p`` is the
    28 x 28 corner of a 256 x 256 plasma fractal and ``max(x)`` the image's maximum."""
    strength, decay = 3.0, 1.4
    x = np.asarray(x, dtype=np.float64)
    peak = x.max(axis=(1, 2), keepdims=True)
    plasma = plasma_fractal(x.shape[0], rng, mapsize=256, wibbledecay=decay)
    return clip01((x + strength * plasma) * peak / (peak + strength))


FROST_TEXTURE_SIZE = 384
FROST_TEXTURE_SEED = 20190605  # fixed: the textures are assets, the same for every corruption seed


@lru_cache(maxsize=2)
def frost_textures(n: int = 5, size: int = FROST_TEXTURE_SIZE, seed: int = FROST_TEXTURE_SEED) -> np.ndarray:
    """``n`` procedural frost textures ``[n, size, size]`` in [0, 1], stand-ins for ImageNet-C's frost
    photographs when the ``imagecorruptions`` package is not installed (MNIST-C draws one of the first five,
    reads it as grayscale and crops 28 x 28 at random).

    A frost photograph is a grey haze of ice crossed by bright, branching crystal needles that are large
    compared with a 28-pixel crop. We draw a plasma-fractal haze (``plasma_fractal``) and long needles
    (``skimage.draw.line_aa``, 40-200 pixels) with side branches at +-60 degrees like dendritic ice, widen
    and soften them with a Gaussian (sigma 1.5), and scale so that the texture averages 0.45 and reaches 1.
    The statistics of the original photographs are not known here: this is the one corruption whose
    strength is not pinned down by MNIST-C's code.
    """
    rng = np.random.default_rng(seed)
    haze = plasma_fractal(n, rng, mapsize=size if size & (size - 1) == 0 else 512, wibbledecay=2.0,
                          crop=size, batch=1)
    out = np.empty((n, size, size))
    for k in range(n):
        needles = np.zeros((size, size))
        for _ in range(int(size * size / 1500)):
            r0, c0 = rng.uniform(0, size, 2)
            angle = rng.uniform(0, 2 * np.pi)
            length = rng.uniform(40, 200)
            bright = rng.uniform(0.5, 1.0)
            ends = [(r0, c0, angle, length)]
            for _ in range(rng.integers(2, 7)):  # side branches
                t = rng.uniform(0.1, 0.9) * length
                side = angle + rng.choice([-1, 1]) * np.pi / 3
                ends.append((r0 + t * np.sin(angle), c0 + t * np.cos(angle), side, length * rng.uniform(0.1, 0.35)))
            for rs, cs, a, ln in ends:
                rr, cc, val = line_aa(int(rs), int(cs), int(rs + ln * np.sin(a)), int(cs + ln * np.cos(a)))
                ok = (rr >= 0) & (rr < size) & (cc >= 0) & (cc < size)
                needles[rr[ok], cc[ok]] = np.maximum(needles[rr[ok], cc[ok]], bright * val[ok])
        needles = gaussian(needles[None], 1.5)[0]
        needles /= needles.max()
        tex = 0.6 * haze[k] + needles
        tex = (tex - tex.min()) / (tex.max() - tex.min())
        out[k] = np.clip(tex * (0.45 / tex.mean()), 0, 1)
    out.setflags(write=False)
    return out


# the photographs MNIST-C's frost() draws from (np.random.randint(5): the first five of ImageNet-C's six)
FROST_FILES = ("frost1.png", "frost2.png", "frost3.png", "frost4.jpg", "frost5.jpg")


def frost_photograph_dir() -> Path | None:
    """The ``frost/`` folder of the installed ``imagecorruptions`` package, if it holds :data:`FROST_FILES`
    (found with ``importlib.util.find_spec``, which does not import the package or its OpenCV dependency)."""
    try:
        spec = importlib.util.find_spec("imagecorruptions")
    except (ImportError, ValueError):
        return None
    for base in (spec.submodule_search_locations or []) if spec else []:
        folder = Path(base) / "frost"
        if all((folder / f).is_file() for f in FROST_FILES):
            return folder
    return None


@lru_cache(maxsize=1)
def frost_photographs() -> tuple[np.ndarray, ...] | None:
    """The five frost photographs as grayscale images in [0, 1] (each its own size), read as MNIST-C reads them
    (``cv2.imread(f, 0)``: ITU-R 601 luma, the weights PIL's ``"L"`` uses); ``None`` without the package."""
    folder = frost_photograph_dir()
    if folder is None:
        return None
    from PIL import Image

    out = []
    for f in FROST_FILES:
        with Image.open(folder / f) as im:
            a = np.asarray(im.convert("RGB").convert("L"), dtype=np.float64) / 255.0
        a.setflags(write=False)
        out.append(a)
    return tuple(out)


def frost_source() -> str:
    """What frost is made from here, for the cache keys of the corrupted images and of what is computed from
    them: ``"photographs:<sha256 of the files>"`` or ``"stand-in"``."""
    folder = frost_photograph_dir()
    return "stand-in" if folder is None else f"photographs:{_digest(str(folder))}"


@lru_cache(maxsize=4)
def _digest(folder: str) -> str:
    """sha256 (16 hex digits) of :data:`FROST_FILES` in ``folder``, read once per process (every cache key of a
    frost image and of what is computed from it asks)."""
    h = hashlib.sha256()
    for f in FROST_FILES:
        h.update((Path(folder) / f).read_bytes())
    return h.hexdigest()[:16]


def frost(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Frost (severity 5): ``0.6 x + 0.75 f`` with ``f`` a random 28 x 28 crop of one of the five frost
    photographs (:func:`frost_photographs`), or of the procedural stand-ins (:func:`frost_textures`, with a
    warning) when the ``imagecorruptions`` package is not installed."""
    n = x.shape[0]
    photos = frost_photographs()
    if photos is None:
        warnings.warn("frost: the imagecorruptions package (ImageNet-C's frost photographs) is not installed; "
                      "using procedural stand-in textures (pip install --no-deps imagecorruptions)", stacklevel=2)
        photos = tuple(frost_textures())
    which = rng.integers(0, len(photos), n)
    heights = np.array([p.shape[0] for p in photos])[which]
    widths = np.array([p.shape[1] for p in photos])[which]
    r0 = rng.integers(0, heights - SIZE)
    c0 = rng.integers(0, widths - SIZE)
    crops = np.stack([photos[k][r:r + SIZE, c:c + SIZE] for k, r, c in zip(which, r0, c0)]) if n else \
        np.zeros((0, SIZE, SIZE))
    return clip01(0.6 * np.asarray(x, dtype=np.float64) + 0.75 * crops)


def snow(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Snow (severity 5): a N(0.55, 0.3^2) layer zoomed 2.5 x, thresholded at 0.85, motion-blurred (radius 12,
    sigma 12, angle uniform in [-135, -45] degrees) and added twice (as is and rotated by 180 degrees) to
    the image brightened as ``0.55 x + 0.45 max(x, 1.5 x + 0.5)``. As in MNIST-C the snow layer passes through
    uint8 before and after the blur (PNG round trip to ImageMagick)."""
    x = np.asarray(x, dtype=np.float64)
    layer = rng.normal(loc=0.55, scale=0.3, size=x.shape)
    layer = clipped_zoom(layer, 2.5)
    layer[layer < 0.85] = 0
    layer = np.floor(np.clip(layer, 0, 1) * 255) / 255  # MNIST-C: (clip * 255).astype(uint8)
    angles = rng.uniform(-135, -45, size=x.shape[0])
    layer = np.rint(motion_blur(layer, 12, 12, angles) * 255) / 255
    x = 0.55 * x + 0.45 * np.maximum(x, 1.5 * x + 0.5)
    return clip01(x + layer + np.rot90(layer, k=2, axes=(1, 2)))


def spatter(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Spatter, mud version (severity 4): a N(0.65, 0.3^2) layer blurred (sigma 1) and thresholded at 0.65
    gives a mask; the mask blurred (sigma 1.5) and cut below 0.8 is painted over the image in grey 63/255."""
    x = np.asarray(x, dtype=np.float64)
    liquid = gaussian(rng.normal(loc=0.65, scale=0.3, size=x.shape), 1.0)
    liquid[liquid < 0.65] = 0
    m = gaussian((liquid > 0.65).astype(np.float32), 1.5)
    m[m < 0.8] = 0
    return clip01(x * (1 - m) + 63 / 255 * m)
