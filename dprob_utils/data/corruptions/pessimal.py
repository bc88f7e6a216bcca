"""The matrix of MNIST-C's pessimal noise, learned as MNIST-C learned it (its ``pessimal_noise.ipynb``).

MNIST-C draws ``z ~ N(0, I_196)``, maps it through a 196 x 196 matrix ``A``, rescales the result to L2 norm
``10.63 / 4`` and tiles it 2 x 2 over the image. ``A`` starts at the identity and is trained by plain SGD
(learning rate 1000, batch 100) to *maximise* the cross-entropy of a trained CNN on noisy training images,
so the noise concentrates on the directions that hurt that CNN most. The released matrix (the binary pickle
``pessimal_noise_matrix`` of MNIST-C's repository) is used when a user names it (``DPROB_PESSIMAL_MATRIX``, a
path: :func:`released_matrix`); otherwise :func:`pessimal_matrix` learns one the same way against a
reference model that is *not* one of the models evaluated (paper 2's SGD-trained custom CNN by default), so
every evaluated model sees the noise as a transfer attack, as in the paper.
"""

from __future__ import annotations

import hashlib
import os
import pickle
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from dprob_utils.config.errors import DataError
from dprob_utils.config.paths import cache_dir
from dprob_utils.data.corruptions.noise import PESSIMAL_EPS
from dprob_utils.store.core import content_key, stored_at


def fit_pessimal_matrix(model: nn.Module, x: torch.Tensor, y: torch.Tensor, steps: int, batch_size: int = 100,
                        lr: float = 1000.0, seed: int = 0) -> np.ndarray:
    """Learn ``A`` (196 x 196) by ``steps`` SGD steps maximising ``model``'s loss on ``x + noise(A)``.

    Args:
        model: a trained classifier of ``[N, 1, 28, 28]`` images in [0, 1]; left unchanged (eval mode).
        x, y: training images ``[N, 1, 28, 28]`` in [0, 1] and labels ``[N]``; batches are drawn at random.
        steps: optimiser steps (MNIST-C: 135 epochs of 600 steps).
        batch_size, lr: MNIST-C's 100 and 1000 (no momentum).
        seed: seed of batch order and noise.
    """
    gen = torch.Generator().manual_seed(seed)
    device = next(model.parameters()).device  # the random draws stay on the CPU generator
    model.eval()
    for p in model.parameters():
        p.requires_grad_(False)
    a = torch.eye(196, device=device, requires_grad=True)
    opt = torch.optim.SGD([a], lr=lr)
    n = len(y)
    try:
        for _ in range(steps):
            idx = torch.randint(0, n, (batch_size,), generator=gen)
            noise = torch.randn(batch_size, 196, generator=gen).to(device) @ a
            noise = noise / noise.norm(dim=1, keepdim=True) * (PESSIMAL_EPS / 4)
            tiled = noise.view(batch_size, 1, 14, 14).repeat(1, 1, 2, 2)
            xb, yb = x[idx].to(device), y[idx].to(device)
            loss = -F.cross_entropy(model(torch.clamp(xb + tiled, 0, 1)), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
    finally:
        for p in model.parameters():
            p.requires_grad_(True)
    return a.detach().cpu().numpy().astype(np.float64)


class _ArrayUnpickler(pickle.Unpickler):
    """An unpickler that rebuilds numpy arrays and refuses every other class (a pickle can run any code)."""

    ALLOWED = {("numpy", "ndarray"), ("numpy", "dtype"), ("numpy.core.multiarray", "_reconstruct"),
               ("numpy._core.multiarray", "_reconstruct"), ("numpy.core.multiarray", "scalar"),
               ("numpy._core.multiarray", "scalar")}

    def find_class(self, module: str, name: str):
        if (module, name) not in self.ALLOWED:
            raise pickle.UnpicklingError(f"{module}.{name} is not a numpy array part")
        return super().find_class(module, name)


def released_matrix(path: Path) -> tuple[np.ndarray, dict]:
    """MNIST-C's released 196 x 196 matrix from ``path`` (its ``pessimal_noise_matrix`` pickle, or a ``.npy``),
    and its description; :class:`DataError` in one line when the file is missing or is not such a matrix."""
    if not path.is_file():
        raise DataError(f"DPROB_PESSIMAL_MATRIX={path}: no such file (MNIST-C's pessimal_noise_matrix pickle)")
    try:
        if path.suffix == ".npy":
            a = np.load(path, allow_pickle=False)
        else:
            with open(path, "rb") as fh:  # MNIST-C released the matrix as a pickle: numpy arrays only, nothing else
                a = _ArrayUnpickler(fh, encoding="latin1").load()
        a = np.asarray(a, dtype=np.float64)
    except (OSError, ValueError, pickle.UnpicklingError, EOFError, TypeError) as exc:
        raise DataError(f"DPROB_PESSIMAL_MATRIX={path}: not a readable matrix ({exc})") from None
    if a.shape != (196, 196) or not np.all(np.isfinite(a)):
        raise DataError(f"DPROB_PESSIMAL_MATRIX={path}: expected a finite 196 x 196 matrix, got shape {a.shape}")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    return a, {"source": "released", "path": str(path), "sha256": digest, "cached": True}


def pessimal_source() -> str:
    """Which matrix :func:`pessimal_matrix` gives, for cache keys: ``"released:<sha256>"`` or ``"learned"``."""
    named = os.environ.get("DPROB_PESSIMAL_MATRIX")
    if not named:
        return "learned"
    path = Path(named)
    return f"released:{hashlib.sha256(path.read_bytes()).hexdigest()[:16]}" if path.is_file() else f"missing:{named}"


def pessimal_matrix(profile, progress: bool | None = None) -> tuple[np.ndarray, dict]:
    """The matrix for ``profile``: MNIST-C's released one when ``DPROB_PESSIMAL_MATRIX`` names it
    (:func:`released_matrix`), else the learned matrix for ``profile`` (a name or :class:`~dprob_utils.config.profiles.Profile`) and a description
    of how it was made; learned once and cached under ``<cache>/mnistc``.

    The reference model is the SGD model of ``profile.mnistc.pessimal_reference_arch`` of paper 2's chapters
    (``zoo.p2_model``; shared with them, and not one of the models Table 2 evaluates); the optimisation runs
    ``profile.mnistc.pessimal_steps`` steps on that model's training subset.
    """
    from dprob_utils.config.profiles import get_profile
    from dprob_utils.data.datasets import load_dataset, subset
    from dprob_utils.models import zoo

    prof = get_profile(profile)
    named = os.environ.get("DPROB_PESSIMAL_MATRIX")
    if named:
        return released_matrix(Path(named))
    mc = prof.mnistc
    cfg = zoo.p2_model(prof, mc.pessimal_reference_arch)
    info = {"reference_model": f"{cfg.arch} {cfg.label()}", "reference_key": cfg.key(),
            "steps": mc.pessimal_steps, "batch_size": mc.pessimal_batch_size, "lr": mc.pessimal_lr,
            "seed": prof.seed}
    key = content_key(info)
    path = cache_dir() / "mnistc" / f"pessimal-{key}.pt"
    trained_now: dict = {}

    def compute() -> dict:
        model, result = zoo.load(cfg, prof, progress=progress)
        trained_now["reference_accuracy"] = result.accuracy
        train = subset(load_dataset("mnist", "train"), cfg.train_subset, "stratified", seed=0)
        return {"matrix": fit_pessimal_matrix(model, train.x, train.y, mc.pessimal_steps, mc.pessimal_batch_size,
                                              mc.pessimal_lr, seed=prof.seed),
                "reference_accuracy": result.accuracy}

    entry = stored_at(path, compute)
    a = np.asarray(entry["matrix"], dtype=np.float64)
    if a.shape != (196, 196) or not np.all(np.isfinite(a)):  # a foreign entry: learn it again
        path.unlink(missing_ok=True)
        entry = stored_at(path, compute)
        a = np.asarray(entry["matrix"], dtype=np.float64)
    if trained_now:
        return a, {**info, **trained_now, "cached": False}
    return a, {**info, "cached": True}
