"""Chapter 09, paper 2 Tables II, III and Fig. 3: Carlini-Wagner L2 and the Boundary attack."""

from __future__ import annotations

import numpy as np

from dprob_utils.analysis.intervals import bootstrap
from dprob_utils.attacks import predict
from dprob_utils.config.profiles import Profile, get_profile
from dprob_utils.data.datasets import test_set
from dprob_utils.experiments.p2.intervals import (
    max_of,
    most_above_rest,
    per_model,
    pooled_rates,
    share_below_sgd,
    stored_intervals,
    trend_intervals,
    versus_sgd,
)
from dprob_utils.experiments.p2.models import (
    ChapterModel,
    chapter_models,
    lenet_and_custom,
    reference_value,
    summary,
)
from dprob_utils.experiments.p2.runs import boundary, cw, pgd, saturation_keys
from dprob_utils.models import zoo


def boundary_saturation(prof: Profile, models: list[ChapterModel]) -> dict:
    """Paper 2 Sec. IV-C ("for more iterations, no increase in success rates could be observed"): the models of
    ``boundary_saturation_models`` (seed 0) attacked once more for ``boundary_more_steps``, on the same points
    with the same random draws. Per model its success at each ε after both budgets and the number of points
    whose distance the longer run made longer (0: it continued the shorter walk); per ε the 95% interval of the
    increase of success, the mean over the models of the mean over their points of (fooled within ε after the
    longer run) − (after ``boundary_steps``), a bootstrap over each model's points. Empty without the check."""
    s = prof.p2_attacks
    chosen = [m for m in models if m.key in saturation_keys(prof)]
    if not chosen:
        return {}
    runs, rows = {}, {}
    for m in chosen:
        a, b = runs[m.key] = boundary(m, prof), boundary(m, prof, s.boundary_more_steps)
        rows[m.key] = {"label": m.label, "arch": m.arch, "n": len(a.dist),
                       "success": {f"{e:g}": a.success(e) for e in s.boundary_eps},
                       "success_more": {f"{e:g}": b.success(e) for e in s.boundary_eps},
                       "median_dist": float(a.dist.median()), "median_dist_more": float(b.dist.median()),
                       "points_farther": int((b.dist > a.dist * (1 + 1e-6)).sum())}
    increase = {}
    for e in s.boundary_eps:
        samples = {k: [((b.dist <= e).double() - (a.dist <= e).double()).numpy()] for k, (a, b) in runs.items()}
        increase[f"ε = {e:g}"] = bootstrap(lambda d: float(np.mean([v[0].mean() for v in d.values()])), samples,
                                          seed=prof.seed).to_dict()
    return {"steps": s.boundary_steps, "more_steps": s.boundary_more_steps, "models": rows, "increase": increase}


FIG3_MODELS = (None, (1.3, 1.0), (3.0, 1.0), (3.0, 10.0))  # SGD and the (σ, C) of paper 2's Fig. 3


def fig3_examples(prof: Profile) -> tuple[dict, dict, str]:
    """Chapter 09, paper 2 Fig. 3: one test image attacked by CW₂, BA₂ and PGD∞ (ε = ``transfer_eps``) on the
    custom CNN's SGD model and the DP models of :data:`FIG3_MODELS` that the profile trains.

    Returns ``(images, captions, title)``: ``images[attack][model label]`` is a ``[1, 28, 28]`` tensor (``"clean"``
    first), ``captions`` the same keys with the prediction and the perturbation's size (L2 for CW and BA, L∞ for
    PGD). The image is the first attack point that every shown model attacks, else each model's first."""
    custom = chapter_models(prof, ("p2_custom",))
    shown = [m for w in FIG3_MODELS for m in custom if m.sigma_clip == w]
    cws, bas = {m.key: cw(m, prof) for m in shown}, {m.key: boundary(m, prof) for m in shown}
    attacked = {m.key: set(m.points[: min(len(cws[m.key].dist), len(bas[m.key].dist))].tolist()) for m in shown}
    common = [int(i) for i in shown[0].points if all(int(i) in attacked[m.key] for m in shown)]
    names = ("clean", "CW₂", "BA₂", "PGD∞")
    images: dict = {n: {} for n in names}
    caps: dict = {n: {} for n in names}
    for m in shown:
        idx = common[0] if common else int(m.points[0])
        pos = m.points.tolist().index(idx)
        x = test_set().x[idx]
        pg = pgd(m, prof).adv[prof.p2_attacks.transfer_eps][pos]
        for name, img in zip(names, (x, cws[m.key].adv[pos], bas[m.key].adv[pos], pg)):
            images[name][m.label] = img
            pred = int(predict(m.model, img.unsqueeze(0))[0])
            size = (img - x).abs().max() if name == "PGD∞" else (img - x).norm()
            caps[name][m.label] = f"pred {pred}" + ("" if name == "clean" else f", {float(size):.2f}")
    title = "Fig. 3: " + (f"test image {common[0]} (label {int(test_set().y[common[0]])})" if common
                          else "first attack point of each model")
    return images, caps, title


def _cw_fooled(cm: ChapterModel, prof: Profile) -> tuple[int, int]:
    """Unbounded CW₂: (points fooled at any distance, points)."""
    c = cw(cm, prof)
    return int(c.fooled.sum()), len(c.dist)


def _cw_points(cm: ChapterModel, prof: Profile) -> dict[str, object]:
    return {"cw_eps_full_success": cw(cm, prof).dist.double().numpy()}


def ba_points(cm: ChapterModel, prof: Profile) -> dict[str, object]:
    d = boundary(cm, prof).dist
    return {f"ba_success_{e:g}": (d <= float(e)).double().numpy() for e in prof.p2_attacks.boundary_eps}


CW_CURVE_GRID = [round(0.05 * i, 2) for i in range(61)]  # L2 bounds of the CW₂ success curves (chapter 09)


BA_CURVE_GRID = [round(0.1 * i, 1) for i in range(61)]  # and of the Boundary attack's


def run_cw_boundary(profile: Profile | str) -> dict:
    """Chapter 09, paper 2 Tables II and III: CW₂'s perturbation for 100% success and the Boundary attack's
    success at ε = 1, 2 (with both success curves), every LeNet and custom-CNN model. The results dict of
    ``results/<profile>/09_p2_cw_boundary.json``."""
    prof = get_profile(profile)
    s = prof.p2_attacks
    out = {}
    for m in lenet_and_custom(prof):
        c, b = cw(m, prof), boundary(m, prof)
        out[m.key] = summary(m) | {
            "cw_eps_full_success": c.eps_for_full_success(),
            "cw_eps_full_success_paper": reference_value("paper2_table2", "cw_eps_full_success", m),
            "cw_success_any": float(c.fooled.float().mean()),
            "cw_median": float(c.dist.median()) if len(c.dist) else None,
            "cw_mean_fooled": float(c.dist[c.fooled].mean()) if bool(c.fooled.any()) else None,
            "cw_median_fooled": float(c.dist[c.fooled].median()) if bool(c.fooled.any()) else None,
            "cw_curve": {"eps": CW_CURVE_GRID, "success": c.curve(CW_CURVE_GRID)},
            "cw_n": len(c.dist),
            "ba_success": {f"{e:g}": b.success(e) for e in s.boundary_eps},
            "ba_success_paper": {f"{e:g}": reference_value("paper2_table3", "success_pct", m, ba_eps=float(e))
                                 for e in s.boundary_eps},
            "ba_curve": {"eps": BA_CURVE_GRID, "success": b.curve(BA_CURVE_GRID)},
            "ba_success_any": float(b.fooled.float().mean()),
            "ba_n": len(b.dist)}
    models = lenet_and_custom(prof)
    cw_pts, ba_pts = per_model(lambda m: _cw_points(m, prof)), per_model(lambda m: ba_points(m, prof))

    def intervals() -> dict:
        versus = versus_sgd(prof, models, cw_pts, max_of)
        for k, v in versus_sgd(prof, models, ba_pts).items():
            versus[k] |= v
        top = [k for k in ("p2_custom:s2_c10", "p2_custom:s3_c10") if k in {m.key for m in models}]
        most = {f"ba_success_{e:g}": most_above_rest(prof, models, top, ba_pts, f"ba_success_{e:g}")
                for e in s.boundary_eps}
        return {"intervals": versus,
                "trend_intervals": trend_intervals(prof, models, cw_pts, max_of) | trend_intervals(prof, models,
                                                                                                    ba_pts),
                "share_dp_below_sgd": {"cw_eps_full_success": share_below_sgd(prof, models, cw_pts,
                                                                              "cw_eps_full_success", max_of)},
                "c10_most_vulnerable": {k: v for k, v in most.items() if v},
                "boundary_saturation": boundary_saturation(prof, models),
                "rate_intervals": {"cw_success_any": pooled_rates(prof, models, lambda m: _cw_fooled(m, prof))}}

    return {"profile": prof.name,
            "settings": {"cw_steps": s.cw_steps, "cw_binary_search_steps": s.cw_binary_search_steps,
                         "cw_initial_const": s.cw_initial_const, "boundary_steps": s.boundary_steps,
                         "seeds": zoo.headline_seeds(prof)},
            "models": out, **stored_intervals(prof, "cw_boundary", models, intervals)}
