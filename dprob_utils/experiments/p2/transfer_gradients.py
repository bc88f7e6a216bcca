"""Chapter 10, paper 2 Sec. V (transferability, Fig. 4) and Sec. VI (gradient statistics, Figs. 5, 6)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from dprob_utils.analysis.intervals import bootstrap
from dprob_utils.config.profiles import Profile, get_profile
from dprob_utils.experiments.p2.intervals import stored_intervals, trend_intervals, versus_sgd
from dprob_utils.experiments.p2.models import (
    ChapterModel,
    chapter_models,
    data_of,
    gradient_batch,
    lenet_and_custom,
    summary,
)
from dprob_utils.experiments.p2.runs import cw_crafted, pgd
from dprob_utils.store.memo import once


def dense_gradients(cm: ChapterModel, prof: Profile) -> torch.Tensor:
    """∂L/∂W of ``cm``'s first dense layer on :func:`gradient_batch` (paper 2 Figs. 5, 10), once per process."""
    from dprob_utils.analysis import gradients

    return once(("dense", prof, cm.key), lambda: gradients.first_dense_gradients(cm.model, *gradient_batch(prof)))


def zero_gradients(cm: ChapterModel, prof: Profile) -> dict:
    """Per layer, the % of zero gradients of ``cm`` on :func:`gradient_batch` (paper 2 Figs. 6, 9), once per
    process."""
    from dprob_utils.analysis import gradients

    return once(("zero", prof, cm.key),
                 lambda: gradients.zero_gradient_percentage(cm.model, *gradient_batch(prof)))


def gradient_values(cm: ChapterModel, prof: Profile) -> dict[str, np.ndarray]:
    """One value per model for the gradient claims (paper 2 Sec. VI): ``log_mean_abs``, the log of the mean
    |∂L/∂W| of the first dense layer, and ``zero_<layer>``, the % of zero gradients of each layer."""
    from dprob_utils.analysis import gradients

    g = gradients.summary(dense_gradients(cm, prof))
    out = {"log_mean_abs": np.array([np.log(max(g["mean_abs"], 1e-30))])}
    return out | {f"zero_{layer}": np.array([float(v)]) for layer, v in zero_gradients(cm, prof).items()}


def gradient_intervals(prof: Profile, models: list[ChapterModel]) -> dict:
    """Chapter 10, paper 2 Sec. VI (Figs. 5, 6) as intervals over the headline seeds (one gradient batch per
    model: the seeds are the resampled unit): ``versus_sgd/<key>/<quantity>_minus_sgd`` for every DP model and
    ``trend/<quantity>/<arch>/<group>/<pair>`` along :func:`trend_pairs`, for ``log_mean_abs`` (a difference of
    logs: the log of the ratio of the mean gradient magnitudes) and each layer's ``zero_<layer>`` (% points).
    Stored (a function of the models), so a warm chapter does not redo the bootstraps."""
    def values(m: ChapterModel) -> dict[str, np.ndarray]:
        return gradient_values(m, prof)

    return stored_intervals(prof, "gradient", models, lambda: {"versus_sgd": versus_sgd(prof, models, values),
                                                                "trend": trend_intervals(prof, models, values)})


def dense_gradients_by_label(prof: Profile, models: list[ChapterModel],
                             label: Callable[[ChapterModel], str] = lambda m: m.label) -> dict[str, torch.Tensor]:
    """Chapters 10, 11 (paper 2 Figs. 5, 10): :func:`dense_gradients` of each model, by its figure label."""
    return {label(m): dense_gradients(m, prof) for m in models}


def transfer_matrices(prof: Profile, arch: str) -> dict:
    """Chapter 10, paper 2 Fig. 4: ``{"cw": ..., "pgd": ...}`` transfer matrices among ``arch``'s models (rows:
    crafted on, columns: evaluated on; CW₂ examples and PGD∞ examples at ``transfer_eps``)."""
    return once(("transfer", prof, arch), lambda: _transfer_matrices(prof, arch))


def transfer_sources(prof: Profile, ms: list[ChapterModel]) -> dict:
    """``{"cw": {key: Crafted}, "pgd": {key: Crafted}}``: each model's CW₂ examples and PGD∞ examples at
    ``transfer_eps``, on its own attack points."""
    from dprob_utils.analysis.transfer import Crafted

    out: dict = {"cw": {}, "pgd": {}}
    for m in ms:
        out["cw"][m.key] = cw_crafted(m, prof)
        x, y = data_of(m)
        out["pgd"][m.key] = Crafted(x=x, y=y, adv=pgd(m, prof).adv[prof.p2_attacks.transfer_eps])
    return out


def _transfer_matrices(prof: Profile, arch: str) -> dict:
    from dprob_utils.analysis.transfer import transfer_matrix

    ms = chapter_models(prof, (arch,))
    label = {m.key: m.label for m in ms}
    targets = {m.label: m.model for m in ms}
    return {att: transfer_matrix({label[k]: c for k, c in src.items()}, targets)
            for att, src in transfer_sources(prof, ms).items()}


def transfer_cells(prof: Profile, ms: list[ChapterModel], sources: dict | None = None) -> dict[str, np.ndarray]:
    """Per attack, source and target (``"<attack>|<source key>|<target key>"``, source ≠ target), the transfer
    outcome of each crafted example the target classifies correctly (1 fooled, 0 not)."""
    from dprob_utils.analysis.transfer import transfer_outcomes

    sources = sources or transfer_sources(prof, ms)
    return {f"{att}|{a}|{t.key}": transfer_outcomes(t.model, c).double().numpy()
            for att, src in sources.items() for a, c in src.items() for t in ms if t.key != a}


def _cells_mean(cells: list[str]) -> Callable[[dict], float]:
    """The statistic 'mean over ``cells`` of each cell's mean' (cells without points are skipped)."""
    return lambda d: float(np.mean([d[c][0].mean() for c in cells]))


def group_difference(prof: Profile, cells: dict[str, np.ndarray], a: list[str], b: list[str]) -> dict | None:
    """95% interval of the mean transfer rate over the cells ``a`` minus over the cells ``b`` (a bootstrap over
    each cell's examples; ``None`` when a group is empty)."""
    a, b = [c for c in a if len(cells.get(c, ()))], [c for c in b if len(cells.get(c, ()))]
    if not a or not b:
        return None
    samples = {c: [cells[c]] for c in dict.fromkeys(a + b)}
    ma, mb = _cells_mean(a), _cells_mean(b)
    return bootstrap(lambda d: ma(d) - mb(d), samples, seed=prof.seed).to_dict()


def _top_minus_rest(cols: dict[str, list[str]], top: list[str], rest: list[str]) -> Callable[[dict], float]:
    """The statistic 'smallest mean rate of a ``top`` column minus the largest of a ``rest`` column'."""
    return lambda d: min(_cells_mean(cols[t])(d) for t in top) - max(_cells_mean(cols[t])(d) for t in rest)


def transfer_intervals(prof: Profile, arch: str) -> dict:
    """Chapter 10, paper 2 Sec. V as intervals (one seed; a bootstrap over the examples of every cell of the
    transfer matrices), per attack (``cw``, ``pgd``) of ``arch``'s models:

    - ``dp_to_dp_minus_sgd_to_dp``: examples transfer better among DP models than from SGD to DP models;
    - ``sgd_to_dp_minus_dp_to_sgd``: better from SGD to DP models than from DP models to SGD;
    - ``source_high_c_minus_low_c``: examples crafted on the σ = 1.3 model with the largest C transfer (to every
      other model) minus those crafted on the one with the smallest C;
    - ``target_high_c_minus_low_c``: the σ = 1.3 model with the largest C as a target (from every other model)
      minus the one with the smallest C;
    - ``plateau_targets_minus_rest`` (custom CNN): the least vulnerable of the σ = 2, 3, C = 10 models as a
      target minus the most vulnerable other target;
    and ``pgd_minus_cw``: the mean off-diagonal rate of PGD's examples minus CW₂'s. Stored (a function of the
    stored attack runs), so a warm chapter does not redo the bootstraps.
    """
    ms = chapter_models(prof, (arch,))
    return stored_intervals(prof, "transfer", ms, lambda: _transfer_intervals(prof, arch, ms))


def _transfer_intervals(prof: Profile, arch: str, ms: list[ChapterModel]) -> dict:
    cells = transfer_cells(prof, ms)
    sgd = [m.key for m in ms if m.cfg.mode == "sgd"]
    dp = [m.key for m in ms if m.cfg.mode != "sgd"]
    by_c = sorted((m for m in ms if m.cfg.mode != "sgd" and m.cfg.sigma == 1.3), key=lambda m: m.cfg.clip)
    plateau = [k for k in (f"{arch}:s2_c10", f"{arch}:s3_c10") if k in dp] if arch == "p2_custom" else []
    keys = [m.key for m in ms]
    out: dict = {}
    for att in ("cw", "pgd"):
        def cell(a: str, t: str, att: str = att) -> str:
            return f"{att}|{a}|{t}"

        def group(srcs: list[str], tgts: list[str]) -> list[str]:
            return [cell(a, t) for a in srcs for t in tgts if a != t]

        res = {"dp_to_dp_minus_sgd_to_dp": group_difference(prof, cells, group(dp, dp), group(sgd, dp)),
               "sgd_to_dp_minus_dp_to_sgd": group_difference(prof, cells, group(sgd, dp), group(dp, sgd))}
        res["source_high_c_minus_low_c"] = res["target_high_c_minus_low_c"] = None
        if len(by_c) >= 2:
            lo, hi = by_c[0].key, by_c[-1].key
            res["source_high_c_minus_low_c"] = group_difference(prof, cells, group([hi], keys), group([lo], keys))
            res["target_high_c_minus_low_c"] = group_difference(prof, cells, group(keys, [hi]), group(keys, [lo]))
        if arch == "p2_custom":
            res["plateau_targets_minus_rest"] = None
        if plateau:
            cols = {t: group(keys, [t]) for t in keys}
            samples = {c: [cells[c]] for cs in cols.values() for c in cs if len(cells[c])}
            top = [t for t in plateau if all(c in samples for c in cols[t])]
            rest = [t for t in keys if t not in plateau and all(c in samples for c in cols[t])]
            if top and rest:
                res["plateau_targets_minus_rest"] = bootstrap(_top_minus_rest(cols, top, rest), samples,
                                                              seed=prof.seed).to_dict()
        out[att] = res  # None where a group has no counted example (the claim is then "not run")
    off = {att: [c for c in cells if c.startswith(f"{att}|")] for att in ("cw", "pgd")}
    out["pgd_minus_cw"] = group_difference(prof, cells, off["pgd"], off["cw"])
    return out


def run_transfer_gradients(profile: Profile | str) -> dict:
    """Chapter 10, paper 2 Sec. V (Fig. 4, transfer) and Sec. VI (Figs. 5, 6, gradients at the first dense layer
    and zero-gradient shares per layer). The results dict of ``results/<profile>/10_p2_transfer_gradients.json``."""
    from dprob_utils.analysis import gradients

    prof = get_profile(profile)
    models = lenet_and_custom(prof)
    matrices = {arch: transfer_matrices(prof, arch) for arch in ("p2_custom", "p2_lenet")}
    _, yb = gradient_batch(prof)
    return {
        "profile": prof.name,
        "transfer": {arch: {att: mat.to_dict() for att, mat in mats.items()} for arch, mats in matrices.items()},
        "transfer_intervals": {arch: transfer_intervals(prof, arch) for arch in ("p2_custom", "p2_lenet")},
        "transfer_eps_pgd": prof.p2_attacks.transfer_eps,
        "gradient": {"of": "sum over the batch of the cross-entropy of the logits with the true labels",
                     "wrt": "each layer's parameters (weights for the first-dense-layer distribution; weights and "
                            "biases for the zero percentage)", "batch": len(yb)},
        "first_dense_summary": {m.key: gradients.summary(dense_gradients(m, prof)) for m in models},
        "zero_gradient_pct": {m.key: zero_gradients(m, prof) for m in models},
        "gradient_intervals": gradient_intervals(prof, models),
        "keys": {m.label + " " + m.arch: m.key for m in models},
        "models": {m.key: summary(m) for m in models},
    }
