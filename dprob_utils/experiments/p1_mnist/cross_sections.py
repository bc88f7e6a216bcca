"""Chapter 05, paper 1 Fig. 1: two-dimensional cross-sections of the decision boundary."""

from __future__ import annotations

import time

import numpy as np
import torch
from torch import nn

from dprob_utils import attacks
from dprob_utils.analysis import geometry
from dprob_utils.config import versions
from dprob_utils.config.profiles import Profile
from dprob_utils.config.training import TrainConfig
from dprob_utils.experiments.p1_mnist.common import (
    Setup,
    load_model,
    on_common_images,
    pair_difference,
    pct,
    setup,
    stored_intervals,
)
from dprob_utils.models import zoo
from dprob_utils.store.core import stored


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
            "intervals": stored_intervals(s, "cross_section", lambda: {
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
        return on_common_images(sgd, dp, s, a.cross_section_distance_samples, measure)

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
        return on_common_images(sgd, dp, s, a.cross_section_distance_samples, lambda m, x, y: geometry.boundary_bend(
            m, x, y, a.cross_section_span, step, seed=s.prof.seed))

    return stored("p1_normal_bends", parts, compute)


def normal_bend_interval(s: Setup) -> dict:
    """Chapter 05, paper 1 Fig. 1's "more curved" as a number: DP-SGD's mean :func:`geometry.boundary_bend` minus
    SGD's, with its 95% interval, paired over the images both models of a seed classify correctly and the seeds."""
    return pair_difference(s, _normal_bends, "dp", "sgd", empty_ok=True)


def normal_distance_interval(s: Setup) -> dict:
    """Chapter 05, paper 1 Fig. 1 as a number: the SGD − DP-SGD (σ = 1.3, C = 1) difference of the mean
    distance to the boundary along the normal (L2), with its 95% interval, paired over the images both models
    of a seed classify correctly and over the headline seeds."""
    return pair_difference(s, _normal_distances, "sgd", "dp")


def _first_change(cs: geometry.CrossSection) -> float | None:
    """Distance from the sample, along the normal (positive side), to the first grid point of another class."""
    centre = len(cs.a) // 2
    column = cs.classes[:, centre]
    for j in range(len(cs.b) // 2, len(cs.b)):
        if int(column[j]) != cs.label:
            return float(cs.b[j])
    return None
