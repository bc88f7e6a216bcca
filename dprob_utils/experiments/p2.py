"""The paper 2 chapter's models, attack points and attack runs, shared by notebooks 08-11.

- **Models**: :func:`chapter_models` loads (or trains) every model of ``zoo.paper2_specs(profile)`` and names it
  (``p2_custom:sgd``, ``p2_lenet:s1.3_c10``, ``masked:m1`` ...).
- **Attack points**: one fixed random permutation of the 10,000 MNIST test images (seed = the profile's seed);
  a model is attacked on the first ``samples`` images of that permutation that it classifies correctly, so
  every model sees the same random draw and models that agree on an image attack the same image. Slower
  attacks use the first ``cw_samples`` / ``boundary_samples`` / ``masking_samples`` of those points.
- **Runs**: every attack result is stored on disk under ``<cache>/attacks/`` keyed by the model's cache key,
  the attack's settings, the points and :data:`~dprob_utils.store.versions.ATTACK_CODE_VERSION`, so a notebook reuses what another one
  computed (notebook 10 transfers the CW₂ and PGD examples of notebooks 08 and 09) and a re-run is instant.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
import torch
from torch import nn

from dprob_utils.analysis.gradients import input_gradient_zero_share
from dprob_utils.analysis.intervals import bootstrap, difference_of, mean_of, wilson
from dprob_utils.analysis.masking import MaskingEvidence
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
from dprob_utils.config.devices import training_device
from dprob_utils.config.paths import cache_dir
from dprob_utils.config.profiles import PAPER, Profile, get_profile
from dprob_utils.data.datasets import ImageDataset, load_dataset
from dprob_utils.dp.training import TrainConfig, TrainResult
from dprob_utils.models import zoo
from dprob_utils.store import versions
from dprob_utils.store.core import content_key, stored, stored_at


@dataclass
class ChapterModel:
    """One model of the chapter with its attack points.

    Attributes:
        key: stable id used in the results JSON (``p2_custom:s1.3_c1``, ``masked:m2``, ...).
        label: table label (``SGD``, ``σ=1.3, C=1``, ``m1 (σ=2, C=5, 50 ep.)``).
        group: ``p2_lenet``, ``p2_custom`` or ``masked``.
        points: test-set indices (``LongTensor [n]``) of the correctly classified attack points, in
            permutation order.
    """

    key: str
    label: str
    group: str
    cfg: TrainConfig
    model: nn.Module
    result: TrainResult
    points: torch.Tensor

    @property
    def arch(self) -> str:
        return self.cfg.arch

    @property
    def sigma_clip(self) -> tuple[float, float] | None:
        return None if self.cfg.mode == "sgd" else (self.cfg.sigma, self.cfg.clip)


_TEST: dict[str, ImageDataset] = {}


def test_set() -> ImageDataset:
    """The MNIST test set (loaded once per process)."""
    if "mnist" not in _TEST:
        _TEST["mnist"] = load_dataset("mnist", "test")
    return _TEST["mnist"]


def test_permutation(seed: int) -> torch.Tensor:
    """The fixed random order of the MNIST test images from which attack points are drawn."""
    return torch.randperm(len(test_set()), generator=torch.Generator().manual_seed(seed))


def attack_points(model: nn.Module, n: int, seed: int) -> torch.Tensor:
    """Test indices of the first ``n`` images of :func:`test_permutation` that ``model`` classifies correctly
    (fewer only if the whole test set holds fewer)."""
    ds, perm = test_set(), test_permutation(seed)
    chosen: list[torch.Tensor] = []
    have, pos, chunk = 0, 0, max(2 * n, 64)
    while have < n and pos < len(perm):
        idx = perm[pos : pos + chunk]
        ok = predict(model, ds.x[idx]) == ds.y[idx]
        chosen.append(idx[ok][: n - have])
        have += int(chosen[-1].numel())
        pos += chunk
    return torch.cat(chosen) if chosen else torch.empty(0, dtype=torch.long)


def gradient_batch(prof: Profile) -> tuple[torch.Tensor, torch.Tensor]:
    """The test batch of the gradient statistics: the first ``gradient_batch`` images of the permutation
    (correctly classified or not), the same for every model."""
    idx = test_permutation(prof.seed)[: prof.p2_attacks.gradient_batch]
    return test_set().x[idx], test_set().y[idx]


def _masked_name(sigma: float, clip: float) -> str:
    for i, (s, c, _) in enumerate(PAPER.p2_grid.masked):
        if (s, c) == (sigma, clip):
            return f"m{i + 1}"
    return f"m(σ={sigma:g},C={clip:g})"


def _describe(group: str, cfg: TrainConfig) -> tuple[str, str]:
    if group == "masked":
        name = _masked_name(cfg.sigma, cfg.clip)
        return f"masked:{name}", f"{name} (σ={cfg.sigma:g}, C={cfg.clip:g}, {cfg.epochs} ep.)"
    if cfg.mode == "sgd":
        return f"{cfg.arch}:sgd", "SGD"
    return f"{cfg.arch}:s{cfg.sigma:g}_c{cfg.clip:g}", f"σ={cfg.sigma:g}, C={cfg.clip:g}"


# What a chapter loaded or computed once in this process (models with their attack points, transfer matrices,
# masking reports), so that its run_* function and its figures share one copy.
_IN_PROCESS: dict[tuple, object] = {}


def _once(key: tuple, make: Callable[[], object]):
    if key not in _IN_PROCESS:
        _IN_PROCESS[key] = make()
    return _IN_PROCESS[key]


def _load(prof: Profile, group: str, cfg: TrainConfig, key: str | None = None,
          label: str | None = None) -> ChapterModel:
    return _once(("model", prof, group, cfg.key(), key, label), lambda: _load_now(prof, group, cfg, key, label))


def _load_now(prof: Profile, group: str, cfg: TrainConfig, key: str | None, label: str | None) -> ChapterModel:
    model, result = zoo.load(cfg, prof)
    # a fresh copy from the cache: the attacks run where training does (DPROB_DEVICE, else a GPU when there is one)
    model = model.to(training_device())
    k, lab = _describe(group, cfg)
    pts = attack_points(model, prof.p2_attacks.samples, prof.seed)
    return ChapterModel(key=key or k, label=label or lab, group=group, cfg=cfg, model=model, result=result,
                        points=pts)


def chapter_models(prof: Profile, groups: tuple[str, ...] = ("p2_lenet", "p2_custom", "masked")
                   ) -> list[ChapterModel]:
    """Every model of ``zoo.paper2_specs(profile)`` in ``groups`` (trained on first use, then cached)."""
    out = []
    for spec in zoo.paper2_specs(prof):
        if spec.group == "paper2 seeds":
            continue
        group = "masked" if spec.group == "paper2 masked" else spec.config.arch
        if group in groups:
            out.append(_load(prof, group, spec.config))
    return out


def seed_models(prof: Profile, cm: ChapterModel) -> list[ChapterModel]:
    """``cm`` trained with each headline seed (``cm`` itself first; key ``<key>@seed<n>`` for the others), each
    with its own attack points. A masked model has one seed."""
    if cm.group == "masked":
        return [cm]
    out = [cm]
    for seed in zoo.headline_seeds(prof)[1:]:
        cfg = replace(cm.cfg, seed=seed)
        out.append(_load(prof, cm.group, cfg, key=f"{cm.key}@seed{seed}", label=f"{cm.label} (seed {seed})"))
    return out


def substitute_model(prof: Profile, arch: str) -> ChapterModel:
    """The "similar substitute" of the masking check's criterion 7: the SGD model of ``arch`` trained with
    seed ``profile seed + substitute_seed_offset`` (not a model of the paper; trained on first use)."""
    cfg = zoo.substitute_config(prof, arch)
    return _load(prof, arch, cfg, key=f"{arch}:sgd-substitute", label=f"SGD (seed {cfg.seed})")


def data_of(cm: ChapterModel, n: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Images ``[n, 1, 28, 28]`` and labels of the first ``n`` (default all) attack points of ``cm``."""
    idx = cm.points if n is None else cm.points[:n]
    return test_set().x[idx], test_set().y[idx]


# --------------------------------------------------------------------------- the run store


def _run_key(cm: ChapterModel, name: str, params: dict, idx: torch.Tensor) -> str:
    return content_key({"model": cm.cfg.key(), "attack": name, "params": params, "points": idx.tolist(),
                       "version": versions.ATTACK_CODE_VERSION})


def _run_path(cm: ChapterModel, name: str, params: dict, idx: torch.Tensor) -> Path:
    return cache_dir() / "attacks" / name / f"{_run_key(cm, name, params, idx)}.pt"


def _stored(cm: ChapterModel, name: str, params: dict, idx: torch.Tensor, compute: Callable[[], dict]) -> dict:
    """``compute()`` (a dict of tensors / numbers), stored once under ``<cache>/attacks/<name>/``."""
    return stored_at(_run_path(cm, name, params, idx), compute)


def _n(limit: int | None, cm: ChapterModel) -> int:
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

    d = _stored(cm, "pgd", params, cm.points, compute)
    return PGDCurves(eps=d["eps"], first_fool=d["first_fool"], steps=d["steps"], iter_eps=d["iter_eps"],
                     max_iters=d["max_iters"], adv={d["adv_eps"]: d["adv"]})


def cw(cm: ChapterModel, prof: Profile, steps: int | None = None) -> MinimalResult:
    """Carlini-Wagner L2 on the first ``cw_samples`` attack points (``steps`` per constant, default
    ``cw_steps``; Table IV uses ``cw_masked_steps``)."""
    s = prof.p2_attacks
    steps = s.cw_steps if steps is None else steps
    x, y = data_of(cm, _n(s.cw_samples, cm))
    params = {"steps": steps, "bs": s.cw_binary_search_steps, "c0": s.cw_initial_const, "lr": s.cw_stepsize}

    def compute() -> dict:
        r = carlini_wagner_l2(cm.model, x, y, steps, binary_search_steps=s.cw_binary_search_steps,
                              initial_const=s.cw_initial_const, stepsize=s.cw_stepsize)
        return {"adv": r.adv, "dist": r.dist}

    d = _stored(cm, "cw", params, cm.points[: len(y)], compute)
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
    x, y = data_of(cm, _n(s.boundary_samples, cm))
    idx = cm.points[: len(y)]

    def params(n: int) -> dict:
        return {"steps": n, "step": s.boundary_step, "k": s.boundary_stats_every, "seed": prof.seed}

    runs = {steps, s.boundary_steps} if steps > s.boundary_steps else {steps}
    if s.boundary_more_steps and (cm.group, cm.cfg) in saturation_configs(prof):
        runs |= {s.boundary_steps, s.boundary_more_steps}

    def compute() -> dict:
        todo = sorted(n for n in runs if n == steps or not _run_path(cm, "boundary", params(n), idx).is_file())
        walk = boundary_walk(cm.model, x, y, todo[-1], todo[:-1], spherical_step=s.boundary_step,
                             source_step=s.boundary_step, update_stats_every_k=s.boundary_stats_every,
                             seed=prof.seed)
        for n in todo:
            if n != steps:
                _stored(cm, "boundary", params(n), idx, lambda r=walk[n]: {"adv": r.adv, "dist": r.dist})
        return {"adv": walk[steps].adv, "dist": walk[steps].dist}

    d = _stored(cm, "boundary", params(steps), idx, compute)
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
            and _describe(s.config.arch, s.config)[0] in keys]


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


# --------------------------------------------------------------------------- attack runs as units of work

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
    cm = _load(prof, group, cfg)
    if name == "cw_masked":
        cw(cm, prof, prof.p2_attacks.cw_masked_steps)
    elif name == "boundary_more":
        boundary(cm, prof, prof.p2_attacks.boundary_more_steps)
    else:
        {"cw": cw, "boundary": boundary, "pgd": pgd}[name](cm, prof)
    _IN_PROCESS.clear()  # a worker runs many units: keep no model or run beyond its own
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
    x, y = data_of(cm, _n(s.masking_samples, cm))

    def compute() -> dict:
        adv = attack(cm.model, x, y) if len(y) else x
        return {"fooled": predict(cm.model, adv).cpu() != y.cpu()}

    return _stored(cm, name, params, cm.points[: len(y)], compute)["fooled"]


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
    from dprob_utils.analysis.transfer import Crafted, transfer_outcomes

    outcomes = []
    for m in group:
        if m.key == target.key:
            continue
        r = cw_of(m, prof)
        x, y = data_of(m, len(r.dist))
        outcomes.append(transfer_outcomes(target.model, Crafted(x=x, y=y, adv=r.adv)))
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
    m = _n(s.masking_samples, cm)
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


# --------------------------------------------------------------------------- tables and panels


def table_name(cm: ChapterModel) -> str:
    """Paper 2's name of a model in Tables IV and V: ``bs1`` (custom SGD), ``bs2`` (LeNet SGD), ``m1``-``m3``."""
    if cm.group == "masked":
        return cm.key.split(":", 1)[1]
    if cm.cfg.mode == "sgd":
        return "bs1" if cm.arch == "p2_custom" else "bs2"
    return cm.key


def reference_value(table: str, column: str, cm: ChapterModel, **match) -> float | None:
    """The paper's value of ``column`` in ``reference/<table>.csv`` for ``cm`` (matched on architecture and
    σ, C for Tables II / III, on the model name for Tables IV / V, plus ``match``); None if not listed."""
    from dprob_utils.book.reference import load_reference

    for row in load_reference(table):
        if any(row.get(k) != v for k, v in match.items()):
            continue
        if "model" in row:
            if row["model"] != table_name(cm):
                continue
        else:
            if row["arch"] != cm.arch or row["mode"] != cm.cfg.mode:
                continue
            if cm.cfg.mode != "sgd" and (row["sigma"], row["clip"]) != (cm.cfg.sigma, cm.cfg.clip):
                continue
        v = row[column]
        return float(v) if isinstance(v, float) else None
    return None


def panels(models: list[ChapterModel]) -> dict[str, list[ChapterModel]]:
    """Paper 2's split of Figs. 1 and 2 for one architecture: SGD with the σ = 1.3 models (C varies), and SGD
    with the other σ (C = 1 and C = 10)."""
    sgd = [m for m in models if m.cfg.mode == "sgd"]
    a = sgd + [m for m in models if m.cfg.mode != "sgd" and m.cfg.sigma == 1.3]
    b = sgd + [m for m in models if m.cfg.mode != "sgd" and m.cfg.sigma != 1.3]
    return {"σ = 1.3, C varies": a, "other σ (C = 1, 10)": b}


def summary(cm: ChapterModel) -> dict:
    """Accuracy, privacy and attack-point count of a model, for the results JSON."""
    s = cm.result.summary()
    return {"key": cm.key, "label": cm.label, "arch": cm.arch, "mode": cm.cfg.mode,
            "sigma": None if cm.cfg.mode == "sgd" else cm.cfg.sigma,
            "clip": None if cm.cfg.mode == "sgd" else cm.cfg.clip, "epochs": cm.cfg.epochs,
            "accuracy": s["accuracy"], "epsilon": s["epsilon"], "delta": s["delta"], "n_points": len(cm.points)}


def _train_text(cfg: TrainConfig) -> str:
    data = f"{cfg.train_subset:,} training images" if cfg.train_subset else "full MNIST"
    return f"{cfg.epochs} epochs, lr {cfg.lr:g}, batch {cfg.batch_size}, {data}"


def settings_rows(prof: Profile, topic: str) -> list[tuple[str, str, str]]:
    """(setting, paper 2, ours) rows of a chapter's settings table; ``topic`` is ``models``, ``pgd``,
    ``cw_ba``, ``transfer``, ``gradients`` or ``masking``."""
    s, t, g = prof.p2_attacks, prof.p2_train, prof.p2_grid

    def n(v: int | None) -> str:
        return f"first {v} of them" if v is not None and v < s.samples else "all of them"

    pts = f"{s.samples} correctly classified points of a fixed random test permutation (seed {prof.seed})"
    rows = {
        "models": [
            ("training (SGD)", "50 epochs, lr 0.05, batch 250, full MNIST", _train_text(t.config("p2_custom"))),
            ("training (DP-SGD)", "50 epochs, lr 0.05, batch 250, full MNIST",
             _train_text(t.config("p2_custom", "dpsgd", 1.3, 1.0))),
            ("DP-SGD (σ, C)", "SGD and the grid of Tables II, III (10 settings)",
             "SGD and " + ", ".join(f"({a:g}, {b:g})" for a, b in g.settings)),
            ("masked models (σ, C, epochs)", "(2, 5, 50), (2, 6, 40), (2, 7, 20)",
             ", ".join(f"({a:g}, {b:g}, {e})" for a, b, e in g.masked)),
            ("attack points", "1000 random correctly classified test points per model", pts),
        ],
        "pgd": [
            ("ε grid (Fig. 1)", "0 to 0.5 in steps of 0.025", ", ".join(f"{e:g}" for e in s.pgd_eps)),
            ("iterations (Fig. 1)", "40", str(s.pgd_steps)),
            ("iterations (Fig. 2), ε = 0.3", "up to ~100 (plot)", ", ".join(map(str, s.pgd_iter_grid))),
            ("step size α", "not stated (Foolbox)", f"{s.pgd_rel_stepsize:.4g} · ε (Foolbox LinfPGD default)"),
            ("start", "'initialized in an Lp ball' (Foolbox)",
             "uniform random in the ball" if s.pgd_random_start else "x"),
        ],
        "cw_ba": [
            ("CW₂ iterations", "10,000", f"{s.cw_steps} per constant"),
            ("CW₂ binary search on c", "yes (Foolbox default: 9 rounds from 0.001)",
             f"{s.cw_binary_search_steps} rounds from {s.cw_initial_const:g}"),
            ("CW₂ Adam step, κ", "not stated (Foolbox 0.01, 0)", f"{s.cw_stepsize:g}, 0"),
            ("CW₂ points", "1000 (the attack points)", n(s.cw_samples)),
            ("BA₂ iterations", "25,000", str(s.boundary_steps)),
            ("BA₂ initial step, adaptation", "not stated (Foolbox 0.01, statistics every 10 steps)",
             f"{s.boundary_step:g}, every {s.boundary_stats_every} step(s)"),
            ("BA₂ points", "1000 (the attack points)", n(s.boundary_samples)),
            ("BA₂ saturation check", "'for more iterations, no increase in success rates' (not stated how many)",
             "not run" if not s.boundary_more_steps else
             f"{s.boundary_more_steps} iterations on the same points, {len(saturation_configs(prof))} models"),
        ],
        "transfer": [
            ("CW₂ examples", "crafted with 100% success on the source", "the CW₂ runs of Table II"),
            ("PGD∞ examples", "ε = 0.3", f"ε = {s.transfer_eps:g}, the runs of Fig. 1"),
            ("counted samples", "not stated", "those the evaluated model classifies correctly when clean"),
        ],
        "gradients": [
            ("gradient", "of the loss w.r.t. the weights (sec. II-A), 'at the first dense layer'",
             "∂(Σ_batch cross-entropy)/∂θ per layer, eval mode, no clipping or noise"),
            ("batch", "a test data batch", f"first {s.gradient_batch} images of the test permutation"),
        ],
        "masking": [
            ("CW₂ iterations (Table IV)", "20,000", f"{s.cw_masked_steps} per constant"),
            ("L∞ bound of the check", "–", f"ε = {s.masking_eps:g}"),
            ("tolerance of each comparison", "–", f"{100 * s.masking_tolerance:g} points"),
            ("'100%'", "–", f"≥ {100 * s.masking_full_success:g}%"),
            ("Square attack queries", "–", str(s.square_queries)),
            ("AutoAttack", "–", f"APGD-CE, APGD-T, FAB-T ({s.autoattack_steps} iterations), Square "
                                f"({s.autoattack_square_queries} queries)"),
            ("substitute (criterion 7)", "'a similar substitute model'",
             f"SGD model of the same architecture, seed {prof.seed + s.substitute_seed_offset}"),
            ("points of FGSM, Square, AutoAttack", "–", n(s.masking_samples)),
        ],
    }
    if topic not in rows:
        raise ValueError(f"unknown topic {topic!r}; choose one of {', '.join(rows)}")
    return rows[topic]


# --------------------------------------------------------------------------- the chapters' results


def _pgd_curve_entry(c: PGDCurves, s) -> dict:
    """PGD success against the profile's ε grid and against its iteration grid (paper 2 Figs. 1, 2, 7)."""
    grid = [e for e in c.eps if e in s.pgd_eps]
    success = c.success()
    return {"eps": grid, "success_vs_eps": [success[c.eps.index(e)] for e in grid],
            "iterations": list(s.pgd_iter_grid), "success_vs_iterations": c.success_vs_iterations(s.pgd_iter_grid)}


def _lenet_and_custom(prof: Profile) -> list[ChapterModel]:
    """The LeNet models, then the custom CNN's (chapters 08-10)."""
    return chapter_models(prof, ("p2_lenet", "p2_custom"))


def dense_gradients(cm: ChapterModel, prof: Profile) -> torch.Tensor:
    """∂L/∂W of ``cm``'s first dense layer on :func:`gradient_batch` (paper 2 Figs. 5, 10), once per process."""
    from dprob_utils.analysis import gradients

    return _once(("dense", prof, cm.key), lambda: gradients.first_dense_gradients(cm.model, *gradient_batch(prof)))


def zero_gradients(cm: ChapterModel, prof: Profile) -> dict:
    """Per layer, the % of zero gradients of ``cm`` on :func:`gradient_batch` (paper 2 Figs. 6, 9), once per
    process."""
    from dprob_utils.analysis import gradients

    return _once(("zero", prof, cm.key),
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

    return _stored_intervals(prof, "gradient", models, lambda: {"versus_sgd": _versus_sgd(prof, models, values),
                                                                "trend": trend_intervals(prof, models, values)})


def dense_gradients_by_label(prof: Profile, models: list[ChapterModel],
                             label: Callable[[ChapterModel], str] = lambda m: m.label) -> dict[str, torch.Tensor]:
    """Chapters 10, 11 (paper 2 Figs. 5, 10): :func:`dense_gradients` of each model, by its figure label."""
    return {label(m): dense_gradients(m, prof) for m in models}


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


def _versus_sgd(prof: Profile, models: list[ChapterModel], values: Callable[[ChapterModel], dict[str, object]],
                statistic: Callable[[str], Callable[[dict], float]] | None = None) -> dict:
    """95% intervals, per DP model of ``models`` and per quantity of ``values`` (``{name: per-point array}`` of
    one model), of the DP model's statistic minus its architecture's SGD baseline's: a bootstrap over the
    headline seeds, then over each model's own attack points (unpaired: each model is attacked on the points
    it classifies correctly). ``statistic(name)`` defaults to the mean over seeds of the mean over points.
    Returns ``{dp key: {"<quantity>_minus_sgd": interval dict}}``."""
    stat = statistic or mean_of
    per = _stats(prof, models, values)
    out: dict = {}
    for m in models:
        sgd = next((b for b in models if b.arch == m.arch and b.cfg.mode == "sgd"), None)
        if m.cfg.mode == "sgd" or sgd is None:
            continue
        out[m.key] = {}
        for q in per[m.key][0]:
            samples = {"dp": [v[q] for v in per[m.key]], "sgd": [v[q] for v in per[sgd.key]]}
            a, b = stat("dp"), stat("sgd")
            iv = bootstrap(lambda d, a=a, b=b: a(d) - b(d), samples, seed=prof.seed)
            out[m.key][f"{q}_minus_sgd"] = iv.to_dict()
    return out


def _stats(prof: Profile, models: list[ChapterModel], values: Callable[[ChapterModel], dict[str, object]]
           ) -> dict[str, list[dict]]:
    """Per model key, ``values`` of each of its headline seeds' models."""
    return {m.key: [values(sm) for sm in seed_models(prof, m)] for m in models}


def _per_model(values: Callable[[ChapterModel], dict[str, object]]) -> Callable[[ChapterModel], dict[str, object]]:
    """``values`` computed once per model key (a chapter's interval helpers each read every seed's stored run)."""
    seen: dict[str, dict[str, object]] = {}
    return lambda m: seen[m.key] if m.key in seen else seen.setdefault(m.key, values(m))


def per_model_intervals(prof: Profile, models: list[ChapterModel],
                        values: Callable[[ChapterModel], dict[str, object]],
                        statistic: Callable[[str], Callable[[dict], float]] | None = None) -> dict:
    """95% intervals of each model's own statistic (default: mean over seeds of the mean over points) of each
    quantity of ``values``: a bootstrap over its seeds, then its points. ``{key: {quantity: interval dict}}``."""
    stat = statistic or mean_of
    per = _stats(prof, models, values)
    return {k: {q: bootstrap(stat("m"), {"m": [v[q] for v in runs]}, seed=prof.seed).to_dict() for q in runs[0]}
            for k, runs in per.items()}


def trend_pairs(models: list[ChapterModel]) -> dict[str, dict[str, list[tuple[str, str, str]]]]:
    """Paper 2's trends (Tables II, III; Figs. 1, 2) as pairs of neighbouring settings of one architecture:
    ``{arch: {"σ1.3": [(label "C 1→3", key a, key b), ...], "C1": [("σ 0→1.3", a, b), ...], "C10": [...]}}``,
    C increasing at σ = 1.3 and σ increasing at C = 1 and at C = 10 (only the settings the profile trains)."""
    out: dict = {}
    for arch in dict.fromkeys(m.arch for m in models):
        dp = [m for m in models if m.arch == arch and m.cfg.mode != "sgd" and m.group != "masked"]
        groups = {"σ1.3": sorted((m for m in dp if m.cfg.sigma == 1.3), key=lambda m: m.cfg.clip)}
        for c in (1.0, 10.0):
            groups[f"C{c:g}"] = sorted((m for m in dp if m.cfg.clip == c), key=lambda m: m.cfg.sigma)
        out[arch] = {}
        for name, ms in groups.items():
            var = "C" if name == "σ1.3" else "σ"
            val = (lambda m: m.cfg.clip) if var == "C" else (lambda m: m.cfg.sigma)
            out[arch][name] = [(f"{var} {val(a):g}→{val(b):g}", a.key, b.key) for a, b in zip(ms, ms[1:])]
    return out


def trend_intervals(prof: Profile, models: list[ChapterModel], values: Callable[[ChapterModel], dict[str, object]],
                    statistic: Callable[[str], Callable[[dict], float]] | None = None) -> dict:
    """95% intervals of the increase ``stat(b) − stat(a)`` of each quantity of ``values`` along every pair of
    :func:`trend_pairs` (a bootstrap over each model's seeds, then its own points, unpaired).
    ``{quantity: {arch: {group: {label: interval dict}}}}``."""
    stat = statistic or mean_of
    per = _stats(prof, models, values)
    out: dict = {}
    for arch, groups in trend_pairs(models).items():
        # the quantities of this architecture's models (a layer name, for example, belongs to one architecture)
        quantities = list(next(per[m.key][0] for m in models if m.arch == arch))
        for group, pairs in groups.items():
            for q in quantities:
                cell = out.setdefault(q, {}).setdefault(arch, {}).setdefault(group, {})
                for label, a, b in pairs:
                    samples = {"a": [v[q] for v in per[a]], "b": [v[q] for v in per[b]]}
                    cell[label] = bootstrap(lambda d: stat("b")(d) - stat("a")(d), samples, seed=prof.seed).to_dict()
    return out


def _joint_samples(prof: Profile, models: list[ChapterModel], values: Callable[[ChapterModel], dict[str, object]],
                   quantity: str) -> dict[str, list]:
    return {k: [v[quantity] for v in runs] for k, runs in _stats(prof, models, values).items()}


def share_below_sgd(prof: Profile, models: list[ChapterModel], values: Callable[[ChapterModel], dict[str, object]],
                    quantity: str, statistic: Callable[[str], Callable[[dict], float]] | None = None) -> dict:
    """95% interval of the share of DP models (both architectures, masked ones excluded) whose statistic of
    ``quantity`` is below their architecture's SGD baseline's (paper 2: "in the majority of cases smaller"), by
    a bootstrap over every model's seeds and points at once."""
    stat = statistic or mean_of
    dp = [m for m in models if m.cfg.mode != "sgd" and m.group != "masked"]
    sgd = {m.arch: m.key for m in models if m.cfg.mode == "sgd"}
    dp = [m for m in dp if m.arch in sgd]
    if not dp:
        return {}
    samples = _joint_samples(prof, models, values, quantity)
    return bootstrap(lambda d: float(np.mean([stat(m.key)(d) < stat(sgd[m.arch])(d) for m in dp])), samples,
                     seed=prof.seed).to_dict()


def most_above_rest(prof: Profile, models: list[ChapterModel], top: list[str],
                    values: Callable[[ChapterModel], dict[str, object]], quantity: str) -> dict:
    """95% interval of the smallest mean of ``quantity`` among the ``top`` models minus the largest among all
    the others (positive: every ``top`` model above every other one), by a bootstrap over every model's seeds and
    points at once. Empty when a ``top`` model is not in this profile."""
    keys = [m.key for m in models]
    if not top or any(t not in keys for t in top):
        return {}
    samples = _joint_samples(prof, models, values, quantity)

    def stat(d: dict) -> float:
        return min(mean_of(t)(d) for t in top) - max(mean_of(k)(d) for k in keys if k not in top)
    return bootstrap(stat, samples, seed=prof.seed).to_dict()


def curve_points(cm: ChapterModel, prof: Profile) -> dict[str, object]:
    """Per attack point, fooled by PGD (``pgd_steps``) at each ε of the profile's grid (``"0"``, ``"1"``, ...: the
    grid's positions, increasing ε), for :func:`largest_drop`."""
    c, s = pgd(cm, prof), prof.p2_attacks
    return {str(i): _fooled_at(c, e) for i, e in enumerate(sorted(s.pgd_eps))}


def largest_drop(prof: Profile, models: list[ChapterModel]) -> dict:
    """Per model, the 95% interval of the largest fall of PGD's success between neighbouring ε of the grid (0:
    the curve never falls; a bootstrap over the seeds, then the points, paired across ε: paper 2 Fig. 1's
    "success increases with ε")."""
    out = {}
    for m in models:
        runs = [curve_points(sm, prof) for sm in seed_models(prof, m)]
        n = len(runs[0])
        if n < 2 or not len(runs[0]["0"]):
            continue
        samples = {q: [r[q] for r in runs] for q in runs[0]}

        def stat(d: dict, n: int = n) -> float:
            curve = [mean_of(str(i))(d) for i in range(n)]
            return max(0.0, max(a - b for a, b in zip(curve, curve[1:])))
        out[m.key] = bootstrap(stat, samples, paired=True, seed=prof.seed).to_dict()
    return out


def _half_of(grid: list) -> float:
    """The largest value of ``grid`` at most half its largest (the start of the upper half of a curve)."""
    below = [g for g in grid if g <= max(grid) / 2]
    return max(below) if below else min(grid)


def plateau_points(cm: ChapterModel, prof: Profile) -> dict[str, object]:
    """Per attack point, PGD's outcome for the plateau tests of paper 2 Figs. 1, 2 and 7: fooled at the largest
    iteration budget (``final_iterations``, at ``pgd_iter_eps``) and that minus fooled at half of it
    (``gain_iterations``); fooled at the largest ε (``final_eps``, ``pgd_steps`` iterations) and that minus
    fooled at half of it (``gain_eps``). A plateau: the final success below 100% and no gain over the upper half."""
    c, s = pgd(cm, prof), prof.p2_attacks
    grid = list(s.pgd_iter_grid)
    row = c.first_fool[c.eps.index(s.pgd_iter_eps)]

    def by(i: float) -> np.ndarray:
        return ((row >= 0) & (row <= i)).double().numpy()

    eps = [e for e in c.eps if e in s.pgd_eps]
    top, half = max(grid), _half_of(grid)
    return {"final_iterations": by(top), "gain_iterations": by(top) - by(half),
            "final_eps": _fooled_at(c, max(eps)), "gain_eps": _fooled_at(c, max(eps)) - _fooled_at(c, _half_of(eps))}


def pooled_rates(prof: Profile, models: list[ChapterModel],
                 counts: Callable[[ChapterModel], tuple[int, int]]) -> dict[str, dict]:
    """Per model of ``models``, the Wilson 95% interval of a success rate pooled over its headline seeds:
    ``counts(model)`` gives ``(successes, points)`` of one seed's model. ``{arch: {key: interval dict}}``."""
    out: dict = {}
    for m in models:
        runs = [counts(sm) for sm in seed_models(prof, m)]
        iv = wilson(sum(k for k, _ in runs), sum(n for _, n in runs)).to_dict()
        out.setdefault(m.arch, {})[m.key] = iv | {"n_seeds": len(runs), "n_points": min(n for _, n in runs),
                           "method": "Wilson, points pooled over seeds"}
    return out


def _pgd_fooled_at_max_iterations(cm: ChapterModel, prof: Profile) -> tuple[int, int]:
    """PGD at ``pgd_iter_eps`` after the iteration grid's largest budget: (points fooled, points)."""
    c = pgd(cm, prof)
    rate = c.success_vs_iterations([max(prof.p2_attacks.pgd_iter_grid)])[0]
    n = int(c.first_fool.shape[1])
    return int(round(rate * n)), n


def _cw_fooled(cm: ChapterModel, prof: Profile) -> tuple[int, int]:
    """Unbounded CW₂: (points fooled at any distance, points)."""
    c = cw(cm, prof)
    return int(c.fooled.sum()), len(c.dist)


def _fooled_at(c: PGDCurves, e: float) -> np.ndarray:
    """Per attack point, 1 if PGD at ε = ``e`` fooled it within the sweep's ``steps`` iterations, else 0."""
    r = c.first_fool[c.eps.index(e)]
    return ((r >= 0) & (r <= c.steps)).double().numpy()


def _mean_success_points(cm: ChapterModel, prof: Profile) -> dict[str, object]:
    """Per attack point, the share of the profile's PGD ε grid at which PGD (``pgd_steps``) fools it: its mean
    over points is the mean of the success-vs-ε curve (paper 2 Fig. 1)."""
    c, s = pgd(cm, prof), prof.p2_attacks
    return {"mean_success": np.mean([_fooled_at(c, e) for e in c.eps if e in s.pgd_eps], axis=0)}


def _max_of(name: str) -> Callable[[dict], float]:
    """The statistic 'mean over seeds of the largest per-point value' (paper 2 Table II: the L2 bound at which
    every point is fooled)."""
    return lambda d: float(np.mean([a.max() for a in d[name]]))


def _cw_points(cm: ChapterModel, prof: Profile) -> dict[str, object]:
    return {"cw_eps_full_success": cw(cm, prof).dist.double().numpy()}


def _ba_points(cm: ChapterModel, prof: Profile) -> dict[str, object]:
    d = boundary(cm, prof).dist
    return {f"ba_success_{e:g}": (d <= float(e)).double().numpy() for e in prof.p2_attacks.boundary_eps}


def run_pgd(profile: Profile | str) -> dict:
    """Chapter 08, paper 2 Figs. 1 and 2: PGD∞ success against ε and against iterations, every LeNet and
    custom-CNN model. The results dict of ``results/<profile>/08_p2_pgd.json``."""
    prof = get_profile(profile)
    s = prof.p2_attacks
    models = _lenet_and_custom(prof)
    out = {m.key: summary(m) | _pgd_curve_entry(pgd(m, prof), s) for m in models}
    mean_success = _per_model(lambda m: _mean_success_points(m, prof))

    def intervals() -> dict:
        return {"intervals": _versus_sgd(prof, models, mean_success),
                "trend_intervals": trend_intervals(prof, models, mean_success),
                "plateau": per_model_intervals(prof, models, lambda m: plateau_points(m, prof)),
                "largest_drop": largest_drop(prof, models),
                "rate_intervals": {"success_at_max_iterations": pooled_rates(
                    prof, models, lambda m: _pgd_fooled_at_max_iterations(m, prof))}}

    return {"profile": prof.name,
            "settings": {"samples": s.samples, "steps": s.pgd_steps, "rel_stepsize": s.pgd_rel_stepsize,
                         "random_start": s.pgd_random_start, "iter_eps": s.pgd_iter_eps,
                         "seeds": zoo.headline_seeds(prof)},
            "models": out, **_stored_intervals(prof, "pgd", models, intervals)}


def _stored_intervals(prof: Profile, name: str, models: list[ChapterModel], compute: Callable[[], dict]) -> dict:
    """A chapter's intervals, ``compute()``, stored under ``p2_<name>_intervals`` (a function of the stored attack
    runs of ``models``), so a warm chapter does not redo the bootstraps."""
    parts = {"models": [m.cfg.key() for m in models], "attacks": asdict(prof.p2_attacks), "seed": prof.seed,
             "version": versions.ATTACK_CODE_VERSION, "intervals_version": versions.INTERVALS_VERSION}
    return stored(f"p2_{name}_intervals", parts, compute)


CW_CURVE_GRID = [round(0.05 * i, 2) for i in range(61)]  # L2 bounds of the CW₂ success curves (chapter 09)
BA_CURVE_GRID = [round(0.1 * i, 1) for i in range(61)]  # and of the Boundary attack's


def run_cw_boundary(profile: Profile | str) -> dict:
    """Chapter 09, paper 2 Tables II and III: CW₂'s perturbation for 100% success and the Boundary attack's
    success at ε = 1, 2 (with both success curves), every LeNet and custom-CNN model. The results dict of
    ``results/<profile>/09_p2_cw_boundary.json``."""
    prof = get_profile(profile)
    s = prof.p2_attacks
    out = {}
    for m in _lenet_and_custom(prof):
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
    models = _lenet_and_custom(prof)
    cw_pts, ba_pts = _per_model(lambda m: _cw_points(m, prof)), _per_model(lambda m: _ba_points(m, prof))

    def intervals() -> dict:
        versus = _versus_sgd(prof, models, cw_pts, _max_of)
        for k, v in _versus_sgd(prof, models, ba_pts).items():
            versus[k] |= v
        top = [k for k in ("p2_custom:s2_c10", "p2_custom:s3_c10") if k in {m.key for m in models}]
        most = {f"ba_success_{e:g}": most_above_rest(prof, models, top, ba_pts, f"ba_success_{e:g}")
                for e in s.boundary_eps}
        return {"intervals": versus,
                "trend_intervals": trend_intervals(prof, models, cw_pts, _max_of) | trend_intervals(prof, models,
                                                                                                    ba_pts),
                "share_dp_below_sgd": {"cw_eps_full_success": share_below_sgd(prof, models, cw_pts,
                                                                              "cw_eps_full_success", _max_of)},
                "c10_most_vulnerable": {k: v for k, v in most.items() if v},
                "boundary_saturation": boundary_saturation(prof, models),
                "rate_intervals": {"cw_success_any": pooled_rates(prof, models, lambda m: _cw_fooled(m, prof))}}

    return {"profile": prof.name,
            "settings": {"cw_steps": s.cw_steps, "cw_binary_search_steps": s.cw_binary_search_steps,
                         "cw_initial_const": s.cw_initial_const, "boundary_steps": s.boundary_steps,
                         "seeds": zoo.headline_seeds(prof)},
            "models": out, **_stored_intervals(prof, "cw_boundary", models, intervals)}


def transfer_matrices(prof: Profile, arch: str) -> dict:
    """Chapter 10, paper 2 Fig. 4: ``{"cw": ..., "pgd": ...}`` transfer matrices among ``arch``'s models (rows:
    crafted on, columns: evaluated on; CW₂ examples and PGD∞ examples at ``transfer_eps``)."""
    return _once(("transfer", prof, arch), lambda: _transfer_matrices(prof, arch))


def _transfer_sources(prof: Profile, ms: list[ChapterModel]) -> dict:
    """``{"cw": {key: Crafted}, "pgd": {key: Crafted}}``: each model's CW₂ examples and PGD∞ examples at
    ``transfer_eps``, on its own attack points."""
    from dprob_utils.analysis.transfer import Crafted

    out: dict = {"cw": {}, "pgd": {}}
    for m in ms:
        r = cw(m, prof)
        x, y = data_of(m, len(r.dist))
        out["cw"][m.key] = Crafted(x=x, y=y, adv=r.adv)
        x, y = data_of(m)
        out["pgd"][m.key] = Crafted(x=x, y=y, adv=pgd(m, prof).adv[prof.p2_attacks.transfer_eps])
    return out


def _transfer_matrices(prof: Profile, arch: str) -> dict:
    from dprob_utils.analysis.transfer import transfer_matrix

    ms = chapter_models(prof, (arch,))
    label = {m.key: m.label for m in ms}
    targets = {m.label: m.model for m in ms}
    return {att: transfer_matrix({label[k]: c for k, c in src.items()}, targets)
            for att, src in _transfer_sources(prof, ms).items()}


def transfer_cells(prof: Profile, ms: list[ChapterModel], sources: dict | None = None) -> dict[str, np.ndarray]:
    """Per attack, source and target (``"<attack>|<source key>|<target key>"``, source ≠ target), the transfer
    outcome of each crafted example the target classifies correctly (1 fooled, 0 not)."""
    from dprob_utils.analysis.transfer import transfer_outcomes

    sources = sources or _transfer_sources(prof, ms)
    return {f"{att}|{a}|{t.key}": transfer_outcomes(t.model, c).double().numpy()
            for att, src in sources.items() for a, c in src.items() for t in ms if t.key != a}


def _cells_mean(cells: list[str]) -> Callable[[dict], float]:
    """The statistic 'mean over ``cells`` of each cell's mean' (cells without points are skipped)."""
    return lambda d: float(np.mean([d[c][0].mean() for c in cells]))


def _group_difference(prof: Profile, cells: dict[str, np.ndarray], a: list[str], b: list[str]) -> dict | None:
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
    return _stored_intervals(prof, "transfer", ms, lambda: _transfer_intervals(prof, arch, ms))


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

        res = {"dp_to_dp_minus_sgd_to_dp": _group_difference(prof, cells, group(dp, dp), group(sgd, dp)),
               "sgd_to_dp_minus_dp_to_sgd": _group_difference(prof, cells, group(sgd, dp), group(dp, sgd))}
        res["source_high_c_minus_low_c"] = res["target_high_c_minus_low_c"] = None
        if len(by_c) >= 2:
            lo, hi = by_c[0].key, by_c[-1].key
            res["source_high_c_minus_low_c"] = _group_difference(prof, cells, group([hi], keys), group([lo], keys))
            res["target_high_c_minus_low_c"] = _group_difference(prof, cells, group(keys, [hi]), group(keys, [lo]))
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
    out["pgd_minus_cw"] = _group_difference(prof, cells, off["pgd"], off["cw"])
    return out


def run_transfer_gradients(profile: Profile | str) -> dict:
    """Chapter 10, paper 2 Sec. V (Fig. 4, transfer) and Sec. VI (Figs. 5, 6, gradients at the first dense layer
    and zero-gradient shares per layer). The results dict of ``results/<profile>/10_p2_transfer_gradients.json``."""
    from dprob_utils.analysis import gradients

    prof = get_profile(profile)
    models = _lenet_and_custom(prof)
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


def masking_table_models(prof: Profile) -> list[ChapterModel]:
    """Chapter 11's Table IV/V models: the baselines bs1 (custom CNN, SGD) and bs2 (LeNet, SGD), then m1-m3."""
    bs1 = next(m for m in chapter_models(prof, ("p2_custom",)) if m.cfg.mode == "sgd")
    bs2 = next(m for m in chapter_models(prof, ("p2_lenet",)) if m.cfg.mode == "sgd")
    return [bs1, bs2, *chapter_models(prof, ("masked",))]


def cw_of(cm: ChapterModel, prof: Profile) -> MinimalResult:
    """CW₂ as chapter 11 runs it: ``cw_masked_steps`` for the masked models, ``cw_steps`` for the others."""
    s = prof.p2_attacks
    return cw(cm, prof, s.cw_masked_steps if cm.group == "masked" else None)


def masking_reports(prof: Profile) -> dict:
    """The seven-criteria gradient-masking check (``analysis.masking.judge``) on every model of chapter 11, by
    key; the substitutes of criterion 7 under ``"substitutes"``."""
    return _once(("masking", prof), lambda: _masking_reports(prof))


def masked_cw_transfer(prof: Profile):
    """Chapter 11, paper 2 Fig. 8: transfer of the CW₂ examples among the Table IV/V models, named as the paper
    names them (``bs1``, ``bs2``, ``m1``-``m3``); once per process."""
    return _once(("fig8", prof), lambda: _masked_cw_transfer(prof))


def _masked_cw_transfer(prof: Profile):
    from dprob_utils.analysis.transfer import Crafted, transfer_matrix

    table_models = masking_table_models(prof)
    src = {}
    for m in table_models:
        r = cw_of(m, prof)
        x, y = data_of(m, len(r.dist))
        src[table_name(m)] = Crafted(x=x, y=y, adv=r.adv)
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


def p1_masking_models(prof: Profile) -> list[ChapterModel]:
    """Beyond both papers, paper 2's critique applied to paper 1: paper 1's MNIST CNN, SGD and DP-SGD at the
    large clipping bounds of its Fig. 7 (σ = 1.3; the first seed), as models of the masking check (group
    ``p1_mnist_cnn``, keys ``p1:sgd``, ``p1:s1.3_c<C>``)."""
    out = [_load(prof, "p1_mnist_cnn", zoo.p1_sgd(prof), key="p1:sgd", label="paper 1 SGD")]
    for c in prof.p1_grid.fig7_clips:
        cfg = zoo.p1_dp(prof, 1.3, c)
        out.append(_load(prof, "p1_mnist_cnn", cfg, key=f"p1:s1.3_c{c:g}", label=f"paper 1 σ=1.3, C={c:g}"))
    return out


def p1_substitute(prof: Profile) -> ChapterModel:
    """Criterion 7's substitute for paper 1's models: its SGD model with the next seed (a headline seed)."""
    cfg = replace(zoo.p1_sgd(prof), seed=prof.seed + prof.p2_attacks.substitute_seed_offset)
    return _load(prof, "p1_mnist_cnn", cfg, key="p1:sgd-substitute", label=f"paper 1 SGD (seed {cfg.seed})")


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
        "fig7": {m.key: _pgd_curve_entry(pgd(m, prof), s) for m in table_models},
        "fig8_cw_transfer": masked_cw_transfer(prof).to_dict(),
        "fig9_zero_gradient_pct": {m.key: zero_gradients(m, prof) for m in table_models},
        "fig10_first_dense_summary": {m.key: gradients.summary(dense_gradients(m, prof)) for m in table_models},
        "models": {m.key: summary(m) for m in checked["models"]},
        "masking_check": {k: r.to_dict() for k, r in checked["reports"].items()},
        "substitutes": {arch: summary(sm) for arch, sm in checked["substitutes"].items()},
        # Table V: each masked model (one seed) against the custom CNN's SGD baseline (the headline seeds)
        "intervals": _versus_sgd(prof, [m for m in table_models if m.arch == "p2_custom"],
                                 lambda m: _ba_points(m, prof)),
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
    from dprob_utils.analysis.transfer import Crafted

    masked = [m for m in table_models if m.group == "masked"]
    if len(masked) < 2:
        return None
    src = {}
    for m in masked:
        r = cw_of(m, prof)
        x, y = data_of(m, len(r.dist))
        src[m.key] = Crafted(x=x, y=y, adv=r.adv)
    fig8 = transfer_cells(prof, masked, {"cw": src})
    custom = chapter_models(prof, ("p2_custom",))
    fig4a = transfer_cells(prof, custom, {"cw": _transfer_sources(prof, custom)["cw"]})
    return _group_difference(prof, fig8 | fig4a, list(fig8), list(fig4a))


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
    table4 = _versus_sgd(prof, custom, lambda m: _masked_cw_points(m, prof), _max_of)
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
