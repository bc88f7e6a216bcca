"""How much work a profile is: training image-passes per model, and the Boundary and Carlini-Wagner attacks'
sample-iterations (the book's most expensive parts), counted from the profile's settings alone.

``dprob bench --plan PROFILE`` multiplies these counts by throughputs it measures on the current device and
prints the projected hours, which is how the ``paper`` profile is planned for a GPU before spending one.
"""

from __future__ import annotations

from dataclasses import dataclass

from dprob_utils.config.profiles import Profile, get_profile
from dprob_utils.config.training import TrainConfig
from dprob_utils.dp.training import steps_per_epoch
from dprob_utils.models import zoo

MNIST_TRAIN_SIZE = 60000


@dataclass(frozen=True)
class TrainingWork:
    """One model to train: ``steps`` optimizer steps of ``batch_size`` (expected) images."""

    config: TrainConfig
    steps: int

    @property
    def images(self) -> int:
        return self.steps * self.config.batch_size


@dataclass(frozen=True)
class AttackWork:
    """One attack run: ``samples`` images attacked together for ``iterations`` iterations (for CW: steps per
    constant times binary-search rounds)."""

    attack: str
    arch: str
    samples: int
    iterations: int

    @property
    def sample_iterations(self) -> int:
        return self.samples * self.iterations


def training_work(profile: Profile | str) -> list[TrainingWork]:
    """Every MNIST model the profile's chapters train (paper 1's grid, paper 2's grid and masked models, the
    masking check's substitutes), each model once (one per cache key). The CIFAR nets (section 3.6) are not
    counted."""
    prof = get_profile(profile)
    configs = [s.config for s in zoo.training_specs(prof)]
    configs += [zoo.substitute_config(prof, arch) for arch in prof.p2_grid.archs]
    return [TrainingWork(cfg, cfg.epochs * steps_per_epoch(cfg.train_subset or MNIST_TRAIN_SIZE, cfg.batch_size))
            for cfg in zoo.by_key(configs).values()]


def privacy_work(profile: Profile | str) -> list[TrainingWork]:
    """Chapter 12's extra trainings (:func:`~dprob_utils.experiments.privacy.privacy_units`): each audited setting
    again on its training set plus its member canaries, and each LiRA reference model on the training set without
    the member candidates."""
    from dprob_utils.dp.audit import membership
    from dprob_utils.experiments.privacy import audit_configs, reference_configs

    prof = get_profile(profile)
    p = prof.privacy
    canaries_in = int(membership(p.canaries, p.seed).sum())
    out = []
    for cfg in audit_configs(prof).values():
        n = cfg.train_subset or MNIST_TRAIN_SIZE
        out.append(TrainingWork(cfg, cfg.epochs * steps_per_epoch(n + canaries_in, cfg.batch_size)))
    for cfg in reference_configs(prof).values():
        n = cfg.train_subset or MNIST_TRAIN_SIZE
        n -= min(p.mia_points, n, 10000)
        out += [TrainingWork(cfg, cfg.epochs * steps_per_epoch(n, cfg.batch_size))] * p.references
    return out


def attack_work(profile: Profile | str) -> list[AttackWork]:
    """The Boundary and CW runs of paper 2's chapters: one per model of its grid (Tables II, III, V) and per
    masked model (Table IV, CW with ``cw_masked_steps``); the saturation check's models walk
    ``boundary_more_steps`` instead, their ``boundary_steps`` run a checkpoint of that walk."""
    from dprob_utils.experiments.p2.runs import saturation_configs

    prof = get_profile(profile)
    s = prof.p2_attacks

    def n(limit: int | None) -> int:
        return s.samples if limit is None else min(limit, s.samples)

    longer = {cfg for _, cfg in saturation_configs(prof)}
    out = []
    for spec in zoo.paper2_specs(prof):
        arch = spec.config.arch
        cw_steps = s.cw_masked_steps if spec.group == "paper2 masked" else s.cw_steps
        ba_steps = s.boundary_more_steps if spec.config in longer else s.boundary_steps
        out.append(AttackWork("Boundary L2", arch, n(s.boundary_samples), ba_steps))
        out.append(AttackWork("CW L2", arch, n(s.cw_samples), cw_steps * s.cw_binary_search_steps))
    return out


def makespan(times: list[float], devices: int) -> float:
    """Wall time of independent units of ``times`` seconds on ``devices`` identical devices, longest first, each
    to the device free soonest (LPT list scheduling, what ``--executor ray`` does with one device per unit: Ray
    starts a waiting task on whichever device frees up, and :func:`.zoo.train_missing` submits longest first).
    Within 4/3 of the best schedule; on one device, the sum."""
    import heapq

    if devices < 1:
        raise ValueError(f"devices must be at least 1, got {devices}")
    free = [0.0] * min(devices, max(1, len(times)))
    for t in sorted(times, reverse=True):
        heapq.heappush(free, heapq.heappop(free) + t)
    return max(free)
