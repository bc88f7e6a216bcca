"""Chapter 08, paper 2 Figs. 1 and 2: PGD∞ success against ε and against iterations."""

from __future__ import annotations

import numpy as np

from dprob_utils.analysis.intervals import bootstrap, mean_of
from dprob_utils.attacks import PGDCurves
from dprob_utils.config.profiles import Profile, get_profile
from dprob_utils.experiments.p2.intervals import (
    fooled_at,
    per_model,
    per_model_intervals,
    pooled_rates,
    stored_intervals,
    trend_intervals,
    versus_sgd,
)
from dprob_utils.experiments.p2.models import ChapterModel, lenet_and_custom, seed_models, summary
from dprob_utils.experiments.p2.runs import pgd
from dprob_utils.models import zoo


def curve_entry(c: PGDCurves, s) -> dict:
    """PGD success against the profile's ε grid and against its iteration grid (paper 2 Figs. 1, 2, 7)."""
    grid = [e for e in c.eps if e in s.pgd_eps]
    success = c.success()
    return {"eps": grid, "success_vs_eps": [success[c.eps.index(e)] for e in grid],
            "iterations": list(s.pgd_iter_grid), "success_vs_iterations": c.success_vs_iterations(s.pgd_iter_grid)}


def curve_points(cm: ChapterModel, prof: Profile) -> dict[str, object]:
    """Per attack point, fooled by PGD (``pgd_steps``) at each ε of the profile's grid (``"0"``, ``"1"``, ...: the
    grid's positions, increasing ε), for :func:`largest_drop`."""
    c, s = pgd(cm, prof), prof.p2_attacks
    return {str(i): fooled_at(c, e) for i, e in enumerate(sorted(s.pgd_eps))}


def largest_drop(prof: Profile, models: list[ChapterModel]) -> dict:
    """Per model, the 95% interval of the largest fall of PGD's success between neighbouring ε of the grid (0:
    the curve never falls; a bootstrap over the seeds, then the points, paired across ε: paper 2 Fig. 1's
    "success increases with ε")."""
    out = {}
    for m in models:
        runs = [curve_points(sm, prof) for sm in seed_models(prof, m)]
        n = len(runs[0])
        if n < 2 or not len(runs[0]["0"]):
            continue
        samples = {q: [r[q] for r in runs] for q in runs[0]}

        def stat(d: dict, n: int = n) -> float:
            curve = [mean_of(str(i))(d) for i in range(n)]
            return max(0.0, max(a - b for a, b in zip(curve, curve[1:])))
        out[m.key] = bootstrap(stat, samples, paired=True, seed=prof.seed).to_dict()
    return out


def _half_of(grid: list) -> float:
    """The largest value of ``grid`` at most half its largest (the start of the upper half of a curve)."""
    below = [g for g in grid if g <= max(grid) / 2]
    return max(below) if below else min(grid)


def plateau_points(cm: ChapterModel, prof: Profile) -> dict[str, object]:
    """Per attack point, PGD's outcome for the plateau tests of paper 2 Figs. 1, 2 and 7: fooled at the largest
    iteration budget (``final_iterations``, at ``pgd_iter_eps``) and that minus fooled at half of it
    (``gain_iterations``); fooled at the largest ε (``final_eps``, ``pgd_steps`` iterations) and that minus
    fooled at half of it (``gain_eps``). A plateau: the final success below 100% and no gain over the upper half."""
    c, s = pgd(cm, prof), prof.p2_attacks
    grid = list(s.pgd_iter_grid)
    row = c.first_fool[c.eps.index(s.pgd_iter_eps)]

    def by(i: float) -> np.ndarray:
        return ((row >= 0) & (row <= i)).double().numpy()

    eps = [e for e in c.eps if e in s.pgd_eps]
    top, half = max(grid), _half_of(grid)
    return {"final_iterations": by(top), "gain_iterations": by(top) - by(half),
            "final_eps": fooled_at(c, max(eps)), "gain_eps": fooled_at(c, max(eps)) - fooled_at(c, _half_of(eps))}


def _pgd_fooled_at_max_iterations(cm: ChapterModel, prof: Profile) -> tuple[int, int]:
    """PGD at ``pgd_iter_eps`` after the iteration grid's largest budget: (points fooled, points)."""
    c = pgd(cm, prof)
    rate = c.success_vs_iterations([max(prof.p2_attacks.pgd_iter_grid)])[0]
    n = int(c.first_fool.shape[1])
    return int(round(rate * n)), n


def _mean_success_points(cm: ChapterModel, prof: Profile) -> dict[str, object]:
    """Per attack point, the share of the profile's PGD ε grid at which PGD (``pgd_steps``) fools it: its mean
    over points is the mean of the success-vs-ε curve (paper 2 Fig. 1)."""
    c, s = pgd(cm, prof), prof.p2_attacks
    return {"mean_success": np.mean([fooled_at(c, e) for e in c.eps if e in s.pgd_eps], axis=0)}


def run_pgd(profile: Profile | str) -> dict:
    """Chapter 08, paper 2 Figs. 1 and 2: PGD∞ success against ε and against iterations, every LeNet and
    custom-CNN model. The results dict of ``results/<profile>/08_p2_pgd.json``."""
    prof = get_profile(profile)
    s = prof.p2_attacks
    models = lenet_and_custom(prof)
    out = {m.key: summary(m) | curve_entry(pgd(m, prof), s) for m in models}
    mean_success = per_model(lambda m: _mean_success_points(m, prof))

    def intervals() -> dict:
        return {"intervals": versus_sgd(prof, models, mean_success),
                "trend_intervals": trend_intervals(prof, models, mean_success),
                "plateau": per_model_intervals(prof, models, lambda m: plateau_points(m, prof)),
                "largest_drop": largest_drop(prof, models),
                "rate_intervals": {"success_at_max_iterations": pooled_rates(
                    prof, models, lambda m: _pgd_fooled_at_max_iterations(m, prof))}}

    return {"profile": prof.name,
            "settings": {"samples": s.samples, "steps": s.pgd_steps, "rel_stepsize": s.pgd_rel_stepsize,
                         "random_start": s.pgd_random_start, "iter_eps": s.pgd_iter_eps,
                         "seeds": zoo.headline_seeds(prof)},
            "models": out, **stored_intervals(prof, "pgd", models, intervals)}
