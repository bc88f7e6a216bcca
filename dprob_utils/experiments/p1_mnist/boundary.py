"""Chapter 04, paper 1 Secs. 3.3, 3.4 (Fig. 5): distance to the decision boundary and input-Hessian curvature."""

from __future__ import annotations

import math
import time

import numpy as np
import torch

from dprob_utils import attacks
from dprob_utils.analysis import curvature, geometry
from dprob_utils.analysis.intervals import (
    bootstrap,
    difference_of,
    mean_of,
    ratio_of,
    relative_drop_of,
)
from dprob_utils.config import versions
from dprob_utils.config.profiles import Profile
from dprob_utils.config.progress import progress as progress_bar
from dprob_utils.config.training import TrainConfig
from dprob_utils.experiments.p1_mnist.common import (
    Setup,
    load_model,
    pct,
    setup,
    stats,
    stored_intervals,
    stored_parts,
)
from dprob_utils.models import zoo
from dprob_utils.store.core import stored


def run_distances(profile: str | Profile, progress: bool | None = None) -> dict:
    """Chapter 04, paper 1 Fig. 5: Eqs. (5) and (6) over the correctly classified test samples (up to ``distance_samples``), and the
    minimal perturbation of full iterative DeepFool on the first ``deepfool_samples`` of them (stored: a
    second call with the same models and settings reads the result)."""
    start = time.perf_counter()
    s = setup(profile)
    out = dict(stored("p1_distances", stored_parts(s), lambda: _distances(s)))
    out["intervals"] = stored_intervals(s, "distance", lambda: distance_intervals(s))
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
            "samples": len(ok), "l2": stats(d2), "linf": stats(dinf), "deepfool": df,
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


def run_curvature(profile: str | Profile, method: str | None = None, progress: bool | None = None) -> dict:
    """Chapter 04, paper 1 Sec. 3.4: Top ``hessian_top`` eigenvalues (by magnitude) of the input Hessian of the loss at ``hessian_samples``
    random test samples (seeded), for SGD and DP-SGD, and their average profile. ``method`` defaults to the
    profile's ``hessian_method`` (stored like :func:`run_distances`)."""
    start = time.perf_counter()
    s = setup(profile)
    method = method or s.prof.p1_attacks.hessian_method
    out = dict(stored("p1_curvature", stored_parts(s, method=method), lambda: _curvature(s, method, progress)))
    out["intervals"] = stored_intervals(s, "curvature", lambda: curvature_intervals(s, method, progress),
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
    eigs = {(m, seed): np.abs(_top_eigenvalues(cfg, s, method))
            for m, seed, cfg in progress_bar(cfgs, desc="Hessians (seeds)", on=progress)}
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
    pair = [("sgd", zoo.p1_sgd(s.prof)), ("dpsgd", zoo.p1_dp(s.prof))]
    for name, cfg in progress_bar(pair, desc="Hessians", on=progress):
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
