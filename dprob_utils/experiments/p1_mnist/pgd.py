"""Chapter 03, paper 1 Sec. 3.2 (Table 1, Fig. 4): accuracy under PGD and the iterations it needs to fool."""

from __future__ import annotations

import time

import numpy as np
import torch
from torch import nn

from dprob_utils import attacks
from dprob_utils.analysis.intervals import (
    bootstrap,
    difference_in_differences,
    difference_of,
    mean_of,
)
from dprob_utils.config import versions
from dprob_utils.config.profiles import Profile
from dprob_utils.config.progress import progress as progress_bar
from dprob_utils.config.training import TrainConfig
from dprob_utils.experiments.p1_mnist.common import (
    Setup,
    correct_under,
    correct_under_pgd,
    load_model,
    on_common_images,
    pct,
    rate,
    setup,
    stored_intervals,
    stored_parts,
)
from dprob_utils.models import zoo
from dprob_utils.store.core import stored


def run_pgd(profile: str | Profile, progress: bool | None = None) -> dict:
    """Chapter 03, paper 1 Table 1 (accuracy under L∞ PGD, SGD vs DP-SGD) and Fig. 4 (iterations needed to fool each sample)."""
    start = time.perf_counter()
    s = setup(profile)
    a = s.prof.p1_attacks
    sgd, sgd_sum = load_model(zoo.p1_sgd(s.prof), s)
    dp, dp_sum = load_model(zoo.p1_dp(s.prof), s)
    out = stored("p1_pgd", stored_parts(s), lambda: _pgd_experiment(s, sgd, dp, progress))
    return {
        "profile": s.prof.name, "units": "accuracy in percent, differences in percentage points (SGD - DP-SGD)",
        "test_samples": len(s.y), "pgd_samples": min(len(s.y), a.pgd_samples or len(s.y)), "device": str(s.device),
        "alpha_rule": a.pgd_alpha_rule,
        "random_start": a.pgd_random_start, "models": {"sgd": sgd_sum, "dpsgd": dp_sum}, **out,
        "intervals": stored_intervals(s, "pgd", lambda: pgd_gap_intervals(s, progress)
                                       | {"fig4": fig4_intervals(s, progress)}),
        "seconds": round(time.perf_counter() - start, 1),
    }


def _pgd_experiment(s: Setup, sgd: nn.Module, dp: nn.Module, progress: bool) -> dict:
    a = s.prof.p1_attacks
    sgd_cfg, dp_cfg = zoo.p1_sgd(s.prof), zoo.p1_dp(s.prof)
    clean = {n: pct(attacks.accuracy_under(m, None, s.x, s.y)) for n, m in (("sgd", sgd), ("dpsgd", dp))}
    cells = [(e, t) for t in sorted(a.pgd_steps, reverse=True) for e in sorted(a.pgd_eps, reverse=True)]
    table = []
    for eps, steps in progress_bar(cells, desc="Table 1", on=progress):
        alpha = attacks.pgd_alpha(eps, steps, a.pgd_alpha_rule)

        acc_s, acc_d = (pct(rate(correct_under_pgd(c, s, eps, steps))) for c in (sgd_cfg, dp_cfg))
        table.append({"eps": eps, "steps": steps, "alpha": alpha, "sgd": acc_s, "dpsgd": acc_d,
                      "difference": acc_s - acc_d, "gap_exceeds_clean_gap": acc_s - acc_d > clean["sgd"] - clean["dpsgd"]})

    # Fig. 4: the first fig4_samples test images that both models classify correctly
    fig4 = []
    grid = [(e, al) for e in a.pgd_eps for al in a.fig4_alphas]
    for eps, alpha in progress_bar(grid, desc="Fig. 4", on=progress):
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
    clean = {f"{m}_clean": [correct_under(p[m], s, "clean", {}, None, a.pgd_samples) for p in pairs]
             for m in ("sgd", "dp")}
    cells = [(e, t) for t in sorted(a.pgd_steps, reverse=True) for e in sorted(a.pgd_eps, reverse=True)]
    gap, widening = difference_of("sgd", "dp"), difference_in_differences("sgd", "dp", "sgd_clean", "dp_clean")
    out = {}
    for eps, steps in progress_bar(cells, desc="Table 1 seeds", on=progress):
        samples = {m: [correct_under_pgd(p[m], s, eps, steps) for p in pairs] for m in ("sgd", "dp")} | clean
        out[f"eps{eps:g}_steps{steps}"] = {
            "sgd_minus_dp": bootstrap(gap, samples, paired=True, seed=s.prof.seed).to_dict(),
            "gap_minus_clean": bootstrap(widening, samples, paired=True, seed=s.prof.seed).to_dict()}
    return out


FIG4_CLAIM_ALPHA = 0.01  # the step size of the claims on Fig. 4 (paper 1 plots several)


def _iterations_to_fool(sgd: TrainConfig, dp: TrainConfig, s: Setup, eps: float, alpha: float) -> dict:
    """Fig. 4 for one SGD / DP-SGD pair: ``{"sgd": [n], "dp": [n]}`` PGD iterations to fool each of the first
    ``fig4_samples`` test images both classify correctly (``-1``: never within ``fig4_max_iters``), stored."""
    a = s.prof.p1_attacks
    parts = {"sgd": sgd.key(), "dp": dp.key(), "eps": eps, "alpha": alpha, "max_iters": a.fig4_max_iters,
             "samples": a.fig4_samples, "test_samples": len(s.y), "device": str(s.device),
             "version": versions.P1_EXPERIMENT_VERSION}

    def compute() -> dict:
        return on_common_images(sgd, dp, s, a.fig4_samples, lambda m, x, y: attacks.pgd_iterations_to_fool(
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

    for eps in progress_bar(list(a.pgd_eps), desc="Fig. 4 seeds", on=progress):
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
