"""Chapter 01: every model of the book, trained (or loaded from the cache) with its accuracy and privacy."""

from __future__ import annotations

from dprob_utils.config.profiles import Profile, get_profile
from dprob_utils.config.progress import progress as bar
from dprob_utils.dp.privacy import epsilon_equation1
from dprob_utils.models import zoo


def run_training(profile: Profile | str) -> dict:
    """Train the models of ``zoo.paper1_specs`` and ``zoo.paper2_specs`` missing from the cache (several side by
    side, :func:`~dprob_utils.models.zoo.train_missing`), then one row per model: its summary (accuracy, ε by
    the RDP and PRV accountants and by paper 1's eq. (1), seconds), group, label, training-set size, steps and
    whether it came from the cache. Paper 1 Table 2's baseline row, paper 2 Table I's accuracies and paper 1's
    eq. (1) for σ = 1.3, δ = 10⁻⁶. The results dict of ``results/<profile>/01_training.json``."""
    prof = get_profile(profile)
    specs = zoo.paper1_specs(prof) + zoo.paper2_specs(prof)
    trained_now = zoo.train_missing([s.config for s in specs], prof)
    rows = []
    for spec in bar(specs, desc="models"):
        _, res = zoo.load(spec.config, prof)
        row = res.summary(delta=prof.delta)
        row.update(group=spec.group, label=spec.label, train_size=res.train_size, steps=res.steps,
                   cached=res.key not in trained_now)
        rows.append(row)
    return {"profile": prof.name, "delta": prof.delta, "models": rows,
            "eq1_sigma1.3_delta1e-6": epsilon_equation1(1.3, 1e-6),
            "total_training_seconds": float(sum(r["seconds"] for r in rows))}
