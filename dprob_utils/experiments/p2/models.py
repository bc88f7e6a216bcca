"""Paper 2's models and their attack points, shared by chapters 08-11.

:func:`chapter_models` loads (or trains) every model of ``zoo.paper2_specs(profile)`` and names it
(``p2_custom:sgd``, ``p2_lenet:s1.3_c10``, ``masked:m1`` ...). Attack points: one fixed random permutation of the
10,000 MNIST test images (seed = the profile's seed); a model is attacked on the first ``samples`` images of that
permutation that it classifies correctly, so every model sees the same random draw. Slower attacks use the first
``cw_samples`` / ``boundary_samples`` / ``masking_samples`` of those points.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import torch
from torch import nn

from dprob_utils.attacks import predict
from dprob_utils.config.devices import training_device
from dprob_utils.config.profiles import PAPER, Profile
from dprob_utils.config.training import TrainConfig
from dprob_utils.data.datasets import test_set
from dprob_utils.dp.training import TrainResult
from dprob_utils.models import zoo
from dprob_utils.store.memo import once


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


def describe(group: str, cfg: TrainConfig) -> tuple[str, str]:
    if group == "masked":
        name = _masked_name(cfg.sigma, cfg.clip)
        return f"masked:{name}", f"{name} (σ={cfg.sigma:g}, C={cfg.clip:g}, {cfg.epochs} ep.)"
    if cfg.mode == "sgd":
        return f"{cfg.arch}:sgd", "SGD"
    return f"{cfg.arch}:s{cfg.sigma:g}_c{cfg.clip:g}", f"σ={cfg.sigma:g}, C={cfg.clip:g}"




def load(prof: Profile, group: str, cfg: TrainConfig, key: str | None = None,
          label: str | None = None) -> ChapterModel:
    return once(("model", prof, group, cfg.key(), key, label), lambda: _load_now(prof, group, cfg, key, label))


def _load_now(prof: Profile, group: str, cfg: TrainConfig, key: str | None, label: str | None) -> ChapterModel:
    model, result = zoo.load(cfg, prof)
    # a fresh copy from the cache: the attacks run where training does (DPROB_DEVICE, else a GPU when there is one)
    model = model.to(training_device())
    k, lab = describe(group, cfg)
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
            out.append(load(prof, group, spec.config))
    return out


def seed_models(prof: Profile, cm: ChapterModel) -> list[ChapterModel]:
    """``cm`` trained with each headline seed (``cm`` itself first; key ``<key>@seed<n>`` for the others), each
    with its own attack points. A masked model has one seed."""
    if cm.group == "masked":
        return [cm]
    out = [cm]
    for seed in zoo.headline_seeds(prof)[1:]:
        cfg = replace(cm.cfg, seed=seed)
        out.append(load(prof, cm.group, cfg, key=f"{cm.key}@seed{seed}", label=f"{cm.label} (seed {seed})"))
    return out


def substitute_model(prof: Profile, arch: str) -> ChapterModel:
    """The "similar substitute" of the masking check's criterion 7: the SGD model of ``arch`` trained with
    seed ``profile seed + substitute_seed_offset`` (not a model of the paper; trained on first use)."""
    cfg = zoo.substitute_config(prof, arch)
    return load(prof, arch, cfg, key=f"{arch}:sgd-substitute", label=f"SGD (seed {cfg.seed})")


def data_of(cm: ChapterModel, n: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Images ``[n, 1, 28, 28]`` and labels of the first ``n`` (default all) attack points of ``cm``."""
    idx = cm.points if n is None else cm.points[:n]
    return test_set().x[idx], test_set().y[idx]


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
    from dprob_utils.reference import load_reference

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


def summary(cm: ChapterModel) -> dict:
    """Accuracy, privacy and attack-point count of a model, for the results JSON."""
    s = cm.result.summary()
    return {"key": cm.key, "label": cm.label, "arch": cm.arch, "mode": cm.cfg.mode,
            "sigma": None if cm.cfg.mode == "sgd" else cm.cfg.sigma,
            "clip": None if cm.cfg.mode == "sgd" else cm.cfg.clip, "epochs": cm.cfg.epochs,
            "accuracy": s["accuracy"], "epsilon": s["epsilon"], "delta": s["delta"], "n_points": len(cm.points)}


def lenet_and_custom(prof: Profile) -> list[ChapterModel]:
    """The LeNet models, then the custom CNN's (chapters 08-10)."""
    return chapter_models(prof, ("p2_lenet", "p2_custom"))


def masking_table_models(prof: Profile) -> list[ChapterModel]:
    """Chapter 11's Table IV/V models: the baselines bs1 (custom CNN, SGD) and bs2 (LeNet, SGD), then m1-m3."""
    bs1 = next(m for m in chapter_models(prof, ("p2_custom",)) if m.cfg.mode == "sgd")
    bs2 = next(m for m in chapter_models(prof, ("p2_lenet",)) if m.cfg.mode == "sgd")
    return [bs1, bs2, *chapter_models(prof, ("masked",))]


def p1_masking_models(prof: Profile) -> list[ChapterModel]:
    """Beyond both papers, paper 2's critique applied to paper 1: paper 1's MNIST CNN, SGD and DP-SGD at the
    large clipping bounds of its Fig. 7 (σ = 1.3; the first seed), as models of the masking check (group
    ``p1_mnist_cnn``, keys ``p1:sgd``, ``p1:s1.3_c<C>``)."""
    out = [load(prof, "p1_mnist_cnn", zoo.p1_sgd(prof), key="p1:sgd", label="paper 1 SGD")]
    for c in prof.p1_grid.fig7_clips:
        cfg = zoo.p1_dp(prof, 1.3, c)
        out.append(load(prof, "p1_mnist_cnn", cfg, key=f"p1:s1.3_c{c:g}", label=f"paper 1 σ=1.3, C={c:g}"))
    return out


def p1_substitute(prof: Profile) -> ChapterModel:
    """Criterion 7's substitute for paper 1's models: its SGD model with the next seed (a headline seed)."""
    cfg = replace(zoo.p1_sgd(prof), seed=prof.seed + prof.p2_attacks.substitute_seed_offset)
    return load(prof, "p1_mnist_cnn", cfg, key="p1:sgd-substitute", label=f"paper 1 SGD (seed {cfg.seed})")
