"""Chapter 11, paper 2 Tables IV, V and Figs. 7-10: the masked models, and the seven-criteria
gradient-masking check (Sec. II-G) on every model.
"""

from __future__ import annotations

import numpy as np
import torch

from dprob_utils.analysis.gradients import input_gradient_zero_share
from dprob_utils.analysis.intervals import bootstrap, difference_of, wilson
from dprob_utils.analysis.masking import MaskingEvidence
from dprob_utils.config.profiles import Profile, get_profile
from dprob_utils.data.datasets import test_set
from dprob_utils.experiments.p2.cw_boundary import BA_CURVE_GRID, ba_points
from dprob_utils.experiments.p2.intervals import max_of, per_model_intervals, versus_sgd
from dprob_utils.experiments.p2.models import (
    ChapterModel,
    chapter_models,
    data_of,
    masking_table_models,
    p1_masking_models,
    p1_substitute,
    reference_value,
    substitute_model,
    summary,
    table_name,
)
from dprob_utils.experiments.p2.pgd import curve_entry, plateau_points
from dprob_utils.experiments.p2.runs import (
    autoattack_fooled,
    boundary,
    cw,
    cw_crafted,
    cw_of,
    fgsm_fooled,
    first_n,
    pgd,
    square_fooled,
)
from dprob_utils.experiments.p2.transfer_gradients import (
    dense_gradients,
    group_difference,
    transfer_cells,
    transfer_sources,
    zero_gradients,
)
from dprob_utils.store.memo import once


def transfer_success_from(source: ChapterModel, target: ChapterModel, prof: Profile) -> tuple[float, int]:
    """(success, points) against ``target`` of the PGD examples (``masking_eps``) crafted on ``source``'s attack
    points, counting the points ``target`` classifies correctly when clean."""
    from dprob_utils.analysis.transfer import Crafted, transfer_success

    s = prof.p2_attacks
    c = pgd(source, prof)
    x, y = data_of(source)
    if s.masking_eps != s.transfer_eps:
        raise ValueError("the stored PGD examples are those at transfer_eps; set masking_eps = transfer_eps")
    return transfer_success(target.model, Crafted(x=x, y=y, adv=c.adv[s.transfer_eps]))


def cw_transfer_into(target: ChapterModel, group: list[ChapterModel], prof: Profile) -> tuple[float, int] | None:
    """(success, points) against ``target`` of the CW₂ examples of every other model of ``group``, pooled
    (paper 2's criterion 7: Fig. 4a's transfer among the models of one architecture, Fig. 8's among the masked
    models); ``None`` without another model."""
    from dprob_utils.analysis.transfer import transfer_outcomes

    outcomes = []
    for m in group:
        if m.key == target.key:
            continue
        outcomes.append(transfer_outcomes(target.model, cw_crafted(m, prof)))
    fooled = torch.cat(outcomes) if outcomes else torch.zeros(0, dtype=torch.bool)
    return (float(fooled.float().mean()), len(fooled)) if len(fooled) else None


def masking_evidence(cm: ChapterModel, prof: Profile, substitute: ChapterModel | None = None,
                     cw_steps: int | None = None, autoattack: bool = True,
                     group: list[ChapterModel] | None = None) -> MaskingEvidence:
    """The measurements of the masking check for ``cm`` from the stored runs (each on its own prefix of the
    attack points; comparisons are made on the common prefix), with paper 2's own measurements of criteria 2, 3
    (the Boundary attack against PGD on the Boundary attack's points) and, given the model's ``group``, 7 (CW₂
    examples of the group's other models transferred to it)."""
    s = prof.p2_attacks
    eps = s.masking_eps
    curves = pgd(cm, prof)
    m = first_n(s.masking_samples, cm)
    head = slice(0, m)
    ev = MaskingEvidence(eps=eps, n=m, l2_eps=list(s.boundary_eps))
    ev.pgd = curves.success(subset=head)[curves.eps.index(eps)]
    full = curves.success()
    ev.eps_grid = [e for e in curves.eps if e in s.pgd_eps or e == eps]
    ev.eps_success = [full[curves.eps.index(e)] for e in ev.eps_grid]
    ev.iter_grid = list(s.pgd_iter_grid)
    ev.iter_success = curves.success_vs_iterations(s.pgd_iter_grid)
    ev.fgsm = float(fgsm_fooled(cm, prof).float().mean())
    ev.square = float(square_fooled(cm, prof).float().mean())
    cwr, bar = cw(cm, prof, cw_steps), boundary(cm, prof)
    k = min(len(cwr.dist), len(bar.dist))
    ev.cw_at = [cwr.success(e, slice(0, k)) for e in s.boundary_eps]
    ev.ba_at = [bar.success(e, slice(0, k)) for e in s.boundary_eps]
    ev.unbounded = float(cwr.fooled.float().mean())
    ev.n_l2, ev.n_cw, ev.n_all = k, len(cwr.dist), len(cm.points)
    pts = ba_vs_pgd_points(cm, prof)
    if len(pts["pgd"]):
        ev.ba_vs_pgd = {name: float(np.mean(v)) for name, v in pts.items()}
        ev.n_ba = len(pts["pgd"])
    if substitute is not None:
        ev.transfer, ev.n_transfer = transfer_success_from(substitute, cm, prof)
        # the transfer rate uses all of the substitute's points: compare with the white-box rate on all of ours
        ev.pgd_all = full[curves.eps.index(eps)]
    if group is not None and (cwt := cw_transfer_into(cm, group, prof)) is not None:
        ev.cw_transfer, ev.n_cw_transfer = cwt
        ev.pgd_all = full[curves.eps.index(eps)]
    if autoattack:
        ev.autoattack = float(autoattack_fooled(cm, prof).float().mean())
    x, y = data_of(cm, m)
    ev.input_grad_zero = input_gradient_zero_share(cm.model, x, y)
    return ev


def masking_reports(prof: Profile) -> dict:
    """The seven-criteria gradient-masking check (``analysis.masking.judge``) on every model of chapter 11, by
    key; the substitutes of criterion 7 under ``"substitutes"``."""
    return once(("masking", prof), lambda: _masking_reports(prof))


def masked_cw_transfer(prof: Profile):
    """Chapter 11, paper 2 Fig. 8: transfer of the CW₂ examples among the Table IV/V models, named as the paper
    names them (``bs1``, ``bs2``, ``m1``-``m3``); once per process."""
    return once(("fig8", prof), lambda: _masked_cw_transfer(prof))


def _masked_cw_transfer(prof: Profile):
    from dprob_utils.analysis.transfer import transfer_matrix

    table_models = masking_table_models(prof)
    src = {}
    for m in table_models:
        src[table_name(m)] = cw_crafted(m, prof)
    return transfer_matrix(src, {table_name(m): m.model for m in table_models})


def _masking_reports(prof: Profile) -> dict:
    from dprob_utils.analysis.masking import judge

    s = prof.p2_attacks
    subs = {arch: substitute_model(prof, arch) for arch in ("p2_lenet", "p2_custom")}
    everyone = [*chapter_models(prof, ("p2_lenet",)), *chapter_models(prof, ("p2_custom",)),
                *chapter_models(prof, ("masked",))]
    groups = {g: [m for m in everyone if m.group == g] for g in ("p2_lenet", "p2_custom", "masked")}
    p1 = p1_masking_models(prof)
    if p1:
        subs["p1_mnist_cnn"] = p1_substitute(prof)
        groups["p1_mnist_cnn"] = p1
    reports = {}
    for m in everyone + p1:
        ev = masking_evidence(m, prof, subs[m.arch], cw_steps=s.cw_masked_steps if m.group == "masked" else None,
                              group=groups[m.group])
        reports[m.key] = judge(ev, s.masking_tolerance, s.masking_full_success)
    return {"models": everyone + p1, "reports": reports, "substitutes": subs}


BLACK = 0.05  # a CW₂ image whose brightest pixel is below this counts as black (paper 2, Table IV's remark)


def run_masking(profile: Profile | str) -> dict:
    """Chapter 11, paper 2 Tables IV, V and Figs. 7-10 on the masked models and baselines, and the
    gradient-masking check on every model. The results dict of ``results/<profile>/11_p2_masking.json``."""
    from dprob_utils.analysis import gradients

    prof = get_profile(profile)
    s = prof.p2_attacks
    table_models = masking_table_models(prof)
    name = {m.key: table_name(m) for m in table_models}
    cws = {m.key: cw_of(m, prof) for m in table_models}
    bas = {m.key: boundary(m, prof) for m in table_models}
    checked = masking_reports(prof)
    return {
        "profile": prof.name,
        "table4": {m.key: {"name": name[m.key], "cw_eps_full_success": cws[m.key].eps_for_full_success(),
                           "cw_success_any": float(cws[m.key].fooled.float().mean()),
                           "cw_steps": s.cw_masked_steps if m.group == "masked" else s.cw_steps,
                           "paper": reference_value("paper2_table4", "cw_eps_full_success", m),
                           "black_images": int((cws[m.key].adv.flatten(1).amax(1) < BLACK).sum()),
                           "cw_n": len(cws[m.key].dist)}
                   for m in table_models},
        "table5": {m.key: {"name": name[m.key], "label": m.label,
                           "ba_success": {f"{e:g}": bas[m.key].success(e) for e in s.boundary_eps},
                           "paper": {f"{e:g}": reference_value("paper2_table5", "success_pct", m, ba_eps=float(e))
                                     for e in s.boundary_eps},
                           "ba_success_any": float(bas[m.key].fooled.float().mean()), "ba_n": len(bas[m.key].dist),
                           "ba_curve": {"eps": BA_CURVE_GRID[:41], "success": bas[m.key].curve(BA_CURVE_GRID[:41])}}
                   for m in table_models},
        "fig7": {m.key: curve_entry(pgd(m, prof), s) for m in table_models},
        "fig8_cw_transfer": masked_cw_transfer(prof).to_dict(),
        "fig9_zero_gradient_pct": {m.key: zero_gradients(m, prof) for m in table_models},
        "fig10_first_dense_summary": {m.key: gradients.summary(dense_gradients(m, prof)) for m in table_models},
        "models": {m.key: summary(m) for m in checked["models"]},
        "masking_check": {k: r.to_dict() for k, r in checked["reports"].items()},
        "substitutes": {arch: summary(sm) for arch, sm in checked["substitutes"].items()},
        # Table V: each masked model (one seed) against the custom CNN's SGD baseline (the headline seeds)
        "intervals": versus_sgd(prof, [m for m in table_models if m.arch == "p2_custom"],
                                 lambda m: ba_points(m, prof)),
        **masked_model_intervals(prof, table_models),
    }


def _masked_cw_points(cm: ChapterModel, prof: Profile) -> dict[str, object]:
    return {"cw_eps_full_success": cw_of(cm, prof).dist.double().numpy()}


def ba_vs_pgd_points(cm: ChapterModel, prof: Profile) -> dict[str, object]:
    """On the Boundary attack's points: fooled by it within each L2 ε (``ba_<ε>``) and by PGD∞ at
    ``pgd_iter_eps`` after the largest iteration budget (``pgd``): paper 2's Table V beside Fig. 7."""
    s = prof.p2_attacks
    b, c = boundary(cm, prof), pgd(cm, prof)
    n = len(b.dist)
    row = c.first_fool[c.eps.index(s.pgd_iter_eps), :n]
    out = {f"ba_{e:g}": (b.dist <= float(e)).double().numpy() for e in s.boundary_eps}
    return out | {"pgd": ((row >= 0) & (row <= max(s.pgd_iter_grid))).double().numpy()}


def _fig8_versus_fig4a(prof: Profile, table_models: list[ChapterModel]) -> dict | None:
    """95% interval of the mean CW₂ transfer rate among the masked models (Fig. 8, their Table IV steps) minus
    the mean off-diagonal CW₂ rate among the custom CNN's models of Fig. 4a (criterion 7 the paper's way)."""

    masked = [m for m in table_models if m.group == "masked"]
    if len(masked) < 2:
        return None
    src = {}
    for m in masked:
        src[m.key] = cw_crafted(m, prof)
    fig8 = transfer_cells(prof, masked, {"cw": src})
    custom = chapter_models(prof, ("p2_custom",))
    fig4a = transfer_cells(prof, custom, {"cw": transfer_sources(prof, custom)["cw"]})
    return group_difference(prof, fig8 | fig4a, list(fig8), list(fig4a))


def masked_model_intervals(prof: Profile, table_models: list[ChapterModel]) -> dict:
    """Chapter 11, paper 2 Tables IV, V and Fig. 7 as intervals, for each masked model (one seed):

    - ``table4_intervals/<key>/cw_eps_full_success_minus_sgd``: its CW₂ perturbation for 100% success minus the
      custom CNN SGD baseline's (bootstrap over the baseline's seeds and both models' points);
    - ``table4_rates/<key>``: Wilson interval of CW₂'s success at any distance (criterion 4);
    - ``clean_accuracy/<key>``: Wilson interval of its test accuracy (the full MNIST test set);
    - ``ba_minus_pgd/<key>/ba_<ε>``: the Boundary attack's success within L2 ε minus PGD∞'s after the largest
      iteration budget, paired on the Boundary attack's points (criteria 2, 3 the paper's way);
    - ``plateau/<key>``: :func:`plateau_points`'s statistics (Fig. 7's plateaus);
    - ``fig8_masked_minus_fig4a``: CW₂ transfer among the masked models minus among Fig. 4a's (criterion 7).
    """
    masked = [m for m in table_models if m.group == "masked"]
    custom = [m for m in table_models if m.arch == "p2_custom"]
    table4 = versus_sgd(prof, custom, lambda m: _masked_cw_points(m, prof), max_of)
    rates, accuracy, ba_pgd = {}, {}, {}
    n_test = len(test_set().y)
    for m in masked:
        r = cw_of(m, prof)
        rates[m.key] = wilson(int(r.fooled.sum()), len(r.dist)).to_dict() if len(r.dist) else None
        accuracy[m.key] = wilson(int(round(m.result.summary()["accuracy"] * n_test)), n_test).to_dict()
        pts = ba_vs_pgd_points(m, prof)
        if len(pts["pgd"]):
            ba_pgd[m.key] = {f"ba_{e:g}": bootstrap(difference_of(f"ba_{e:g}", "pgd"),
                                                    {k: [v] for k, v in pts.items()}, paired=True,
                                                    seed=prof.seed).to_dict()
                             for e in prof.p2_attacks.boundary_eps}
    return {"table4_intervals": {k: v for k, v in table4.items() if k.startswith("masked:")},
            "table4_rates": rates, "clean_accuracy": accuracy, "ba_minus_pgd": ba_pgd,
            "fig8_masked_minus_fig4a": _fig8_versus_fig4a(prof, table_models),
            "plateau": per_model_intervals(prof, masked, lambda m: plateau_points(m, prof))}
