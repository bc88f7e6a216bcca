"""Chapter 02, paper 1 Sec. 3.1 (Figs. 2, 3, 7): accuracy under FGSM, SGD against DP-SGD and along σ and C."""

from __future__ import annotations

import time

import numpy as np

from dprob_utils import attacks
from dprob_utils.analysis.intervals import (
    bootstrap,
    difference_in_differences,
    difference_of,
)
from dprob_utils.config import versions
from dprob_utils.config.profiles import Profile
from dprob_utils.config.progress import progress as progress_bar
from dprob_utils.config.training import TrainConfig
from dprob_utils.experiments.p1_mnist.common import (
    Setup,
    correct_under_fgsm,
    interp,
    load_model,
    pct,
    setup,
    stored_intervals,
)
from dprob_utils.models import zoo
from dprob_utils.store.core import stored

# The paper's stated numbers, for the text of the chapters (the data file is reference/paper1_mnist.csv).
PAPER_FGSM_EPS_GAP = 0.12


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


def run_fgsm(profile: str | Profile, progress: bool | None = None) -> dict:
    """Chapter 02, paper 1 Figs. 2, 3, 7: Accuracy under FGSM for every ε of ``p1_attacks.fgsm_eps``, for SGD and every model of Figs. 2, 3, 7."""
    start = time.perf_counter()
    s = setup(profile)
    eps = list(s.prof.p1_attacks.fgsm_eps)
    panels = fgsm_panels(s.prof)
    sgd_cfg = zoo.p1_sgd(s.prof)
    configs = zoo.by_key([sgd_cfg] + [c for cs in panels.values() for c in cs])
    models: dict[str, dict] = {}
    for key, cfg in progress_bar(list(configs.items()), desc="FGSM", on=progress):
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


def fgsm_intervals(s: Setup, panels: dict[str, list[TrainConfig]]) -> dict:
    """Chapter 02's intervals: :func:`fgsm_gap_intervals` and ``sweeps`` (:func:`fgsm_sweep_intervals`). Stored
    (a function of the stored per-image FGSM results of the models), so a warm chapter does not redo the
    bootstraps."""
    return stored_intervals(s, "fgsm", lambda: fgsm_gap_intervals(s) | {"sweeps": fgsm_sweep_intervals(s, panels)},
                             panels={p: [c.key() for c in cs] for p, cs in panels.items()})


def fgsm_gap_intervals(s: Setup) -> dict:
    """Chapter 02, paper 1 Sec. 3.1 / Fig. 2: 95% intervals (fractions) of the SGD − DP-SGD (σ = 1.3, C = 1)
    accuracy gap under FGSM at ε = 0.12, of the clean gap, and of their difference (the claim: the gap under
    attack exceeds the clean gap), and ``gap_minus_clean_gap_at_eps`` (``"ε=<e>"``: the gap at each ε > 0 of the
    grid minus the clean gap), by a bootstrap paired over the test images and the headline seeds."""
    pairs = [zoo.p1_pair(s.prof, seed) for seed in zoo.headline_seeds(s.prof)]
    at = PAPER_FGSM_EPS_GAP
    grid = [e for e in s.prof.p1_attacks.fgsm_eps if e > 0]
    samples = {f"{m}_{e:g}": [correct_under_fgsm(p[m], s, e) for p in pairs]
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
        return correct_under_fgsm(c, s, 0.0).astype(float)

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
            points = {c.key(): np.mean([correct_under_fgsm(c, s, e) for e in grid], axis=0) for c in cfgs}
        if panel in ("fig3a", "fig3b"):
            points = {c.key(): points[c.key()] - clean(c) for c in cfgs}
        for a, b in zip(cfgs, cfgs[1:]):
            first, second = (a, b) if base in ("fig3a", "fig3b") else (b, a)
            samples = {"x": [points[first.key()]], "y": [points[second.key()]]}
            name = f"{'σ' if var == 'sigma' else 'C'} {getattr(a, var):g}→{getattr(b, var):g}"
            out[panel][name] = bootstrap(difference_of("x", "y"), samples, paired=True, seed=s.prof.seed).to_dict()
    sgd = correct_under_fgsm(zoo.p1_sgd(s.prof), s, max(eps))
    out["fig7_minus_sgd"] = {
        f"C {c.clip:g}": bootstrap(difference_of("dp", "sgd"), {"dp": [correct_under_fgsm(c, s, max(eps))],
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
