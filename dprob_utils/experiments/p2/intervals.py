"""The interval recipes of paper 2's chapters (08-11): a model against its SGD baseline, trends along
the σ/C grid, shares and pooled rates; each a bootstrap over the headline seeds, then the points.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict

import numpy as np

from dprob_utils.analysis.intervals import bootstrap, mean_of, wilson
from dprob_utils.attacks import PGDCurves
from dprob_utils.config import versions
from dprob_utils.config.profiles import Profile
from dprob_utils.experiments.p2.models import ChapterModel, seed_models
from dprob_utils.store import core


def versus_sgd(prof: Profile, models: list[ChapterModel], values: Callable[[ChapterModel], dict[str, object]],
                statistic: Callable[[str], Callable[[dict], float]] | None = None) -> dict:
    """95% intervals, per DP model of ``models`` and per quantity of ``values`` (``{name: per-point array}`` of
    one model), of the DP model's statistic minus its architecture's SGD baseline's: a bootstrap over the
    headline seeds, then over each model's own attack points (unpaired: each model is attacked on the points
    it classifies correctly). ``statistic(name)`` defaults to the mean over seeds of the mean over points.
    Returns ``{dp key: {"<quantity>_minus_sgd": interval dict}}``."""
    stat = statistic or mean_of
    per = seed_values(prof, models, values)
    out: dict = {}
    for m in models:
        sgd = next((b for b in models if b.arch == m.arch and b.cfg.mode == "sgd"), None)
        if m.cfg.mode == "sgd" or sgd is None:
            continue
        out[m.key] = {}
        for q in per[m.key][0]:
            samples = {"dp": [v[q] for v in per[m.key]], "sgd": [v[q] for v in per[sgd.key]]}
            a, b = stat("dp"), stat("sgd")
            iv = bootstrap(lambda d, a=a, b=b: a(d) - b(d), samples, seed=prof.seed)
            out[m.key][f"{q}_minus_sgd"] = iv.to_dict()
    return out


def seed_values(prof: Profile, models: list[ChapterModel], values: Callable[[ChapterModel], dict[str, object]]
           ) -> dict[str, list[dict]]:
    """Per model key, ``values`` of each of its headline seeds' models."""
    return {m.key: [values(sm) for sm in seed_models(prof, m)] for m in models}


def per_model(values: Callable[[ChapterModel], dict[str, object]]) -> Callable[[ChapterModel], dict[str, object]]:
    """``values`` computed once per model key (a chapter's interval helpers each read every seed's stored run)."""
    seen: dict[str, dict[str, object]] = {}
    return lambda m: seen[m.key] if m.key in seen else seen.setdefault(m.key, values(m))


def per_model_intervals(prof: Profile, models: list[ChapterModel],
                        values: Callable[[ChapterModel], dict[str, object]],
                        statistic: Callable[[str], Callable[[dict], float]] | None = None) -> dict:
    """95% intervals of each model's own statistic (default: mean over seeds of the mean over points) of each
    quantity of ``values``: a bootstrap over its seeds, then its points. ``{key: {quantity: interval dict}}``."""
    stat = statistic or mean_of
    per = seed_values(prof, models, values)
    return {k: {q: bootstrap(stat("m"), {"m": [v[q] for v in runs]}, seed=prof.seed).to_dict() for q in runs[0]}
            for k, runs in per.items()}


def trend_pairs(models: list[ChapterModel]) -> dict[str, dict[str, list[tuple[str, str, str]]]]:
    """Paper 2's trends (Tables II, III; Figs. 1, 2) as pairs of neighbouring settings of one architecture:
    ``{arch: {"σ1.3": [(label "C 1→3", key a, key b), ...], "C1": [("σ 0→1.3", a, b), ...], "C10": [...]}}``,
    C increasing at σ = 1.3 and σ increasing at C = 1 and at C = 10 (only the settings the profile trains)."""
    out: dict = {}
    for arch in dict.fromkeys(m.arch for m in models):
        dp = [m for m in models if m.arch == arch and m.cfg.mode != "sgd" and m.group != "masked"]
        groups = {"σ1.3": sorted((m for m in dp if m.cfg.sigma == 1.3), key=lambda m: m.cfg.clip)}
        for c in (1.0, 10.0):
            groups[f"C{c:g}"] = sorted((m for m in dp if m.cfg.clip == c), key=lambda m: m.cfg.sigma)
        out[arch] = {}
        for name, ms in groups.items():
            var = "C" if name == "σ1.3" else "σ"
            val = (lambda m: m.cfg.clip) if var == "C" else (lambda m: m.cfg.sigma)
            out[arch][name] = [(f"{var} {val(a):g}→{val(b):g}", a.key, b.key) for a, b in zip(ms, ms[1:])]
    return out


def trend_intervals(prof: Profile, models: list[ChapterModel], values: Callable[[ChapterModel], dict[str, object]],
                    statistic: Callable[[str], Callable[[dict], float]] | None = None) -> dict:
    """95% intervals of the increase ``stat(b) − stat(a)`` of each quantity of ``values`` along every pair of
    :func:`trend_pairs` (a bootstrap over each model's seeds, then its own points, unpaired).
    ``{quantity: {arch: {group: {label: interval dict}}}}``."""
    stat = statistic or mean_of
    per = seed_values(prof, models, values)
    out: dict = {}
    for arch, groups in trend_pairs(models).items():
        # the quantities of this architecture's models (a layer name, for example, belongs to one architecture)
        quantities = list(next(per[m.key][0] for m in models if m.arch == arch))
        for group, pairs in groups.items():
            for q in quantities:
                cell = out.setdefault(q, {}).setdefault(arch, {}).setdefault(group, {})
                for label, a, b in pairs:
                    samples = {"a": [v[q] for v in per[a]], "b": [v[q] for v in per[b]]}
                    cell[label] = bootstrap(lambda d: stat("b")(d) - stat("a")(d), samples, seed=prof.seed).to_dict()
    return out


def _joint_samples(prof: Profile, models: list[ChapterModel], values: Callable[[ChapterModel], dict[str, object]],
                   quantity: str) -> dict[str, list]:
    return {k: [v[quantity] for v in runs] for k, runs in seed_values(prof, models, values).items()}


def share_below_sgd(prof: Profile, models: list[ChapterModel], values: Callable[[ChapterModel], dict[str, object]],
                    quantity: str, statistic: Callable[[str], Callable[[dict], float]] | None = None) -> dict:
    """95% interval of the share of DP models (both architectures, masked ones excluded) whose statistic of
    ``quantity`` is below their architecture's SGD baseline's (paper 2: "in the majority of cases smaller"), by
    a bootstrap over every model's seeds and points at once."""
    stat = statistic or mean_of
    dp = [m for m in models if m.cfg.mode != "sgd" and m.group != "masked"]
    sgd = {m.arch: m.key for m in models if m.cfg.mode == "sgd"}
    dp = [m for m in dp if m.arch in sgd]
    if not dp:
        return {}
    samples = _joint_samples(prof, models, values, quantity)
    return bootstrap(lambda d: float(np.mean([stat(m.key)(d) < stat(sgd[m.arch])(d) for m in dp])), samples,
                     seed=prof.seed).to_dict()


def most_above_rest(prof: Profile, models: list[ChapterModel], top: list[str],
                    values: Callable[[ChapterModel], dict[str, object]], quantity: str) -> dict:
    """95% interval of the smallest mean of ``quantity`` among the ``top`` models minus the largest among all
    the others (positive: every ``top`` model above every other one), by a bootstrap over every model's seeds and
    points at once. Empty when a ``top`` model is not in this profile."""
    keys = [m.key for m in models]
    if not top or any(t not in keys for t in top):
        return {}
    samples = _joint_samples(prof, models, values, quantity)

    def stat(d: dict) -> float:
        return min(mean_of(t)(d) for t in top) - max(mean_of(k)(d) for k in keys if k not in top)
    return bootstrap(stat, samples, seed=prof.seed).to_dict()


def pooled_rates(prof: Profile, models: list[ChapterModel],
                 counts: Callable[[ChapterModel], tuple[int, int]]) -> dict[str, dict]:
    """Per model of ``models``, the Wilson 95% interval of a success rate pooled over its headline seeds:
    ``counts(model)`` gives ``(successes, points)`` of one seed's model. ``{arch: {key: interval dict}}``."""
    out: dict = {}
    for m in models:
        runs = [counts(sm) for sm in seed_models(prof, m)]
        iv = wilson(sum(k for k, _ in runs), sum(n for _, n in runs)).to_dict()
        out.setdefault(m.arch, {})[m.key] = iv | {"n_seeds": len(runs), "n_points": min(n for _, n in runs),
                           "method": "Wilson, points pooled over seeds"}
    return out


def fooled_at(c: PGDCurves, e: float) -> np.ndarray:
    """Per attack point, 1 if PGD at ε = ``e`` fooled it within the sweep's ``steps`` iterations, else 0."""
    r = c.first_fool[c.eps.index(e)]
    return ((r >= 0) & (r <= c.steps)).double().numpy()


def max_of(name: str) -> Callable[[dict], float]:
    """The statistic 'mean over seeds of the largest per-point value' (paper 2 Table II: the L2 bound at which
    every point is fooled)."""
    return lambda d: float(np.mean([a.max() for a in d[name]]))


def stored_intervals(prof: Profile, name: str, models: list[ChapterModel], compute: Callable[[], dict]) -> dict:
    """A chapter's intervals, ``compute()``, stored under ``p2_<name>_intervals`` (a function of the stored attack
    runs of ``models``), so a warm chapter does not redo the bootstraps."""
    parts = {"models": [m.cfg.key() for m in models], "attacks": asdict(prof.p2_attacks), "seed": prof.seed,
             "version": versions.ATTACK_CODE_VERSION}
    return core.stored_intervals(f"p2_{name}_intervals", parts, compute)
