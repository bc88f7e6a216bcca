"""What paper 1's MNIST chapters (02-06) share: the attacked test images, loading a model, the stored
correct-under-attack vectors and intervals, small helpers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np
import torch
from torch import nn

from dprob_utils import attacks
from dprob_utils.analysis.intervals import (
    bootstrap,
    difference_of,
)
from dprob_utils.config import versions
from dprob_utils.config.devices import training_device
from dprob_utils.config.profiles import Profile, get_profile
from dprob_utils.config.training import TrainConfig
from dprob_utils.data.datasets import ImageDataset, test_set
from dprob_utils.models import zoo
from dprob_utils.store import core
from dprob_utils.store.core import stored


def device() -> torch.device:
    """Where the chapters attack: :func:`dprob_utils.config.devices.training_device` (``DPROB_DEVICE``, else a GPU when
    PyTorch sees one, else the CPU)."""
    return training_device()


@dataclass
class Setup:
    """The profile, the device and the attacked test images (on the device)."""

    prof: Profile
    device: torch.device
    test: ImageDataset
    x: torch.Tensor
    y: torch.Tensor


def setup(profile: str | Profile) -> Setup:
    """Profile, device and the test subset of ``p1_attacks.test_samples`` images (stratified, seed 0)."""
    prof = get_profile(profile)
    dev = device()
    test = test_set("mnist", prof.p1_attacks.test_samples)
    return Setup(prof, dev, test, test.x.to(dev), test.y.to(dev))


def load_model(cfg: TrainConfig, s: Setup) -> tuple[nn.Module, dict]:
    """The model of ``cfg`` (cached or trained now) on the device, and its training summary."""
    model, result = zoo.load(cfg, s.prof)
    model = model.to(s.device).eval()
    summary = result.summary(delta=s.prof.delta)
    summary["label"] = cfg.label()
    return model, summary


def pct(v: float) -> float:
    return round(100.0 * float(v), 4)


def public(d: dict) -> dict:
    """``d`` without the keys starting with ``_`` (raw arrays for figures), recursively."""
    if isinstance(d, dict):
        return {k: public(v) for k, v in d.items() if not str(k).startswith("_")}
    if isinstance(d, list):
        return [public(v) for v in d]
    return d


def interp(xs: list[float], ys: list[float], at: float) -> float:
    """Linear interpolation of ``ys`` over ``xs`` at ``at`` (exact when ``at`` is a grid point)."""
    return float(np.interp(at, np.asarray(xs, dtype=float), np.asarray(ys, dtype=float)))


def correct_under(cfg: TrainConfig, s: Setup, attack: str, params: dict, attack_fn,
                   n: int | None = None) -> np.ndarray:
    """``bool [n]``: which of the first ``n`` (default all) of the chapter's test images ``cfg``'s model
    classifies correctly after ``attack_fn(model, x, y)`` (``None``: clean), stored per model, attack, ``params``."""
    model, _ = load_model(cfg, s)
    x, y = s.x[:n], s.y[:n]
    parts = {"model": cfg.key(), "attack": attack, **params, "test_samples": len(s.y), "device": str(s.device),
             "version": versions.P1_EXPERIMENT_VERSION} | ({} if n is None else {"first": n})
    return stored(f"p1_{attack}_points", parts, lambda: attacks.correct_under(model, attack_fn, x, y).cpu().numpy())


def correct_under_fgsm(cfg: TrainConfig, s: Setup, eps: float) -> np.ndarray:
    """``bool [n]``: which of the chapter's test images ``cfg``'s model classifies correctly after FGSM at ε."""
    return correct_under(cfg, s, "fgsm", {"eps": eps},
                          (lambda m, x, y: attacks.fgsm(m, x, y, eps)) if eps > 0 else None)


def correct_under_pgd(cfg: TrainConfig, s: Setup, eps: float, steps: int) -> np.ndarray:
    """``bool [n]``: correct after L∞ PGD (ε, ``steps``, the profile's step-size rule and start) on Table 1's
    test images (the first ``pgd_samples`` of the chapter's)."""
    a = s.prof.p1_attacks
    alpha = attacks.pgd_alpha(eps, steps, a.pgd_alpha_rule)
    params = {"eps": eps, "steps": steps, "alpha": alpha, "random_start": a.pgd_random_start}
    return correct_under(cfg, s, "pgd", params, lambda m, x, y: attacks.pgd_linf(
        m, x, y, eps, alpha, steps, random_start=a.pgd_random_start), a.pgd_samples)


def stored_intervals(s: Setup, name: str, compute: Callable[[], dict], **extra) -> dict:
    """A chapter's intervals, ``compute()``, stored under ``p1_<name>_intervals`` (a function of the stored
    per-image results of paper 1's models), so a warm chapter does not redo the bootstraps."""
    parts = stored_parts(s, models=[spec.config.key() for spec in zoo.paper1_specs(s.prof)],
                          test_samples=len(s.y), seed=s.prof.seed, **extra)
    return core.stored_intervals(f"p1_{name}_intervals", parts, compute)


def rate(correct: np.ndarray) -> float:
    return int(correct.sum()) / len(correct) if len(correct) else 0.0


def on_common_images(sgd: TrainConfig, dp: TrainConfig, s: Setup, n: int,
                      measure: Callable[[nn.Module, torch.Tensor, torch.Tensor], torch.Tensor]) -> dict:
    """``{"sgd": [n], "dp": [n]}``: ``measure(model, x, y)`` of each model of a pair on the first ``n`` of the
    chapter's test images that both classify correctly (numpy arrays)."""
    ms, md = load_model(sgd, s)[0], load_model(dp, s)[0]
    both = attacks.correct_under(ms, None, s.x, s.y) & attacks.correct_under(md, None, s.x, s.y)
    idx = torch.nonzero(both).squeeze(1)[:n].to(s.device)
    return {name: measure(m, s.x[idx], s.y[idx]).cpu().numpy() for name, m in (("sgd", ms), ("dp", md))}


def pair_difference(s: Setup, runs_of: Callable[[TrainConfig, TrainConfig, Setup], dict], a: str, b: str,
                     empty_ok: bool = False) -> dict:
    """95% interval of ``mean(a) − mean(b)`` (``a``, ``b``: ``"sgd"`` / ``"dp"``) of the per-image values that
    ``runs_of(sgd, dp, s)`` gives for the pair of each headline seed, paired over the images and the seeds
    (``{}`` when a seed has no image and ``empty_ok``)."""
    pairs = [zoo.p1_pair(s.prof, seed) for seed in zoo.headline_seeds(s.prof)]
    runs = [runs_of(p["sgd"], p["dp"], s) for p in pairs]
    samples = {m: [r[m] for r in runs] for m in ("sgd", "dp")}
    if empty_ok and any(len(v) == 0 for arrs in samples.values() for v in arrs):
        return {}
    return bootstrap(difference_of(a, b), samples, paired=True, seed=s.prof.seed).to_dict()


def stored_parts(s: Setup, **extra) -> dict:
    """What determines a stored SGD-vs-DP-SGD result of this module: both models, the attack settings, device."""
    return {"sgd": zoo.p1_sgd(s.prof).key(), "dpsgd": zoo.p1_dp(s.prof).key(), "attacks": asdict(s.prof.p1_attacks),
            "device": str(s.device), "version": versions.P1_EXPERIMENT_VERSION, **extra}


def stats(v: torch.Tensor) -> dict:
    v = v[torch.isfinite(v)].double()
    if len(v) == 0:
        return {"n": 0, "mean": None, "median": None, "std": None}
    return {"n": len(v), "mean": float(v.mean()), "median": float(v.median()), "std": float(v.std()) if len(v) > 1
            else 0.0}
