"""Chapter 07, paper 1 Sec. 3.6 and Fig. 6: the study, its results dict and its tables.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from dprob_utils.config import versions
from dprob_utils.config.profiles import Profile, get_profile
from dprob_utils.experiments.p1_cifar.heads import CifarModels, build_models, seed_models
from dprob_utils.experiments.p1_cifar.measures import (
    boundary_distance_study,
    curvature_study,
    membership_study,
    study_intervals,
)
from dprob_utils.models import zoo
from dprob_utils.store import core as store_core
from dprob_utils.store.memo import once


def _drop(sgd: float | None, dp: float | None) -> float | None:
    return None if sgd in (None, 0) or dp is None else (sgd - dp) / sgd


def results_dict(models: CifarModels, distances: dict | None = None, curvature: dict | None = None) -> dict:
    """The chapter's numbers for ``results/<profile>/07_p1_cifar.json``.

    ``accuracy`` (test accuracy in [0, 1] of ``sgd`` / ``dpsgd`` and their ``gap``), ``privacy``, the
    provenance of the pre-training data (``pretrain_source``), ``distances`` (``mean_linf`` / ``mean_l2``
    with ``sgd``, ``dpsgd`` and ``relative_drop``) and ``curvature`` (``mean_profile`` per model and
    ``largest_ratio_dp_over_sgd``). Per-image arrays are left out (they go to a CSV).
    """
    s = models.summary()
    out = {
        "profile": models.profile.name,
        "pretrain_source": s["pretrain_source"],
        "pretrain_source_name": s["pretrain_source_name"],
        "data": {k: s[k] for k in ("pretrain_data", "public_size", "private_size", "test_size",
                                   "pretrain_accuracy", "pretrain_accuracy_on")},
        "accuracy": {"sgd": s["accuracy_sgd"], "dpsgd": s["accuracy_dp"],
                     "gap": s["accuracy_sgd"] - s["accuracy_dp"]},
        "privacy": {k: s[k] for k in ("sigma", "clip", "epsilon", "epsilon_prv", "epsilon_eq1", "delta",
                                      "sample_rate", "steps")},
        "epsilon": s["epsilon"],
        "history": {"sgd": s["history_sgd"], "dpsgd": s["history_dp"]},
        "cached": s["cached"],
        "timings_s": dict(s["timings_s"]),
    }
    if distances is not None:
        out["distances"] = {"samples": distances["samples"]}
        out["timings_s"]["distances"] = distances["seconds"]
        for name in ("linf", "l2"):
            e = distances[name]
            out["distances"][f"mean_{name}"] = {
                "sgd": e["sgd"]["mean"], "dpsgd": e["dpsgd"]["mean"],
                "relative_drop": _drop(e["sgd"]["mean"], e["dpsgd"]["mean"]),
                "median_sgd": e["sgd"]["median"], "median_dpsgd": e["dpsgd"]["median"],
                "n_sgd": e["sgd"]["n"], "n_dpsgd": e["dpsgd"]["n"],
                "common_sgd": e["sgd"]["common"]["mean"], "common_dpsgd": e["dpsgd"]["common"]["mean"],
                "common_n": e["sgd"]["common"]["n"],
            }
    if curvature is not None:
        out["timings_s"]["curvature"] = curvature["seconds"]
        out["curvature"] = {
            "samples": curvature["samples"], "k": curvature["k"], "method": curvature["method"],
            "mean_profile": {t: curvature[t]["mean_profile"] for t in ("sgd", "dpsgd")},
            "largest_ratio_dp_over_sgd": curvature["largest_ratio_dp_over_sgd"],
        }
        for t in ("sgd", "dpsgd"):
            if "exact_vs_method_rel_diff" in curvature[t]:
                out["curvature"][f"exact_check_rel_diff_{t}"] = curvature[t]["exact_vs_method_rel_diff"]
                out["curvature"]["exact_check_samples"] = curvature[t]["exact_check_samples"]
    return out


def distance_rows(distances: dict) -> list[dict]:
    """One row per (model, norm, image): the per-image distances as a table (for ``save_csv``)."""
    rows = []
    for name in ("linf", "l2"):
        for tag in ("sgd", "dpsgd"):
            rows += [{"model": tag, "norm": name, "distance": float(d)} for d in distances[name][tag]["distances"]]
    return rows


@dataclass
class CifarStudy:
    """Chapter 07's models and the raw measurements behind Fig. 6: ``distances`` as
    :func:`boundary_distance_study` returns them (per-image arrays), ``curvature`` as :func:`curvature_study`;
    ``intervals`` as :func:`study_intervals` over the headline seeds."""

    models: CifarModels
    distances: dict
    curvature: dict
    intervals: dict = field(default_factory=dict)
    membership: dict = field(default_factory=dict)


def stored_measurement(models: CifarModels, what: str, measure) -> dict:
    """``measure(models)`` (:func:`boundary_distance_study` or :func:`curvature_study`), stored per pair of heads
    and the chapter's settings, so that a warm run reads it."""
    parts = {"what": what, "sgd": models.sgd_result.key, "dp": models.dp_result.key,
             "cifar": asdict(models.profile.cifar), "seed": models.profile.seed, "code": versions.CIFAR_CODE_VERSION}
    return store_core.stored(f"p1_cifar_{what}", parts, lambda: measure(models))


def study(profile: Profile | str) -> CifarStudy:
    """Chapter 07, paper 1 Fig. 6: build (or load) the models and measure distances and curvature, once per
    process; :func:`run_cifar` and the chapter's figures share it."""
    prof = get_profile(profile)
    return once(("cifar study", prof), lambda: _study(prof))


def _study(prof: Profile) -> CifarStudy:
    models = seed_models(build_models(prof))
    seeded = [(m, stored_measurement(m, "distances", boundary_distance_study),
               stored_measurement(m, "curvature", curvature_study)) for m in models]
    # both are functions of the stored heads and the settings: stored, so that a warm run reads them
    parts = {"heads": [[m.sgd_result.key, m.dp_result.key] for m in models], "cifar": asdict(prof.cifar),
             "seed": prof.seed, "code": versions.CIFAR_CODE_VERSION, "intervals": versions.INTERVALS_VERSION}
    intervals = store_core.stored("p1_cifar_intervals", parts, lambda: study_intervals(seeded))
    membership = store_core.stored("p1_cifar_membership", parts | {"privacy": asdict(prof.privacy),
                                                                   "lira": versions.LIRA_VERSION},
                                   lambda: membership_study(models))
    return CifarStudy(*seeded[0], intervals=intervals, membership=membership)


def run_cifar(profile: Profile | str) -> dict:
    """Chapter 07, paper 1 Sec. 3.6 and Fig. 6: the CIFAR-10 models (public pre-training, private dense layers),
    their distances to the decision boundary and input-Hessian curvature. The results dict of
    ``results/<profile>/07_p1_cifar.json``."""
    s = study(profile)
    return results_dict(s.models, s.distances, s.curvature) | {"intervals": s.intervals, "membership": s.membership,
                                                                "seeds": zoo.headline_seeds(s.models.profile)}
