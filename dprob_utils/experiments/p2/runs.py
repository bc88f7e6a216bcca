"""Paper 2's attack runs (chapters 08-11), stored once on disk.

Every attack result is stored under ``<cache>/attacks/`` keyed by the model's cache key, the attack's
settings, the points and :data:`~dprob_utils.config.versions.ATTACK_CODE_VERSION`, so a chapter reuses what
another computed (chapter 10 transfers the CW₂ and PGD examples of chapters 08 and 09) and a re-run is instant.
On Ray the expensive runs go first as tasks of their own (:func:`precompute_attacks`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import torch
from torch import nn

from dprob_utils.attacks import (
    MinimalResult,
    PGDCurves,
    autoattack_linf,
    boundary_walk,
    carlini_wagner_l2,
    fgsm,
    pgd_curves,
    predict,
    square_linf,
)
from dprob_utils.config import versions
from dprob_utils.config.paths import cache_dir
from dprob_utils.config.profiles import Profile, get_profile
from dprob_utils.config.training import TrainConfig
from dprob_utils.experiments.p2.models import ChapterModel, data_of, describe, load
from dprob_utils.models import zoo
from dprob_utils.store import memo
from dprob_utils.store.core import content_key, stored_at


def _run_key(cm: ChapterModel, name: str, params: dict, idx: torch.Tensor) -> str:
    return content_key({"model": cm.cfg.key(), "attack": name, "params": params, "points": idx.tolist(),
                       "version": versions.ATTACK_CODE_VERSION})


def run_path(cm: ChapterModel, name: str, params: dict, idx: torch.Tensor) -> Path:
    return cache_dir() / "attacks" / name / f"{_run_key(cm, name, params, idx)}.pt"


def stored_run(cm: ChapterModel, name: str, params: dict, idx: torch.Tensor, compute: Callable[[], dict]) -> dict:
    """``compute()`` (a dict of tensors / numbers), stored once under ``<cache>/attacks/<name>/``."""
    return stored_at(run_path(cm, name, params, idx), compute)


def first_n(limit: int | None, cm: ChapterModel) -> int:
    return len(cm.points) if limit is None else min(limit, len(cm.points))


def pgd(cm: ChapterModel, prof: Profile) -> PGDCurves:
    """PGD L∞ against ε (``pgd_steps`` iterations) and against iterations at ``pgd_iter_eps``, on all attack
    points; the adversarial images at ``transfer_eps`` are kept (transfer, gallery)."""
    s = prof.p2_attacks
    x, y = data_of(cm)
    eps = sorted({*s.pgd_eps, s.transfer_eps, s.masking_eps})
    params = {"eps": eps, "steps": s.pgd_steps, "iter_eps": s.pgd_iter_eps, "max_iters": max(s.pgd_iter_grid),
              "rel": s.pgd_rel_stepsize, "random_start": s.pgd_random_start, "keep": s.transfer_eps}

    def compute() -> dict:
        c = pgd_curves(cm.model, x, y, eps, s.pgd_steps, iter_eps=s.pgd_iter_eps, max_iters=max(s.pgd_iter_grid),
                       rel_stepsize=s.pgd_rel_stepsize, random_start=s.pgd_random_start,
                       keep_adv=[s.transfer_eps], seed=prof.seed)
        return {"eps": c.eps, "first_fool": c.first_fool, "steps": c.steps, "iter_eps": c.iter_eps,
                "max_iters": c.max_iters, "adv": c.adv[s.transfer_eps], "adv_eps": s.transfer_eps}

    d = stored_run(cm, "pgd", params, cm.points, compute)
    return PGDCurves(eps=d["eps"], first_fool=d["first_fool"], steps=d["steps"], iter_eps=d["iter_eps"],
                     max_iters=d["max_iters"], adv={d["adv_eps"]: d["adv"]})


def cw(cm: ChapterModel, prof: Profile, steps: int | None = None) -> MinimalResult:
    """Carlini-Wagner L2 on the first ``cw_samples`` attack points (``steps`` per constant, default
    ``cw_steps``; Table IV uses ``cw_masked_steps``)."""
    s = prof.p2_attacks
    steps = s.cw_steps if steps is None else steps
    x, y = data_of(cm, first_n(s.cw_samples, cm))
    params = {"steps": steps, "bs": s.cw_binary_search_steps, "c0": s.cw_initial_const, "lr": s.cw_stepsize}

    def compute() -> dict:
        r = carlini_wagner_l2(cm.model, x, y, steps, binary_search_steps=s.cw_binary_search_steps,
                              initial_const=s.cw_initial_const, stepsize=s.cw_stepsize)
        return {"adv": r.adv, "dist": r.dist}

    d = stored_run(cm, "cw", params, cm.points[: len(y)], compute)
    return MinimalResult(adv=d["adv"], dist=d["dist"])


def boundary(cm: ChapterModel, prof: Profile, steps: int | None = None) -> MinimalResult:
    """Boundary attack L2 on the first ``boundary_samples`` attack points (``steps``, default
    ``boundary_steps``; the saturation check uses ``boundary_more_steps``). Runs of one model that differ only
    in ``steps`` share their start and their random draws: the longer one continues the shorter one's walk. So a
    model walks once: the saturation check's models (:func:`saturation_configs`) walk ``boundary_more_steps``
    whichever run is asked for first, and every run a walk passes (``boundary_steps``, ``steps``) is stored as a
    checkpoint of it (bit-identical to that run computed alone, :func:`~dprob_utils.attacks.boundary_walk`)."""
    s = prof.p2_attacks
    steps = s.boundary_steps if steps is None else steps
    x, y = data_of(cm, first_n(s.boundary_samples, cm))
    idx = cm.points[: len(y)]

    def params(n: int) -> dict:
        return {"steps": n, "step": s.boundary_step, "k": s.boundary_stats_every, "seed": prof.seed}

    runs = {steps, s.boundary_steps} if steps > s.boundary_steps else {steps}
    if s.boundary_more_steps and (cm.group, cm.cfg) in saturation_configs(prof):
        runs |= {s.boundary_steps, s.boundary_more_steps}

    def compute() -> dict:
        todo = sorted(n for n in runs if n == steps or not run_path(cm, "boundary", params(n), idx).is_file())
        walk = boundary_walk(cm.model, x, y, todo[-1], todo[:-1], spherical_step=s.boundary_step,
                             source_step=s.boundary_step, update_stats_every_k=s.boundary_stats_every,
                             seed=prof.seed)
        for n in todo:
            if n != steps:
                stored_run(cm, "boundary", params(n), idx, lambda r=walk[n]: {"adv": r.adv, "dist": r.dist})
        return {"adv": walk[steps].adv, "dist": walk[steps].dist}

    d = stored_run(cm, "boundary", params(steps), idx, compute)
    return MinimalResult(adv=d["adv"], dist=d["dist"])


def saturation_keys(prof: Profile) -> set[str]:
    """Model keys of the Boundary attack's saturation check (empty without ``boundary_more_steps``)."""
    s = prof.p2_attacks
    return set(s.boundary_saturation_models) if s.boundary_more_steps else set()


def saturation_configs(prof: Profile) -> list[tuple[str, TrainConfig]]:
    """``(group, config)`` of the saturation check's models that the profile trains (their seed-0 models)."""
    keys = saturation_keys(prof)
    return [(s.config.arch, s.config) for s in zoo.paper2_specs(prof)
            if s.group != "paper2 masked" and s.config.seed == prof.seed
            and describe(s.config.arch, s.config)[0] in keys]


# the expensive runs, costliest first (CW's iterations dominate, then the Boundary attack's)
ATTACK_UNITS = ("cw_masked", "cw", "boundary_more", "boundary", "pgd")


def attack_units(prof: Profile) -> list[tuple[str, TrainConfig, str]]:
    """``(group, config, attack)`` of every expensive attack run chapters 08-11 read: PGD, CW₂ and the Boundary
    attack of every paper 2 model and seed (CW with ``cw_masked_steps`` for the masked models, as Table IV; the
    saturation check's models, :func:`boundary_saturation`, walk ``boundary_more_steps`` and store their
    ``boundary_steps`` run on the way) and PGD of the masking check's substitutes.
    Costliest first. The chapters compute whatever is not stored yet, so running these first
    (:func:`precompute_attacks`) changes no number."""
    longer = {cfg for _, cfg in saturation_configs(prof)}
    out = []
    for spec in zoo.paper2_specs(prof):
        group = "masked" if spec.group == "paper2 masked" else spec.config.arch
        ba = "boundary_more" if spec.config in longer else "boundary"  # the longer walk stores the shorter run
        names = ("cw_masked", ba, "pgd") if group == "masked" else ("cw", ba, "pgd")
        out += [(group, spec.config, name) for name in names]
    out += [(arch, zoo.substitute_config(prof, arch), "pgd") for arch in prof.p2_grid.archs]
    out = list(dict.fromkeys(out))
    return sorted(out, key=lambda u: (ATTACK_UNITS.index(u[2]), u[1].arch != "p2_lenet"))


def run_attack_unit(prof: Profile, group: str, cfg: TrainConfig, name: str) -> str:
    """One unit of :func:`attack_units`: load the model, run the attack and store it (``<cache>/attacks/``,
    where the chapters find it); returns ``name``."""
    cm = load(prof, group, cfg)
    if name == "cw_masked":
        cw(cm, prof, prof.p2_attacks.cw_masked_steps)
    elif name == "boundary_more":
        boundary(cm, prof, prof.p2_attacks.boundary_more_steps)
    else:
        {"cw": cw, "boundary": boundary, "pgd": pgd}[name](cm, prof)
    memo.clear()  # a worker runs many units: keep no model or run beyond its own
    return name


def precompute_attacks(profile: Profile | str, jobs: int | None = None, log: Callable[[str], None] | None = None
                       ) -> int:
    """Run every unit of :func:`attack_units` not stored yet, by the executor (``--executor ray``: one Ray task
    each, one CPU and :func:`.zoo.gpus_per_training` GPUs; the cache must be a path every node shares). ``log``
    gets a line when done and at most every 30 s. Returns the number of units run."""
    from dprob_utils.config.parallel import default_jobs, executor, run_units

    prof = get_profile(profile)
    units = attack_units(prof)
    gpus = zoo.gpus_per_training() if executor() == "ray" else 0.0
    return run_units(run_attack_unit, [(prof, *u) for u in units], "attack runs", jobs or default_jobs(), gpus, log)


def _fooled_run(cm: ChapterModel, prof: Profile, name: str, params: dict,
                attack: Callable[[nn.Module, torch.Tensor, torch.Tensor], torch.Tensor]) -> torch.Tensor:
    s = prof.p2_attacks
    x, y = data_of(cm, first_n(s.masking_samples, cm))

    def compute() -> dict:
        adv = attack(cm.model, x, y) if len(y) else x
        return {"fooled": predict(cm.model, adv).cpu() != y.cpu()}

    return stored_run(cm, name, params, cm.points[: len(y)], compute)["fooled"]


def fgsm_fooled(cm: ChapterModel, prof: Profile) -> torch.Tensor:
    """Per masking point, fooled by FGSM at ``masking_eps`` (``BoolTensor``)."""
    eps = prof.p2_attacks.masking_eps
    return _fooled_run(cm, prof, "fgsm", {"eps": eps}, lambda m, x, y: fgsm(m, x, y, eps))


def square_fooled(cm: ChapterModel, prof: Profile) -> torch.Tensor:
    """Per masking point, fooled by the Square attack at ``masking_eps``."""
    s = prof.p2_attacks
    return _fooled_run(cm, prof, "square", {"eps": s.masking_eps, "q": s.square_queries, "seed": prof.seed},
                       lambda m, x, y: square_linf(m, x, y, s.masking_eps, s.square_queries, prof.seed))


def autoattack_fooled(cm: ChapterModel, prof: Profile) -> torch.Tensor:
    """Per masking point, fooled by AutoAttack at ``masking_eps``."""
    s = prof.p2_attacks
    params = {"eps": s.masking_eps, "steps": s.autoattack_steps, "q": s.autoattack_square_queries,
              "seed": prof.seed}
    return _fooled_run(cm, prof, "autoattack", params,
                       lambda m, x, y: autoattack_linf(m, x, y, s.masking_eps, s.autoattack_steps,
                                                       s.autoattack_square_queries, prof.seed))


def cw_of(cm: ChapterModel, prof: Profile) -> MinimalResult:
    """CW₂ as chapter 11 runs it: ``cw_masked_steps`` for the masked models, ``cw_steps`` for the others."""
    s = prof.p2_attacks
    return cw(cm, prof, s.cw_masked_steps if cm.group == "masked" else None)



def cw_crafted(cm: ChapterModel, prof: Profile):
    """:func:`cw_of`'s adversarial examples with their clean images and labels, as transfer's source
    (:class:`~dprob_utils.analysis.transfer.Crafted`: chapter 10's Fig. 4, chapter 11's Fig. 8 and criterion 7)."""
    from dprob_utils.analysis.transfer import Crafted

    r = cw_of(cm, prof)
    x, y = data_of(cm, len(r.dist))
    return Crafted(x=x, y=y, adv=r.adv)
