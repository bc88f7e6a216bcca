"""Corrupted test sets on disk: generated once per (corruption, seed, exact test subset) and cached, and
the released MNIST-C files when a user has them.

Generated images are stored as uint8 (rounded), the form of the released MNIST-C files, under
``<cache>/mnistc/<name>-seed<seed>-<key>.pt`` (a tensor entry of the one store, written atomically). ``key``
hashes the corruption code version, the seed, the test subset (its indices and pixels) and, for pessimal
noise, the noise matrix.
"""

from __future__ import annotations

import hashlib
import os
import zlib
from pathlib import Path

import numpy as np
import torch

from dprob_utils.config import versions
from dprob_utils.config.errors import DataError
from dprob_utils.config.paths import cache_dir
from dprob_utils.data.corruptions.registry import NAMES, RELEASED, spec
from dprob_utils.data.corruptions.weather import frost_source
from dprob_utils.data.datasets import ImageDataset
from dprob_utils.store.core import content_key, stored_at

# Bump when a change to a corruption changes its output: it is part of every cache key.
RELEASED_ENV = "DPROB_MNISTC"


def rng_for(name: str, seed: int) -> np.random.Generator:
    """The random stream of corruption ``name`` at ``seed`` (independent streams across corruptions)."""
    return np.random.default_rng([int(seed), zlib.crc32(name.encode())])


def apply(name: str, x, seed: int = 0, *, pessimal_matrix: np.ndarray | None = None):
    """Corrupt images ``x`` with corruption ``name``, deterministically for ``seed``.

    Args:
        name: one of :data:`NAMES` (``identity`` and the 31 corruptions of paper 1's Table 2).
        x: images in [0, 1] whose last two axes are 28 x 28 (``[N, 1, 28, 28]``, ``[N, 28, 28]`` or
            ``[28, 28]``), as a numpy array or a torch tensor.
        seed: seed of the corruption's randomness.
        pessimal_matrix: the 196 x 196 matrix of ``pessimal_noise`` (see :func:`.pessimal.pessimal_matrix`);
            ``None`` gives isotropic noise (tests only).

    Returns:
        float32 images in [0, 1] of ``x``'s shape, a tensor if ``x`` is one, else a numpy array.
    """
    s = spec(name)
    is_torch = isinstance(x, torch.Tensor)
    arr = x.detach().cpu().numpy() if is_torch else np.asarray(x)
    shape = arr.shape
    if arr.ndim < 2 or shape[-2:] != (28, 28):
        raise ValueError(f"MNIST-C corruptions need 28 x 28 images (last two axes); got shape {shape}")
    batch = arr.reshape(-1, 28, 28).astype(np.float64)
    rng = rng_for(name, seed)
    if name == "pessimal_noise":
        out = s.fn(batch, rng, matrix=pessimal_matrix)
    else:
        out = s.fn(batch, rng)
    out = np.asarray(out, dtype=np.float32).reshape(shape)
    return torch.from_numpy(out) if is_torch else out


def _fingerprint(ds: ImageDataset) -> str:
    h = hashlib.sha256()
    h.update(np.ascontiguousarray(ds.indices.numpy()).tobytes())
    h.update(np.ascontiguousarray(np.rint(ds.x.numpy() * 255).astype(np.uint8)).tobytes())
    return h.hexdigest()


def cache_path(name: str, ds: ImageDataset, seed: int, pessimal_matrix: np.ndarray | None = None) -> Path:
    """Where :func:`corrupted` keeps corruption ``name`` of ``ds`` at ``seed``."""
    parts = {"name": name, "seed": seed, "version": versions.CORRUPTION_CODE_VERSION, "data": _fingerprint(ds)}
    if name == "frost":
        parts["frost"] = frost_source()
    if name == "pessimal_noise":
        m = np.eye(196) if pessimal_matrix is None else np.asarray(pessimal_matrix, dtype=np.float64)
        parts["matrix"] = hashlib.sha256(np.ascontiguousarray(m).tobytes()).hexdigest()
    return cache_dir() / "mnistc" / f"{name}-seed{seed}-{content_key(parts)}.pt"


def corrupted(ds: ImageDataset, name: str, seed: int = 0, *, pessimal_matrix: np.ndarray | None = None,
              use_cache: bool = True) -> torch.Tensor:
    """Corruption ``name`` of the images of ``ds`` (``[N, 1, 28, 28]`` float32 in [0, 1], quantised to
    multiples of 1/255 like the released files), from the disk cache or generated now and cached."""
    def compute() -> dict:
        out = apply(name, ds.x.numpy(), seed, pessimal_matrix=pessimal_matrix)
        return {"u8": torch.from_numpy(np.clip(np.rint(out * 255), 0, 255).astype(np.uint8))}

    if not use_cache:
        u8 = compute()["u8"]
    else:
        path = cache_path(name, ds, seed, pessimal_matrix)
        u8 = stored_at(path, compute)["u8"]
        if tuple(u8.shape) != tuple(ds.x.shape) or u8.dtype != torch.uint8:  # a foreign entry: recompute
            path.unlink(missing_ok=True)
            u8 = stored_at(path, compute)["u8"]
    return torch.from_numpy(u8.numpy().astype(np.float32) / 255)


def released_root(path: str | os.PathLike | None = None) -> Path | None:
    """The released MNIST-C directory: ``path``, else ``$DPROB_MNISTC``, else ``None``. The directory holds
    ``<name>/test_images.npy`` and ``<name>/test_labels.npy`` (it may be the ``mnist_c`` folder itself or
    its parent)."""
    root = path if path is not None else os.environ.get(RELEASED_ENV) or None
    if root is None:
        return None
    root = Path(root).expanduser()
    if not (root / "identity").is_dir() and (root / "mnist_c").is_dir():
        root = root / "mnist_c"
    if not root.is_dir():
        raise DataError(f"MNIST-C directory {root} does not exist (from {'path' if path else RELEASED_ENV})")
    return root


def released_available(path: str | os.PathLike | None = None) -> list[str]:
    """The corruptions of :data:`NAMES` present in the released directory (empty when none is given)."""
    root = released_root(path)
    if root is None:
        return []
    return [n for n in NAMES if (root / n / "test_images.npy").is_file()]


def load_released(name: str, path: str | os.PathLike | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Released MNIST-C test images of corruption ``name`` as ``([10000, 1, 28, 28]`` float32 in [0, 1],
    ``[10000]`` int64 labels); the directory as in :func:`released_root`.

    Raises:
        DataError: no directory given, a file missing, or a file of the wrong shape or type.
    """
    root = released_root(path)
    if root is None:
        raise DataError(f"no MNIST-C directory: pass path= or set {RELEASED_ENV}")
    if name not in RELEASED:
        raise DataError(f"the released MNIST-C has no {name!r}; it has {', '.join(RELEASED)}")
    img_path, lab_path = root / name / "test_images.npy", root / name / "test_labels.npy"
    for p in (img_path, lab_path):
        if not p.is_file():
            raise DataError(f"{p} not found; the MNIST-C directory should hold <name>/test_images.npy and "
                            "<name>/test_labels.npy")
    try:
        x, y = np.load(img_path), np.load(lab_path)
    except (OSError, ValueError) as exc:
        raise DataError(f"{root / name}: cannot read the MNIST-C files ({exc})") from exc
    if x.dtype != np.uint8 or x.ndim != 4 or x.shape[1:] != (28, 28, 1) or y.shape != (x.shape[0],):
        raise DataError(f"{img_path}: expected uint8 images [N, 28, 28, 1] and N labels, got {x.dtype} "
                        f"{x.shape} and labels {y.shape}")
    xt = torch.from_numpy(x.transpose(0, 3, 1, 2).astype(np.float32) / 255)
    return xt, torch.from_numpy(y.astype(np.int64))
