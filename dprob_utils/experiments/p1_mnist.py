"""Paper 1 sections 3.1-3.4 on MNIST (Figs. 1-5, 7 and Table 1): the experiments behind notebooks 02-05.

Each ``run_*`` function takes a profile name, loads the models of :mod:`dprob_utils.models.zoo` (trained by the
training chapter, or trained now and cached), runs one experiment on the profile's test subset and returns a
JSON-ready dict (accuracies in percent, gaps in percentage points) plus, where a figure needs them, raw arrays
under keys starting with ``_`` (dropped by :func:`public`). Everything runs on CUDA when it is available.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np
import torch
from torch import nn

from dprob_utils import attacks
from dprob_utils.analysis import curvature, geometry
from dprob_utils.analysis.intervals import (
    bootstrap,
    difference_in_differences,
    difference_of,
    mean_of,
    ratio_of,
    relative_drop_of,
)
from dprob_utils.config.devices import training_device
from dprob_utils.config.profiles import PAPER, Profile, get_profile
from dprob_utils.data.datasets import ImageDataset, load_dataset, subset
from dprob_utils.dp.training import TrainConfig
from dprob_utils.models import zoo
from dprob_utils.store import versions
from dprob_utils.store.core import stored

# The paper's stated numbers, for the text of the chapters (the data file is reference/paper1_mnist.csv).
PAPER_FGSM_EPS_GAP = 0.12


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
    test = subset(load_dataset("mnist", "test"), prof.p1_attacks.test_samples, "stratified", seed=0)
    return Setup(prof, dev, test, test.x.to(dev), test.y.to(dev))


def load_model(cfg: TrainConfig, s: Setup) -> tuple[nn.Module, dict]:
    """The model of ``cfg`` (cached or trained now) on the device, and its training summary."""
    model, result = zoo.load(cfg, s.prof)
    model = model.to(s.device).eval()
    summary = result.summary(delta=s.prof.delta)
    summary["label"] = cfg.label()
    return model, summary


def _bar(items, desc: str, on: bool):
    from dprob_utils.config.progress import progress as bar

    return bar(items, desc=desc) if on else items


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


# --------------------------------------------------------------------------- FGSM (3.1, Figs. 2, 3, 7)


def fgsm_panels(prof: Profile) -> dict[str, list[TrainConfig]]:
    """The models of each FGSM figure (the SGD baseline is drawn in every panel)."""
    g = prof.p1_grid
    return {
        "fig2": [zoo.p1_dp(prof)],
        "fig3a": [zoo.p1_dp(prof, s, 1.0) for s in g.fig3a_sigmas],
        "fig3b": [zoo.p1_dp(prof, g.main[0], c) for c in g.fig3b_clips],
        "fig3c": [zoo.p1_dp(prof, g.main[0], c, mode="dpsgd-fixed-noise") for c in g.fig3c_clips],
        "fig7": [zoo.p1_dp(prof, g.main[0], c) for c in g.fig7_clips],
    }


def run_fgsm(profile: str | Profile, progress: bool = True) -> dict:
    """Chapter 02, paper 1 Figs. 2, 3, 7: Accuracy under FGSM for every ε of ``p1_attacks.fgsm_eps``, for SGD and every model of Figs. 2, 3, 7."""
    start = time.perf_counter()
    s = setup(profile)
    eps = list(s.prof.p1_attacks.fgsm_eps)
    panels = fgsm_panels(s.prof)
    sgd_cfg = zoo.p1_sgd(s.prof)
    configs = zoo.by_key([sgd_cfg] + [c for cs in panels.values() for c in cs])
    models: dict[str, dict] = {}
    for key, cfg in _bar(list(configs.items()), "FGSM", progress):
        model, summary = load_model(cfg, s)
        parts = {"model": key, "eps": eps, "test_samples": len(s.y), "device": str(s.device),
                 "version": versions.P1_EXPERIMENT_VERSION}
        curve = stored("p1_fgsm", parts, lambda m=model: attacks.fgsm_curve(m, s.x, s.y, eps))
        models[key] = {"label": cfg.label(), "mode": cfg.mode, "sigma": cfg.sigma, "clip": cfg.clip,
                       "train_accuracy_reported": pct(summary["accuracy"]), "epsilon": summary["epsilon"],
                       "accuracy": [pct(a) for a in curve]}
    sgd = models[sgd_cfg.key()]["accuracy"]
    main = models[panels["fig2"][0].key()]["accuracy"]
    gaps = [a - b for a, b in zip(sgd, main)]
    at = PAPER_FGSM_EPS_GAP
    summary = {
        "clean_gap": gaps[0] if eps and eps[0] == 0 else None,
        "gap_at_0.12": interp(eps, gaps, at) if eps and min(eps) <= at <= max(eps) else None,
        "gap_at_0.12_interpolated": at not in eps,
        "max_gap": max(gaps) if gaps else None,
        "eps_of_max_gap": eps[int(np.argmax(gaps))] if gaps else None,
        "gap_exceeds_clean_gap_at_every_eps": all(g > gaps[0] for g in gaps[1:]) if len(gaps) > 1 else None,
        "sgd_accuracy_at_0.12": interp(eps, sgd, at) if eps and min(eps) <= at <= max(eps) else None,
        "dpsgd_accuracy_at_0.12": interp(eps, main, at) if eps and min(eps) <= at <= max(eps) else None,
    }
    return {
        "profile": s.prof.name, "units": "accuracy in percent, gaps in percentage points (SGD - DP-SGD)",
        "test_samples": len(s.y), "device": str(s.device), "eps": eps,
        "sgd_key": sgd_cfg.key(), "panels": {p: [c.key() for c in cs] for p, cs in panels.items()},
        "models": models, "fig2": {"gap": gaps, **summary},
        "fig3a": _panel_summary(models, panels["fig3a"], sgd, eps, "sigma"),
        "fig3b": _panel_summary(models, panels["fig3b"], sgd, eps, "clip"),
        "fig3c": _panel_summary(models, panels["fig3c"], sgd, eps, "clip"),
        "fig7": _panel_summary(models, panels["fig7"], sgd, eps, "clip"),
        "intervals": fgsm_intervals(s, panels),
        "seconds": round(time.perf_counter() - start, 1),
    }


def _correct_under(cfg: TrainConfig, s: Setup, attack: str, params: dict, attack_fn,
                   n: int | None = None) -> np.ndarray:
    """``bool [n]``: which of the first ``n`` (default all) of the chapter's test images ``cfg``'s model
    classifies correctly after ``attack_fn(model, x, y)`` (``None``: clean), stored per model, attack, ``params``."""
    model, _ = load_model(cfg, s)
    x, y = s.x[:n], s.y[:n]
    parts = {"model": cfg.key(), "attack": attack, **params, "test_samples": len(s.y), "device": str(s.device),
             "version": versions.P1_EXPERIMENT_VERSION} | ({} if n is None else {"first": n})
    return stored(f"p1_{attack}_points", parts, lambda: attacks.correct_under(model, attack_fn, x, y).cpu().numpy())


def _correct_under_fgsm(cfg: TrainConfig, s: Setup, eps: float) -> np.ndarray:
    """``bool [n]``: which of the chapter's test images ``cfg``'s model classifies correctly after FGSM at ε."""
    return _correct_under(cfg, s, "fgsm", {"eps": eps},
                          (lambda m, x, y: attacks.fgsm(m, x, y, eps)) if eps > 0 else None)


def _correct_under_pgd(cfg: TrainConfig, s: Setup, eps: float, steps: int) -> np.ndarray:
    """``bool [n]``: correct after L∞ PGD (ε, ``steps``, the profile's step-size rule and start) on Table 1's
    test images (the first ``pgd_samples`` of the chapter's)."""
    a = s.prof.p1_attacks
    alpha = attacks.pgd_alpha(eps, steps, a.pgd_alpha_rule)
    params = {"eps": eps, "steps": steps, "alpha": alpha, "random_start": a.pgd_random_start}
    return _correct_under(cfg, s, "pgd", params, lambda m, x, y: attacks.pgd_linf(
        m, x, y, eps, alpha, steps, random_start=a.pgd_random_start), a.pgd_samples)


def fgsm_intervals(s: Setup, panels: dict[str, list[TrainConfig]]) -> dict:
    """Chapter 02's intervals: :func:`fgsm_gap_intervals` and ``sweeps`` (:func:`fgsm_sweep_intervals`). Stored
    (a function of the stored per-image FGSM results of the models), so a warm chapter does not redo the
    bootstraps."""
    return _stored_intervals(s, "fgsm", lambda: fgsm_gap_intervals(s) | {"sweeps": fgsm_sweep_intervals(s, panels)},
                             panels={p: [c.key() for c in cs] for p, cs in panels.items()})


def _stored_intervals(s: Setup, name: str, compute: Callable[[], dict], **extra) -> dict:
    """A chapter's intervals, ``compute()``, stored under ``p1_<name>_intervals`` (a function of the stored
    per-image results of paper 1's models), so a warm chapter does not redo the bootstraps."""
    parts = _stored_parts(s, models=[spec.config.key() for spec in zoo.paper1_specs(s.prof)],
                          test_samples=len(s.y), seed=s.prof.seed, intervals_version=versions.INTERVALS_VERSION,
                          **extra)
    return stored(f"p1_{name}_intervals", parts, compute)


def fgsm_gap_intervals(s: Setup) -> dict:
    """Chapter 02, paper 1 Sec. 3.1 / Fig. 2: 95% intervals (fractions) of the SGD − DP-SGD (σ = 1.3, C = 1)
    accuracy gap under FGSM at ε = 0.12, of the clean gap, and of their difference (the claim: the gap under
    attack exceeds the clean gap), and ``gap_minus_clean_gap_at_eps`` (``"ε=<e>"``: the gap at each ε > 0 of the
    grid minus the clean gap), by a bootstrap paired over the test images and the headline seeds."""
    pairs = [zoo.p1_pair(s.prof, seed) for seed in zoo.headline_seeds(s.prof)]
    at = PAPER_FGSM_EPS_GAP
    grid = [e for e in s.prof.p1_attacks.fgsm_eps if e > 0]
    samples = {f"{m}_{e:g}": [_correct_under_fgsm(p[m], s, e) for p in pairs]
               for m in ("sgd", "dp") for e in dict.fromkeys([0.0, at, *grid])}

    def boot(stat) -> dict:
        return bootstrap(stat, samples, paired=True, seed=s.prof.seed).to_dict()

    def widening(e: float):
        return difference_in_differences(f"sgd_{e:g}", f"dp_{e:g}", "sgd_0", "dp_0")

    return {f"gap_at_{at:g}": boot(difference_of(f"sgd_{at:g}", f"dp_{at:g}")),
            "clean_gap": boot(difference_of("sgd_0", "dp_0")),
            f"gap_at_{at:g}_minus_clean_gap": boot(widening(at)),
            "gap_minus_clean_gap_at_eps": {f"ε={e:g}": boot(widening(e)) for e in grid}}


def fgsm_sweep_intervals(s: Setup, panels: dict[str, list[TrainConfig]]) -> dict:
    """Chapter 02, paper 1 Figs. 3 and 7: per panel, for each pair of neighbouring settings ``a → b`` of its
    varied parameter (key ``"σ 0.7→1.3"`` or ``"C 0.8→1"``, increasing), a 95% interval (fractions) paired over
    the test images (one seed: the sweeps train one) of

    - ``fig3a`` / ``fig3b``: the increase of the mean FGSM gap to SGD over ε > 0 beyond the increase of the clean
      gap (robustness, not accuracy: per image, its mean correctness over ε > 0 minus its clean correctness, of
      ``a`` minus ``b``); ``fig3a_raw`` / ``fig3b_raw``: the increase of the mean gap itself (the figure's gap,
      which includes the clean gap);
    - ``fig3c``: the increase of the accuracy at ε = 0.12 (``b`` minus ``a``); ``fig3c_clean``: of the clean
      accuracy;
    - ``fig7``: the increase of the accuracy at the largest ε (``b`` minus ``a``);
    - ``fig7_minus_sgd`` (``"C <c>"``): each large-C model's accuracy at the largest ε minus SGD's (first seed).
    """
    eps = [e for e in s.prof.p1_attacks.fgsm_eps if e > 0]
    if not eps:
        return {}
    at = {"fig3c": [PAPER_FGSM_EPS_GAP] if PAPER_FGSM_EPS_GAP in eps else [], "fig7": [max(eps)]}

    def clean(c: TrainConfig) -> np.ndarray:
        return _correct_under_fgsm(c, s, 0.0).astype(float)

    out: dict = {}
    for panel in ("fig3a", "fig3a_raw", "fig3b", "fig3b_raw", "fig3c", "fig3c_clean", "fig7"):
        base = panel.split("_")[0]
        var = "sigma" if base == "fig3a" else "clip"
        cfgs = sorted(panels[base], key=lambda c: getattr(c, var))
        if base == "fig3b":
            cfgs = [c for c in cfgs if c.clip <= 3]
        grid = at.get(base, eps)
        out[panel] = {}
        if not grid or len(cfgs) < 2:
            continue
        if panel == "fig3c_clean":
            points = {c.key(): clean(c) for c in cfgs}
        else:
            points = {c.key(): np.mean([_correct_under_fgsm(c, s, e) for e in grid], axis=0) for c in cfgs}
        if panel in ("fig3a", "fig3b"):
            points = {c.key(): points[c.key()] - clean(c) for c in cfgs}
        for a, b in zip(cfgs, cfgs[1:]):
            first, second = (a, b) if base in ("fig3a", "fig3b") else (b, a)
            samples = {"x": [points[first.key()]], "y": [points[second.key()]]}
            name = f"{'σ' if var == 'sigma' else 'C'} {getattr(a, var):g}→{getattr(b, var):g}"
            out[panel][name] = bootstrap(difference_of("x", "y"), samples, paired=True, seed=s.prof.seed).to_dict()
    sgd = _correct_under_fgsm(zoo.p1_sgd(s.prof), s, max(eps))
    out["fig7_minus_sgd"] = {
        f"C {c.clip:g}": bootstrap(difference_of("dp", "sgd"), {"dp": [_correct_under_fgsm(c, s, max(eps))],
                                                                "sgd": [sgd]}, paired=True, seed=s.prof.seed).to_dict()
        for c in sorted(panels["fig7"], key=lambda c: c.clip)}
    return out


def _panel_summary(models: dict, cfgs: list[TrainConfig], sgd: list[float], eps: list[float], var: str) -> dict:
    """Per model of a panel: its varied parameter, mean gap to SGD over ε > 0, accuracy at the largest ε."""
    rows = []
    for c in cfgs:
        acc = models[c.key()]["accuracy"]
        gaps = [a - b for a, b in zip(sgd, acc)]
        rows.append({var: getattr(c, "sigma" if var == "sigma" else "clip"), "key": c.key(),
                     "clean_gap": gaps[0], "mean_gap": float(np.mean(gaps[1:])) if len(gaps) > 1 else None,
                     "accuracy_at_max_eps": acc[-1], "accuracy_at_0.12": interp(eps, acc, 0.12)
                     if eps and min(eps) <= 0.12 <= max(eps) else None})
    rows.sort(key=lambda r: r[var])
    return {"varied": var, "rows": rows}


# --------------------------------------------------------------------------- PGD (3.2, Table 1, Fig. 4)


def run_pgd(profile: str | Profile, progress: bool = True) -> dict:
    """Chapter 03, paper 1 Table 1 (accuracy under L∞ PGD, SGD vs DP-SGD) and Fig. 4 (iterations needed to fool each sample)."""
    start = time.perf_counter()
    s = setup(profile)
    a = s.prof.p1_attacks
    sgd, sgd_sum = load_model(zoo.p1_sgd(s.prof), s)
    dp, dp_sum = load_model(zoo.p1_dp(s.prof), s)
    out = stored("p1_pgd", _stored_parts(s), lambda: _pgd_experiment(s, sgd, dp, progress))
    return {
        "profile": s.prof.name, "units": "accuracy in percent, differences in percentage points (SGD - DP-SGD)",
        "test_samples": len(s.y), "pgd_samples": min(len(s.y), a.pgd_samples or len(s.y)), "device": str(s.device),
        "alpha_rule": a.pgd_alpha_rule,
        "random_start": a.pgd_random_start, "models": {"sgd": sgd_sum, "dpsgd": dp_sum}, **out,
        "intervals": _stored_intervals(s, "pgd", lambda: pgd_gap_intervals(s, progress)
                                       | {"fig4": fig4_intervals(s, progress)}),
        "seconds": round(time.perf_counter() - start, 1),
    }


def _rate(correct: np.ndarray) -> float:
    return int(correct.sum()) / len(correct) if len(correct) else 0.0


def _pgd_experiment(s: Setup, sgd: nn.Module, dp: nn.Module, progress: bool) -> dict:
    a = s.prof.p1_attacks
    sgd_cfg, dp_cfg = zoo.p1_sgd(s.prof), zoo.p1_dp(s.prof)
    clean = {n: pct(attacks.accuracy_under(m, None, s.x, s.y)) for n, m in (("sgd", sgd), ("dpsgd", dp))}
    cells = [(e, t) for t in sorted(a.pgd_steps, reverse=True) for e in sorted(a.pgd_eps, reverse=True)]
    table = []
    for eps, steps in _bar(cells, "Table 1", progress):
        alpha = attacks.pgd_alpha(eps, steps, a.pgd_alpha_rule)

        acc_s, acc_d = (pct(_rate(_correct_under_pgd(c, s, eps, steps))) for c in (sgd_cfg, dp_cfg))
        table.append({"eps": eps, "steps": steps, "alpha": alpha, "sgd": acc_s, "dpsgd": acc_d,
                      "difference": acc_s - acc_d, "gap_exceeds_clean_gap": acc_s - acc_d > clean["sgd"] - clean["dpsgd"]})

    # Fig. 4: the first fig4_samples test images that both models classify correctly
    fig4 = []
    grid = [(e, al) for e in a.pgd_eps for al in a.fig4_alphas]
    for eps, alpha in _bar(grid, "Fig. 4", progress):
        its = _iterations_to_fool(sgd_cfg, dp_cfg, s, eps, alpha)
        row = {"eps": eps, "alpha": alpha, "max_iters": a.fig4_max_iters, "samples": len(its["sgd"])}
        for name, it in (("sgd", its["sgd"]), ("dpsgd", its["dp"])):
            row[name] = _iteration_summary(torch.from_numpy(np.asarray(it)), a.fig4_max_iters)
            row[f"_{name}_iters"] = np.asarray(it)
        fig4.append(row)
    return {"clean": {**clean, "gap": clean["sgd"] - clean["dpsgd"]}, "table1": table, "fig4": fig4}


def pgd_gap_intervals(s: Setup, progress: bool = False) -> dict:
    """Chapter 03, paper 1 Table 1 / Sec. 3.2: per (ε, steps) cell ``eps<ε>_steps<n>``, 95% intervals (fractions),
    paired over the test images and the headline seeds, of the SGD − DP-SGD (σ = 1.3, C = 1) accuracy gap under
    PGD (``sgd_minus_dp``) and of that gap minus the clean gap (``gap_minus_clean``)."""
    a = s.prof.p1_attacks
    pairs = [zoo.p1_pair(s.prof, seed) for seed in zoo.headline_seeds(s.prof)]
    clean = {f"{m}_clean": [_correct_under(p[m], s, "clean", {}, None, a.pgd_samples) for p in pairs]
             for m in ("sgd", "dp")}
    cells = [(e, t) for t in sorted(a.pgd_steps, reverse=True) for e in sorted(a.pgd_eps, reverse=True)]
    gap, widening = difference_of("sgd", "dp"), difference_in_differences("sgd", "dp", "sgd_clean", "dp_clean")
    out = {}
    for eps, steps in _bar(cells, "Table 1 seeds", progress):
        samples = {m: [_correct_under_pgd(p[m], s, eps, steps) for p in pairs] for m in ("sgd", "dp")} | clean
        out[f"eps{eps:g}_steps{steps}"] = {
            "sgd_minus_dp": bootstrap(gap, samples, paired=True, seed=s.prof.seed).to_dict(),
            "gap_minus_clean": bootstrap(widening, samples, paired=True, seed=s.prof.seed).to_dict()}
    return out


FIG4_CLAIM_ALPHA = 0.01  # the step size of the claims on Fig. 4 (paper 1 plots several)


def _on_common_images(sgd: TrainConfig, dp: TrainConfig, s: Setup, n: int,
                      measure: Callable[[nn.Module, torch.Tensor, torch.Tensor], torch.Tensor]) -> dict:
    """``{"sgd": [n], "dp": [n]}``: ``measure(model, x, y)`` of each model of a pair on the first ``n`` of the
    chapter's test images that both classify correctly (numpy arrays)."""
    ms, md = load_model(sgd, s)[0], load_model(dp, s)[0]
    both = attacks.correct_under(ms, None, s.x, s.y) & attacks.correct_under(md, None, s.x, s.y)
    idx = torch.nonzero(both).squeeze(1)[:n].to(s.device)
    return {name: measure(m, s.x[idx], s.y[idx]).cpu().numpy() for name, m in (("sgd", ms), ("dp", md))}


def _pair_difference(s: Setup, runs_of: Callable[[TrainConfig, TrainConfig, Setup], dict], a: str, b: str,
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


def _iterations_to_fool(sgd: TrainConfig, dp: TrainConfig, s: Setup, eps: float, alpha: float) -> dict:
    """Fig. 4 for one SGD / DP-SGD pair: ``{"sgd": [n], "dp": [n]}`` PGD iterations to fool each of the first
    ``fig4_samples`` test images both classify correctly (``-1``: never within ``fig4_max_iters``), stored."""
    a = s.prof.p1_attacks
    parts = {"sgd": sgd.key(), "dp": dp.key(), "eps": eps, "alpha": alpha, "max_iters": a.fig4_max_iters,
             "samples": a.fig4_samples, "test_samples": len(s.y), "device": str(s.device),
             "version": versions.P1_EXPERIMENT_VERSION}

    def compute() -> dict:
        return _on_common_images(sgd, dp, s, a.fig4_samples, lambda m, x, y: attacks.pgd_iterations_to_fool(
            m, x, y, eps, alpha, a.fig4_max_iters))

    return stored("p1_fig4_iterations", parts, compute)


def fig4_intervals(s: Setup, progress: bool = False) -> dict:
    """Chapter 03, paper 1 Fig. 4: per ε (``eps<ε>``) at α = :data:`FIG4_CLAIM_ALPHA`, the 95% interval of SGD's
    mean number of PGD iterations to fool an image minus DP-SGD's, paired over the images both classify correctly
    and the headline seeds; an image never fooled counts ``fig4_max_iters + 1`` (so fooling fewer images also
    counts as needing more iterations). Beside it, two variants:

    - ``sign/eps<ε>``: the whole distributions compared image by image, never fooled as +∞: the share of images
      SGD needs more iterations for minus the share DP-SGD needs more for (-1 to 1; ties, both never fooled
      included, count 0), over the same images and seeds;
    - ``by_alpha/alpha<α>/eps<ε>``: the mean difference at every step size α of the profile (the figure's
      panels), on the first seed's pair only (the other seeds run α = 0.01 alone).
    """
    a = s.prof.p1_attacks
    pairs = [zoo.p1_pair(s.prof, seed) for seed in zoo.headline_seeds(s.prof)]
    out: dict = {"sign": {}, "by_alpha": {}}

    def censor(it: np.ndarray) -> np.ndarray:
        return np.where(np.asarray(it) < 0, a.fig4_max_iters + 1, it).astype(float)

    def never_inf(it: np.ndarray) -> np.ndarray:
        return np.where(np.asarray(it) < 0, np.inf, it).astype(float)

    def sign(r: dict) -> np.ndarray:
        a_, b_ = never_inf(r["sgd"]), never_inf(r["dp"])
        return (a_ > b_).astype(float) - (a_ < b_).astype(float)

    for eps in _bar(list(a.pgd_eps), "Fig. 4 seeds", progress):
        for alpha in a.fig4_alphas:
            claim_alpha = alpha == FIG4_CLAIM_ALPHA
            runs = [_iterations_to_fool(p["sgd"], p["dp"], s, eps, alpha) for p in (pairs if claim_alpha else pairs[:1])]
            if any(len(r["sgd"]) == 0 for r in runs):
                continue
            censored = {n: [censor(r[n]) for r in runs] for n in ("sgd", "dp")}
            iv = bootstrap(difference_of("sgd", "dp"), censored, paired=True, seed=s.prof.seed).to_dict()
            out["by_alpha"].setdefault(f"alpha{alpha:g}", {})[f"eps{eps:g}"] = iv
            if claim_alpha:
                out[f"eps{eps:g}"] = iv
                out["sign"][f"eps{eps:g}"] = bootstrap(mean_of("d"), {"d": [sign(r) for r in runs]},
                                                       seed=s.prof.seed).to_dict()
    return out


def _iteration_summary(it: torch.Tensor, max_iters: int) -> dict:
    fooled = it[it > 0].double()
    counts = torch.bincount(it.clamp_min(0), minlength=max_iters + 1)[1:]
    return {
        "fooled": int((it > 0).sum()), "never_fooled": int((it < 0).sum()), "fooled_at_start": int((it == 0).sum()),
        "mean_iterations": float(fooled.mean()) if len(fooled) else None,
        "median_iterations": float(fooled.median()) if len(fooled) else None,
        "histogram": [int(c) for c in counts],  # samples first fooled at iteration 1, 2, ..., max_iters
    }


# --------------------------------------------------------------------------- distances (3.3, Figs. 5a, 5b)


def _stored_parts(s: Setup, **extra) -> dict:
    """What determines a stored SGD-vs-DP-SGD result of this module: both models, the attack settings, device."""
    return {"sgd": zoo.p1_sgd(s.prof).key(), "dpsgd": zoo.p1_dp(s.prof).key(), "attacks": asdict(s.prof.p1_attacks),
            "device": str(s.device), "version": versions.P1_EXPERIMENT_VERSION, **extra}


def run_distances(profile: str | Profile, progress: bool = True) -> dict:
    """Chapter 04, paper 1 Fig. 5: Eqs. (5) and (6) over the correctly classified test samples (up to ``distance_samples``), and the
    minimal perturbation of full iterative DeepFool on the first ``deepfool_samples`` of them (stored: a
    second call with the same models and settings reads the result)."""
    start = time.perf_counter()
    s = setup(profile)
    out = dict(stored("p1_distances", _stored_parts(s), lambda: _distances(s)))
    out["intervals"] = _stored_intervals(s, "distance", lambda: distance_intervals(s))
    out["seconds"] = round(time.perf_counter() - start, 1)
    return out


def _distances(s: Setup) -> dict:
    a = s.prof.p1_attacks
    out: dict = {"profile": s.prof.name, "device": str(s.device), "test_samples": len(s.y), "models": {}}
    for name, cfg in (("sgd", zoo.p1_sgd(s.prof)), ("dpsgd", zoo.p1_dp(s.prof))):
        model, summary = load_model(cfg, s)
        ok = torch.nonzero(attacks.correct_under(model, None, s.x, s.y)).squeeze(1).to(s.device)
        if a.distance_samples is not None:
            ok = ok[: a.distance_samples]
        lin = _linearised_distances(cfg, s)  # eqs. (5), (6) at these same images
        d2, dinf = torch.from_numpy(lin["l2"]), torch.from_numpy(lin["linf"])
        df_idx = ok[: a.deepfool_samples]
        df = {}
        for norm, lin in (("l2", d2), ("linf", dinf)):
            size = attacks.minimal_perturbation(model, s.x[df_idx], s.y[df_idx], norm=norm, steps=a.deepfool_steps)
            found = torch.isfinite(size)
            lin_same = lin[: len(df_idx)]
            ratio = (size[found] / lin_same[found]).double()
            df[norm] = {"samples": len(df_idx), "success_rate": pct(found.double().mean()) if len(found) else None,
                        "mean": float(size[found].double().mean()) if found.any() else None,
                        "median": float(size[found].double().median()) if found.any() else None,
                        "linearised_mean_same_samples": float(lin_same.double().mean()) if len(lin_same) else None,
                        "median_ratio_to_linearised": float(ratio.median()) if len(ratio) else None,
                        "_sizes": size.numpy(), "_linearised": lin_same.numpy()}
        out["models"][name] = {
            "label": cfg.label(), "clean_accuracy": pct(len(ok) / len(s.y)) if a.distance_samples is None else None,
            "samples": len(ok), "l2": _stats(d2), "linf": _stats(dinf), "deepfool": df,
            "_l2": d2.numpy(), "_linf": dinf.numpy(),
        }
    for norm in ("l2", "linf"):
        ms, md = out["models"]["sgd"][norm]["mean"], out["models"]["dpsgd"][norm]["mean"]
        out[f"mean_{norm}"] = {"sgd": ms, "dpsgd": md, "relative_drop": (ms - md) / ms if ms else None}
    return out


def _linearised_distances(cfg: TrainConfig, s: Setup) -> dict[str, np.ndarray]:
    """``{"l2": [n], "linf": [n]}``: eqs. (5), (6) at the correctly classified test images of ``cfg``'s model
    (the first ``distance_samples`` of them), stored per model."""
    a = s.prof.p1_attacks
    parts = {"model": cfg.key(), "test_samples": len(s.y), "distance_samples": a.distance_samples,
             "device": str(s.device), "version": versions.P1_EXPERIMENT_VERSION}

    def compute() -> dict[str, np.ndarray]:
        model, _ = load_model(cfg, s)
        ok = torch.nonzero(attacks.correct_under(model, None, s.x, s.y)).squeeze(1).to(s.device)
        ok = ok if a.distance_samples is None else ok[: a.distance_samples]
        d = geometry.boundary_distances_all(model, s.x[ok], s.y[ok])
        return {"l2": d[2.0].distance.cpu().numpy(), "linf": d[math.inf].distance.cpu().numpy()}

    return stored("p1_linearised_distances", parts, compute)


def _finite(v: np.ndarray) -> np.ndarray:
    return v[np.isfinite(v)]


def distance_intervals(s: Setup) -> dict:
    """Chapter 04, paper 1 Sec. 3.3 / Figs. 5a, 5b: per norm (``l2``, ``linf``), 95% intervals of the mean
    linearised distance of SGD minus DP-SGD (σ = 1.3, C = 1) (``sgd_minus_dp``) and of the relative drop
    ``(SGD − DP-SGD) / SGD`` (``relative_drop``), by a bootstrap over the headline seeds, then over each model's
    own correctly classified test images (unpaired: the two models' points differ)."""
    pairs = [zoo.p1_pair(s.prof, seed) for seed in zoo.headline_seeds(s.prof)]
    per = {m: [_linearised_distances(p[m], s) for p in pairs] for m in ("sgd", "dp")}
    out = {}
    for norm in ("l2", "linf"):
        samples = {m: [_finite(d[norm]) for d in per[m]] for m in per}
        out[norm] = {"sgd_minus_dp": bootstrap(difference_of("sgd", "dp"), samples, seed=s.prof.seed).to_dict(),
                     "relative_drop": bootstrap(relative_drop_of("sgd", "dp"), samples, seed=s.prof.seed).to_dict()}
    return out


def _stats(v: torch.Tensor) -> dict:
    v = v[torch.isfinite(v)].double()
    if len(v) == 0:
        return {"n": 0, "mean": None, "median": None, "std": None}
    return {"n": len(v), "mean": float(v.mean()), "median": float(v.median()), "std": float(v.std()) if len(v) > 1
            else 0.0}


# --------------------------------------------------------------------------- curvature (3.4, Fig. 5c)


def run_curvature(profile: str | Profile, method: str | None = None, progress: bool = True) -> dict:
    """Chapter 04, paper 1 Sec. 3.4: Top ``hessian_top`` eigenvalues (by magnitude) of the input Hessian of the loss at ``hessian_samples``
    random test samples (seeded), for SGD and DP-SGD, and their average profile. ``method`` defaults to the
    profile's ``hessian_method`` (stored like :func:`run_distances`)."""
    start = time.perf_counter()
    s = setup(profile)
    method = method or s.prof.p1_attacks.hessian_method
    out = dict(stored("p1_curvature", _stored_parts(s, method=method), lambda: _curvature(s, method, progress)))
    out["intervals"] = _stored_intervals(s, "curvature", lambda: curvature_intervals(s, method, progress),
                                         method=method)
    out["seconds"] = round(time.perf_counter() - start, 1)
    return out


def _hessian_points(s: Setup) -> torch.Tensor:
    """Positions in the chapter's test images of the ``hessian_samples`` random images of Sec. 3.4 (seeded)."""
    gen = torch.Generator().manual_seed(s.prof.seed)
    n = min(s.prof.p1_attacks.hessian_samples, len(s.y))
    return torch.randperm(len(s.y), generator=gen)[:n].to(s.device)


def _top_eigenvalues(cfg: TrainConfig, s: Setup, method: str) -> np.ndarray:
    """``[n, k]`` top input-Hessian eigenvalues of ``cfg``'s model at :func:`_hessian_points`, stored per model."""
    a = s.prof.p1_attacks
    idx = _hessian_points(s)
    parts = {"model": cfg.key(), "points": idx.tolist(), "k": a.hessian_top, "method": method,
             "test_samples": len(s.y), "device": str(s.device), "version": versions.P1_EXPERIMENT_VERSION}

    def compute() -> np.ndarray:
        model, _ = load_model(cfg, s)
        return curvature.top_eigenvalues(model, s.x[idx], s.y[idx], k=a.hessian_top, method=method).cpu().numpy()

    return stored("p1_top_eigenvalues", parts, compute)


def curvature_intervals(s: Setup, method: str, progress: bool = False) -> dict:
    """Chapter 04, paper 1 Sec. 3.4 / Fig. 5c: 95% intervals of the ratio DP-SGD / SGD of the mean largest
    eigenvalue magnitude (``largest_ratio``, as :func:`curvature.largest_ratio`), of the mean over images of
    log |λ₁(DP-SGD)| − log |λ₁(SGD)| (``largest_log_ratio``: the log of the ratio of geometric means, which one
    heavy-tailed image cannot dominate) and of the share of the top-k ranks where DP-SGD's mean magnitude is
    higher (``share_of_ranks_dp_higher``), paired over the Hessian images and the headline seeds."""
    seeds = zoo.headline_seeds(s.prof)
    if not len(_hessian_points(s)):
        return {}
    cfgs = [(m, seed, cfg) for seed in seeds for m, cfg in zoo.p1_pair(s.prof, seed).items()]
    eigs = {(m, seed): np.abs(_top_eigenvalues(cfg, s, method)) for m, seed, cfg in _bar(cfgs, "Hessians (seeds)",
                                                                                        progress)}
    k = s.prof.p1_attacks.hessian_top
    samples = {f"{m}_{r}": [eigs[(m, seed)][:, r] for seed in seeds] for m in ("sgd", "dp") for r in range(k)}

    def higher(d: dict) -> float:
        return float(np.mean([mean_of(f"dp_{r}")(d) > mean_of(f"sgd_{r}")(d) for r in range(k)]))

    logs = {f"{m}_log": [np.log(np.maximum(eigs[(m, seed)][:, 0], 1e-30)) for seed in seeds] for m in ("sgd", "dp")}
    return {"largest_ratio": bootstrap(ratio_of("dp_0", "sgd_0"), samples, paired=True, seed=s.prof.seed).to_dict(),
            "largest_log_ratio": bootstrap(difference_of("dp_log", "sgd_log"), logs, paired=True,
                                           seed=s.prof.seed).to_dict(),
            "share_of_ranks_dp_higher": bootstrap(higher, samples, paired=True, seed=s.prof.seed).to_dict()}


def _curvature(s: Setup, method: str, progress: bool) -> dict:
    a = s.prof.p1_attacks
    idx = _hessian_points(s)
    n = len(idx)
    out: dict = {"profile": s.prof.name, "device": str(s.device), "samples": n, "k": a.hessian_top,
                 "method": method, "sample_indices": s.test.indices[idx.cpu()].tolist(), "models": {}}
    eigs = {}
    for name, cfg in _bar([("sgd", zoo.p1_sgd(s.prof)), ("dpsgd", zoo.p1_dp(s.prof))], "Hessians", progress):
        model, _ = load_model(cfg, s)
        t0 = time.perf_counter()
        e = torch.from_numpy(_top_eigenvalues(cfg, s, method))
        eigs[name] = e
        check = None
        if n:  # the exact (torch.func) and Gauss-Newton Hessians agree on this ReLU / max-pool network
            h = curvature.input_hessian(model, s.x[idx[:1]], s.y[idx[:1]])
            g = curvature.gauss_newton_hessian(model, s.x[idx[:1]], s.y[idx[:1]])
            check = float((h - g).abs().max() / g.abs().max().clamp_min(1e-30))
        out["models"][name] = {"label": cfg.label(), "mean_profile": curvature.mean_profile(e),
                               "median_largest": float(e[:, 0].abs().median()) if n else None,
                               "seconds": round(time.perf_counter() - t0, 1),
                               "exact_vs_gauss_newton_rel_diff": check, "_eigs": e.numpy()}
    out["largest_ratio_dp_over_sgd"] = curvature.largest_ratio(eigs["sgd"], eigs["dpsgd"]) if n else None
    prof_s, prof_d = out["models"]["sgd"]["mean_profile"], out["models"]["dpsgd"]["mean_profile"]
    out["ranks_where_dp_higher"] = sum(d > q for d, q in zip(prof_d, prof_s))
    return out


# --------------------------------------------------------------------------- cross-sections (Fig. 1)


def run_cross_sections(profile: str | Profile, samples: tuple[int, ...] | None = None, seed: int | None = None,
                       progress: bool = True) -> dict:
    """Chapter 05, paper 1 Fig. 1: for each chosen sample, the classes predicted by SGD and DP-SGD on the plane spanned by the normal to the closest decision boundary and a random orthogonal
    direction (the same random draw for both models, orthogonalised against each model's own normal).

    ``samples`` are positions in the list of test images that both models classify correctly (so that the
    sample sits inside its own class region under both); positions beyond that list are skipped."""
    start = time.perf_counter()
    s = setup(profile)
    a = s.prof.p1_attacks
    samples = tuple(a.cross_section_samples if samples is None else samples)
    seed = s.prof.seed if seed is None else seed
    models = {name: load_model(cfg, s) for name, cfg in (("sgd", zoo.p1_sgd(s.prof)), ("dpsgd", zoo.p1_dp(s.prof)))}
    both = attacks.correct_under(models["sgd"][0], None, s.x, s.y) & attacks.correct_under(models["dpsgd"][0], None,
                                                                                           s.x, s.y)
    eligible = torch.nonzero(both).squeeze(1).tolist()
    rows = []
    for pos in samples:
        if pos >= len(eligible):
            continue
        i = eligible[pos]
        row = {"position": pos, "test_index": int(s.test.indices[i]), "label": int(s.y[i])}
        for name, (model, _summary) in models.items():
            cs = geometry.cross_section(model, s.x[i], s.y[i], span=a.cross_section_span,
                                        resolution=a.cross_section_resolution, seed=seed + i)
            pred = int(attacks.predict(model, s.x[i : i + 1])[0])
            row[name] = {"predicted": pred, "fraction_correct": pct(cs.fraction_correct()),
                         "distance_along_normal": _first_change(cs), "classes_seen": sorted(set(cs.classes.flatten().tolist())),
                         "_section": cs}
        rows.append(row)
    return {"profile": s.prof.name, "device": str(s.device), "span": a.cross_section_span,
            "resolution": a.cross_section_resolution, "seed": seed, "samples": rows,
            "intervals": _stored_intervals(s, "cross_section", lambda: {
                "normal_distance_sgd_minus_dp": normal_distance_interval(s), "bend_dp_minus_sgd": normal_bend_interval(s)}),
            "mean_fraction_correct": {n: float(np.mean([r[n]["fraction_correct"] for r in rows])) if rows else None
                                      for n in models},
            "seconds": round(time.perf_counter() - start, 1)}


def _normal_distances(sgd: TrainConfig, dp: TrainConfig, s: Setup) -> dict:
    """Fig. 1's distance along the normal (:func:`geometry.distance_along_normal`, the cross-sections' grid step)
    for the first ``cross_section_distance_samples`` test images both models of the pair classify correctly:
    ``{"sgd": [n], "dp": [n]}`` (L2), a sample whose class never changes within the span counted as span +
    step, stored."""
    a = s.prof.p1_attacks
    step = 2 * a.cross_section_span / (a.cross_section_resolution - 1)
    parts = {"sgd": sgd.key(), "dp": dp.key(), "span": a.cross_section_span, "step": step,
             "samples": a.cross_section_distance_samples, "test_samples": len(s.y), "device": str(s.device),
             "version": versions.P1_EXPERIMENT_VERSION}

    def measure(m: nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        d = geometry.distance_along_normal(m, x, y, a.cross_section_span, step)
        return torch.where(torch.isinf(d), torch.tensor(a.cross_section_span + step), d)

    def compute() -> dict:
        return _on_common_images(sgd, dp, s, a.cross_section_distance_samples, measure)

    return stored("p1_normal_distances", parts, compute)


def _normal_bends(sgd: TrainConfig, dp: TrainConfig, s: Setup) -> dict:
    """Fig. 1's "looks more curved" (:func:`geometry.boundary_bend`, the cross-sections' grid step) on the images
    of :func:`_normal_distances`: ``{"sgd": [n], "dp": [n]}``, stored."""
    a = s.prof.p1_attacks
    step = 2 * a.cross_section_span / (a.cross_section_resolution - 1)
    parts = {"sgd": sgd.key(), "dp": dp.key(), "span": a.cross_section_span, "step": step, "seed": s.prof.seed,
             "samples": a.cross_section_distance_samples, "test_samples": len(s.y), "device": str(s.device),
             "version": versions.P1_EXPERIMENT_VERSION}

    def compute() -> dict:
        return _on_common_images(sgd, dp, s, a.cross_section_distance_samples, lambda m, x, y: geometry.boundary_bend(
            m, x, y, a.cross_section_span, step, seed=s.prof.seed))

    return stored("p1_normal_bends", parts, compute)


def normal_bend_interval(s: Setup) -> dict:
    """Chapter 05, paper 1 Fig. 1's "more curved" as a number: DP-SGD's mean :func:`geometry.boundary_bend` minus
    SGD's, with its 95% interval, paired over the images both models of a seed classify correctly and the seeds."""
    return _pair_difference(s, _normal_bends, "dp", "sgd", empty_ok=True)


def normal_distance_interval(s: Setup) -> dict:
    """Chapter 05, paper 1 Fig. 1 as a number: the SGD − DP-SGD (σ = 1.3, C = 1) difference of the mean
    distance to the boundary along the normal (L2), with its 95% interval, paired over the images both models
    of a seed classify correctly and over the headline seeds."""
    return _pair_difference(s, _normal_distances, "sgd", "dp")


def _first_change(cs: geometry.CrossSection) -> float | None:
    """Distance from the sample, along the normal (positive side), to the first grid point of another class."""
    centre = len(cs.a) // 2
    column = cs.classes[:, centre]
    for j in range(len(cs.b) // 2, len(cs.b)):
        if int(column[j]) != cs.label:
            return float(cs.b[j])
    return None


# --------------------------------------------------------------------------- settings tables


def settings_rows(prof: Profile, rows: list[tuple[str, str, object]]) -> list[dict]:
    """Side-by-side table rows: (setting, what the paper says, our value in this profile)."""
    return [{"setting": name, "paper 1": paper, f"ours ({prof.name})": ours} for name, paper, ours in rows]


def common_settings(prof: Profile) -> list[tuple[str, str, object]]:
    t, pt = prof.p1_train, PAPER.p1_train
    n = prof.p1_attacks.test_samples
    return [
        ("model", "conv 5x5 (20) - pool - conv 5x5 (50) - pool - FC 500 - FC 500 - 10, ReLU", "the same"),
        ("training", f"SGD, lr {pt.lr}, batch {pt.batch_size}, {pt.epochs} epochs, 60,000 images",
         f"SGD, lr {t.lr}, batch {t.batch_size}, {t.epochs} epochs, {t.train_subset or 60000:,} images"),
        ("DP-SGD", "σ = 1.3, C = 1 (Algorithm 1)", f"σ = {prof.p1_grid.main[0]}, C = {prof.p1_grid.main[1]} "
         "(Opacus, Poisson sampling)"),
        ("test images attacked", "10,000 (all)", f"{n:,} (stratified subset, seed 0)" if n else "10,000 (all)"),
        ("input range", "[0, 1] (not stated; ε values up to 0.3 imply it)", "[0, 1], no normalisation"),
    ]
