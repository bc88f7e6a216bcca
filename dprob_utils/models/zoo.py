"""The models each chapter uses, by profile: one place that turns a profile's grids into :class:`TrainConfig`s.

Every chapter asks this module for its models, so a model trained by the training chapter is the very model
(same cache key) that the attack chapters load.
"""

from __future__ import annotations

import os
import time
import warnings
from collections import Counter
from dataclasses import dataclass, replace

import torch
from torch import nn

from dprob_utils.config import status
from dprob_utils.config.devices import training_device
from dprob_utils.config.errors import ConfigError
from dprob_utils.config.parallel import default_jobs, executor, map_work
from dprob_utils.config.profiles import Profile
from dprob_utils.config.training import TrainConfig
from dprob_utils.dp.training import TrainResult
from dprob_utils.store.model_cache import ModelCache, train_or_load


@dataclass(frozen=True)
class ModelSpec:
    """A named model of the book: ``group`` says which paper/figure uses it."""

    group: str
    config: TrainConfig

    @property
    def label(self) -> str:
        return self.config.label()


def by_key(configs: list[TrainConfig]) -> dict[str, TrainConfig]:
    """``{cache key: config}`` in order, each model once under the first config that names it (paper 1's
    fixed-noise model at C = 1 is its main DP-SGD model: one key, named as Fig. 2's)."""
    out: dict[str, TrainConfig] = {}
    for cfg in configs:
        out.setdefault(cfg.key(), cfg)
    return out


def headline_seeds(prof: Profile) -> list[int]:
    """The training seeds of the headline models (``prof.seed``, ``prof.seed + 1``, ...)."""
    return [prof.seed + i for i in range(prof.headline_seeds)]


def p1_sgd(prof: Profile, seed: int | None = None) -> TrainConfig:
    """Paper 1's SGD MNIST model (seed: default the profile's)."""
    return prof.p1_train.config("p1_mnist_cnn", "sgd", seed=prof.seed if seed is None else seed)


def p1_dp(prof: Profile, sigma: float | None = None, clip: float | None = None,
          mode: str = "dpsgd", seed: int | None = None) -> TrainConfig:
    """Paper 1 DP-SGD model; default (sigma, C) is the main setting (1.3, 1)."""
    s, c = prof.p1_grid.main
    return prof.p1_train.config("p1_mnist_cnn", mode, s if sigma is None else sigma, c if clip is None else clip,
                                seed=prof.seed if seed is None else seed)


def p1_pair(prof: Profile, seed: int) -> dict[str, TrainConfig]:
    """``{"sgd": ..., "dp": ...}``: paper 1's SGD model and its main DP-SGD model with training seed ``seed``,
    the pair its headline claims compare."""
    return {"sgd": p1_sgd(prof, seed), "dp": p1_dp(prof, seed=seed)}


def p2_model(prof: Profile, arch: str, sigma: float | None = None, clip: float | None = None,
             epochs: int | None = None, seed: int | None = None) -> TrainConfig:
    """Paper 2 model: SGD when ``sigma`` is None, else DP-SGD (sigma, C) (seed: default the profile's)."""
    seed = prof.seed if seed is None else seed
    if sigma is None:
        return prof.p2_train.config(arch, "sgd", seed=seed, epochs=epochs)
    return prof.p2_train.config(arch, "dpsgd", sigma, clip if clip is not None else 1.0, seed=seed, epochs=epochs)


def substitute_config(prof: Profile, arch: str) -> TrainConfig:
    """The "similar substitute" of paper 2's masking check (criterion 7): the SGD model of ``arch`` with seed
    ``profile seed + substitute_seed_offset`` (not a model of the paper)."""
    return replace(p2_model(prof, arch), seed=prof.seed + prof.p2_attacks.substitute_seed_offset)


def paper1_specs(prof: Profile) -> list[ModelSpec]:
    """Every paper 1 MNIST model of the profile: SGD, the DP-SGD grid, the fixed-noise grid, then the further
    training seeds of SGD and of the main DP-SGD setting (group ``paper1 seeds``)."""
    specs = [ModelSpec("paper1", p1_sgd(prof))]
    specs += [ModelSpec("paper1", p1_dp(prof, s, c)) for s, c in prof.p1_grid.dpsgd_settings()]
    specs += [ModelSpec("paper1 fixed-noise", p1_dp(prof, s, c, mode="dpsgd-fixed-noise"))
              for s, c in prof.p1_grid.fixed_noise_settings()]
    for seed in headline_seeds(prof)[1:]:
        specs += [ModelSpec("paper1 seeds", p1_sgd(prof, seed)), ModelSpec("paper1 seeds", p1_dp(prof, seed=seed))]
    return specs


def paper2_specs(prof: Profile) -> list[ModelSpec]:
    """Every paper 2 model: SGD and the sigma/C grid per architecture, then the masked models (Table IV), then
    the further training seeds of every SGD baseline and grid setting (group ``paper2 seeds``; the masked models
    have one)."""
    specs = []
    for arch in prof.p2_grid.archs:
        specs.append(ModelSpec(f"paper2 {arch}", p2_model(prof, arch)))
        specs += [ModelSpec(f"paper2 {arch}", p2_model(prof, arch, s, c)) for s, c in prof.p2_grid.settings]
    specs += [ModelSpec("paper2 masked", p2_model(prof, "p2_custom", s, c, epochs=e))
              for s, c, e in prof.p2_grid.masked]
    for seed in headline_seeds(prof)[1:]:
        for arch in prof.p2_grid.archs:
            specs.append(ModelSpec("paper2 seeds", p2_model(prof, arch, seed=seed)))
            specs += [ModelSpec("paper2 seeds", p2_model(prof, arch, s, c, seed=seed)) for s, c in prof.p2_grid.settings]
    return specs



def training_specs(prof: Profile) -> list[ModelSpec]:
    """The models of the training chapter (chapter 01, ``dprob train-all``): :func:`paper1_specs`, then
    :func:`paper2_specs`."""
    return paper1_specs(prof) + paper2_specs(prof)

def load(cfg: TrainConfig, prof: Profile, progress: bool | None = None,
         cache: ModelCache | None = None) -> tuple[nn.Module, TrainResult]:
    """Train or load ``cfg`` (accounting privacy at the profile's delta); the model is in eval mode."""
    model, result = train_or_load(cfg, delta=prof.delta, progress=progress, cache=cache)
    model.eval()
    return model, result


def training_jobs(jobs: int | None = None) -> int:
    """Trainings side by side: ``jobs`` (default :func:`.parallel.default_jobs`), at most one per torch thread
    this process has (a notebook running beside another has one: it trains in-process), and 1 on a GPU."""
    if training_device().type != "cpu":
        return 1
    jobs = default_jobs() if jobs is None else jobs
    return max(1, min(jobs, torch.get_num_threads()))


# Seconds per epoch of 60,000 MNIST images on one core of the 2-core machine (cold quick book, two trainings side
# by side): only their ratios matter, to start the longest trainings first.
EPOCH_SECONDS = {("p1_mnist_cnn", True): 23, ("p1_mnist_cnn", False): 8, ("p2_lenet", True): 21,
                 ("p2_lenet", False): 16, ("p2_custom", True): 6, ("p2_custom", False): 3}


def _relative_cost(cfg: TrainConfig) -> float:
    per_epoch = EPOCH_SECONDS.get((cfg.arch, cfg.private), 20)
    return per_epoch * cfg.epochs * (cfg.train_subset or 60000) / 60000


def _train_in_worker(cfg: TrainConfig, delta: float, cache_root: str) -> tuple[list[str], dict, dict]:
    """Worker of :func:`train_missing`: train and store ``cfg``; the warnings it raised and the stored entry
    (weights, record), which the driver stores in its own cache when the worker's is not the same path."""
    from dprob_utils.store import core as store

    cache = ModelCache(cache_root)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        train_or_load(cfg, delta=delta, progress=False, cache=cache)
    state, record = store.get(cache.root / cfg.arch, cfg.key())
    return [str(w.message) for w in caught if issubclass(w.category, UserWarning)], state, record


GPUS_PER_TRAINING_ENV = "DPROB_RAY_GPUS_PER_TRAINING"


def gpus_per_training() -> float:
    """GPUs one training asks for on a Ray cluster that has GPUs: ``$DPROB_RAY_GPUS_PER_TRAINING`` (default 1; a
    fraction such as 0.25 packs four small trainings on one GPU); 0 on a CPU cluster."""
    from dprob_utils.config.ray_cluster import cluster_gpus

    if cluster_gpus() == 0:
        return 0.0
    value = os.environ.get(GPUS_PER_TRAINING_ENV, "1")
    try:
        gpus = float(value)
    except ValueError:
        gpus = -1.0
    if not 0 < gpus <= 1 and not (gpus > 1 and gpus.is_integer()):
        raise ConfigError(f"{GPUS_PER_TRAINING_ENV} must be a fraction in (0, 1] or a whole number, got {value!r}")
    return gpus


def train_missing(configs: list[TrainConfig], prof: Profile, jobs: int | None = None,
                  cache: ModelCache | None = None, progress: bool | None = None) -> set[str]:
    """Train the ``configs`` not in the cache yet, longest first, and return the cache keys trained now (so that a
    chapter can still say which of its models it trained). By :func:`.parallel.executor`: ``local``,
    :func:`training_jobs` at a time in separate processes (each with ``threads // jobs`` torch threads; a single
    missing model, or ``jobs = 1``, trains in this process); ``ray``, one Ray task per model (one CPU, and
    :func:`gpus_per_training` GPUs where the cluster has them), its weights stored here as each comes back."""
    from dprob_utils.config.progress import progress as progress_bar

    def bar(items, **kw):  # progress=False (dprob train-all --quiet) hides the overall bar too
        return progress_bar(items, on=False if progress is False else None, **kw)

    cache = cache or ModelCache()
    missing = list({c.key(): c for c in configs if c not in cache}.values())
    on_ray = executor() == "ray"
    jobs = len(missing) if on_ray else min(training_jobs(jobs), len(missing))
    start = time.time()
    if missing:
        status.report("models", done=0, total=len(missing), start=start)
    if jobs <= 1 and not on_ray:
        for i, cfg in enumerate(bar(missing, desc="training")):
            train_or_load(cfg, delta=prof.delta, progress=progress, cache=cache)
            status.report("models", done=i + 1, total=len(missing), start=start)
        return {c.key() for c in missing}
    missing.sort(key=lambda c: -_relative_cost(c))  # longest first: no long training left running alone at the end
    threads = 1 if on_ray else max(1, torch.get_num_threads() // jobs)
    done = map_work(_train_in_worker, [(c, prof.delta, str(cache.root)) for c in missing], jobs, threads,
                    gpus_per_training() if on_ray else 0.0)
    nodes: Counter[str] = Counter()
    desc = "training (Ray tasks)" if on_ray else f"training ({jobs} side by side)"
    for i, ((cfg, _, _), (messages, state, record), node) in enumerate(bar(done, desc=desc, total=len(missing))):
        if cfg not in cache:  # the worker's cache is another machine's disk
            cache.save_entry(cfg, state, record)
        nodes[node] += 1
        status.report("models", done=i + 1, total=len(missing), start=start, **({"nodes": dict(nodes)} if on_ray else {}))
        for msg in messages:
            warnings.warn(f"{cfg.label()} ({cfg.arch}): {msg}", stacklevel=2)
    if on_ray:
        for cfg in missing:
            cache.remove_orphans(cfg)  # the temporary files of attempts whose node died
    return {c.key() for c in missing}
