"""Chapter 01: every model of the book, trained (or loaded from the cache) with its accuracy and privacy."""

from __future__ import annotations

import numpy as np

from dprob_utils.analysis.intervals import bootstrap, difference_of
from dprob_utils.attacks import correct_under
from dprob_utils.config.profiles import Profile, get_profile
from dprob_utils.config.progress import progress as progress_bar
from dprob_utils.config.training import TrainConfig
from dprob_utils.data.datasets import ImageDataset, test_set
from dprob_utils.dp.privacy import epsilon_equation1
from dprob_utils.models import zoo


def run_training(profile: Profile | str) -> dict:
    """Train the models of ``zoo.paper1_specs`` and ``zoo.paper2_specs`` missing from the cache (several side by
    side, :func:`~dprob_utils.models.zoo.train_missing`), then one row per model: its summary (accuracy, ε by
    the RDP and PRV accountants and by paper 1's eq. (1), seconds), group, label, training-set size, steps,
    whether it came from the cache, and its whole training config (lr and its schedule, batch size, epochs, data
    subset, seed).
    Paper 1 Table 2's baseline row, paper 2 Table I's accuracies and paper 1's eq. (1) for σ = 1.3,
    δ = 10⁻⁶. The results dict of ``results/<profile>/01_training.json``."""
    prof = get_profile(profile)
    specs = zoo.training_specs(prof)
    trained_now = zoo.train_missing([s.config for s in specs], prof)
    rows = []
    for spec in progress_bar(specs, desc="models"):
        _, res = zoo.load(spec.config, prof)
        row = res.summary(delta=prof.delta)
        cfg = spec.config
        row.update(group=spec.group, label=spec.label, train_size=res.train_size, steps=res.steps,
                   cached=res.key not in trained_now, lr=cfg.lr, lr_schedule=cfg.lr_schedule,
                   batch_size=cfg.batch_size, epochs=cfg.epochs, train_subset=cfg.train_subset,
                   dataset=cfg.dataset, seed=cfg.seed)
        rows.append(row)
    return {"profile": prof.name, "delta": prof.delta, "models": rows, "intervals": clean_accuracy_intervals(prof),
            "eq1_sigma1.3_delta1e-6": epsilon_equation1(1.3, 1e-6),
            "total_training_seconds": float(sum({r["key"]: r["seconds"] for r in rows}.values()))}


def _correct_on_test(cfg: TrainConfig, prof: Profile, test: ImageDataset) -> np.ndarray:
    """``bool [N]``: which images of ``test`` the (cached) model ``cfg`` classifies correctly."""
    model, _ = zoo.load(cfg, prof)
    return correct_under(model, None, test.x, test.y).numpy()


def clean_accuracy_intervals(prof: Profile) -> dict:
    """Chapter 01, paper 1 Table 2's baseline row: 95% intervals of the clean-accuracy differences its claims
    compare (fractions in [-1, 1]), by a bootstrap paired over the 10,000 test images and, for SGD against
    DP-SGD σ = 1.3, C = 1, over the headline training seeds too (seed i of SGD with seed i of DP-SGD: the same
    initialisation)."""
    seeds, test = zoo.headline_seeds(prof), test_set("mnist")
    sgd = [_correct_on_test(zoo.p1_sgd(prof, s), prof, test) for s in seeds]
    dp = [_correct_on_test(zoo.p1_dp(prof, seed=s), prof, test) for s in seeds]
    out = {"p1_sgd_minus_dp": bootstrap(difference_of("sgd", "dp"), {"sgd": sgd, "dp": dp}, paired=True,
                                        seed=prof.seed).to_dict()}
    sigmas = [s for s in (0.7, 1.3, 1.5) if (s, 1.0) in prof.p1_grid.dpsgd_settings()]
    at_c1 = {s: [_correct_on_test(zoo.p1_dp(prof, s, 1.0), prof, test)] for s in sigmas}
    for lo, hi in zip(sigmas, sigmas[1:]):
        out[f"p1_sigma{lo:g}_minus_sigma{hi:g}"] = bootstrap(
            difference_of("lo", "hi"), {"lo": at_c1[lo], "hi": at_c1[hi]}, paired=True, seed=prof.seed).to_dict()
    return out
