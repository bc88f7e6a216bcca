"""Chapter 07's private dense layers (SGD and DP-SGD heads on the frozen features) and the whole networks.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field, replace

import torch
from torch import nn

from dprob_utils.config import versions
from dprob_utils.config.profiles import Cifar, Profile, get_profile
from dprob_utils.config.training import TrainConfig
from dprob_utils.dp.privacy import privacy_spent
from dprob_utils.dp.training import TrainResult, evaluate, fit
from dprob_utils.experiments.p1_cifar.data import (
    SOURCE_NAMES,
    CifarData,
    CifarStore,
    fingerprint,
    load_cifar_data,
)
from dprob_utils.experiments.p1_cifar.pretrain import (
    Pretrained,
    compute_features,
    features_for,
    freeze,
    pretrain_convs,
)
from dprob_utils.models import zoo
from dprob_utils.models.architectures import CifarNet, make_cifar_head
from dprob_utils.store.core import content_key


def head_config(profile: Profile, mode: str = "sgd", seed: int | None = None) -> TrainConfig:
    """The :class:`TrainConfig` of the dense layers: SGD, or DP-SGD with the profile's (sigma, C) (seed: default
    the profile's)."""
    c = profile.cifar
    sigma, clip = c.dp
    return c.head.config("p1_cifar_net", mode, sigma, clip, seed=profile.seed if seed is None else seed)


def train_head(profile: Profile, pre: Pretrained, data: CifarData, mode: str = "sgd", *,
               store: CifarStore | None = None, progress: bool | None = None,
               train_feats: torch.Tensor | None = None, test_feats: torch.Tensor | None = None,
               seed: int | None = None) -> tuple[nn.Sequential, TrainResult]:
    """Train (or load) the dense layers on the private features with SGD (``mode="sgd"``) or DP-SGD.

    Returns the head (eval mode) and a :class:`TrainResult` whose ``accuracy`` is the whole network's CIFAR-10
    test accuracy and whose ``privacy`` covers the ``len(data.private)`` private images only.
    """
    store = store or CifarStore()
    cfg = head_config(profile, mode, seed)
    key = content_key({"what": "head", "train": cfg.canonical(), "convs": pre.key, "private": fingerprint(data.private),
                 "code": versions.CIFAR_CODE_VERSION})
    n_feat = int(compute_features(pre.features, torch.zeros(1, 3, 32, 32)).shape[1])
    head = make_cifar_head(n_feat, 10)
    hit = store.load("heads", key)
    if hit is not None:
        head.load_state_dict(hit[0])
        result = TrainResult(**hit[1])
        result.cached = True
        if result.privacy:  # re-account at the profile's delta (cheap, never retrains)
            p = result.privacy
            result.privacy = privacy_spent(p["noise_multiplier"], p["sample_rate"], p["steps"],
                                           profile.delta).to_dict()
        return head.eval(), result
    xtr = train_feats if train_feats is not None else features_for(pre, data.private, store=store)
    xte = test_feats if test_feats is not None else features_for(pre, data.test, store=store)
    torch.manual_seed(cfg.seed)
    head = make_cifar_head(n_feat, 10)
    steps, seconds, history = fit(head, xtr, data.private.y, cfg, progress=progress)
    accuracy = evaluate(head, xte, data.test.y)
    privacy = None
    if cfg.private:
        q = min(1.0, cfg.batch_size / len(data.private))
        privacy = privacy_spent(cfg.noise_multiplier, q, steps, profile.delta).to_dict()
    config = asdict(cfg) | {"pretrain_source": data.source, "convs_key": pre.key}
    result = TrainResult(config=config, key=key, accuracy=accuracy, seconds=seconds, train_size=len(data.private),
                         steps=steps, privacy=privacy, history=history, data_source=data.private.source)
    store.save("heads", key, head.state_dict(), asdict(result))
    return head.eval(), result


def assemble(pre: Pretrained, head: nn.Sequential, settings: Cifar) -> CifarNet:
    """The whole network (frozen convolutions + dense layers) in eval mode, for input-space analyses."""
    net = CifarNet(settings.channels, settings.padding, 10)
    net.features.load_state_dict(pre.features.state_dict())
    net.head.load_state_dict(head.state_dict())
    freeze(net.features)
    for p in net.head.parameters():
        p.requires_grad_(False)  # analyses differentiate w.r.t. the input only
    return net.eval()


@dataclass
class CifarModels:
    """Everything the chapter's analyses need: data, the frozen convolutions, and the two whole networks."""

    profile: Profile
    data: CifarData
    pretrained: Pretrained
    sgd: CifarNet
    dp: CifarNet
    sgd_result: TrainResult
    dp_result: TrainResult
    timings: dict = field(default_factory=dict)

    def summary(self) -> dict:
        """Accuracies, epsilon and provenance, JSON-ready."""
        p = self.dp_result.privacy or {}
        sigma, clip = self.profile.cifar.dp
        return {
            "pretrain_source": self.data.source,
            "pretrain_source_name": SOURCE_NAMES[self.data.source],
            "pretrain_data": self.data.public.source,
            "public_size": len(self.data.public),
            "private_size": len(self.data.private),
            "test_size": len(self.data.test),
            "pretrain_accuracy": self.pretrained.record["accuracy"],
            "pretrain_accuracy_on": self.pretrained.record["accuracy_on"],
            "accuracy_sgd": self.sgd_result.accuracy,
            "accuracy_dp": self.dp_result.accuracy,
            "sigma": sigma,
            "clip": clip,
            "epsilon": p.get("epsilon_rdp"),
            "epsilon_prv": p.get("epsilon_prv"),
            "epsilon_eq1": p.get("epsilon_eq1"),
            "delta": p.get("delta", self.profile.delta),
            "sample_rate": p.get("sample_rate"),
            "steps": p.get("steps"),
            "history_sgd": self.sgd_result.history,
            "history_dp": self.dp_result.history,
            "cached": {"convs": self.pretrained.cached, "sgd": self.sgd_result.cached,
                       "dp": self.dp_result.cached},
            "timings_s": self.timings,
        }


def build_models(profile: Profile | str, *, data_dir: str | None = None, store: CifarStore | None = None,
                 progress: bool | None = None) -> CifarModels:
    """Data, pre-trained convolutions, features and both heads (SGD and DP-SGD) of ``profile``; cached."""
    prof = get_profile(profile)
    store = store or CifarStore()
    timings = {}
    t = time.perf_counter()
    data = load_cifar_data(prof.cifar, data_dir)
    timings["data"] = time.perf_counter() - t
    t = time.perf_counter()
    pre = pretrain_convs(prof.cifar, data, prof.seed, store=store, progress=progress)
    timings["pretrain"] = time.perf_counter() - t
    t = time.perf_counter()
    xtr, xte = features_for(pre, data.private, store=store), features_for(pre, data.test, store=store)
    timings["features"] = time.perf_counter() - t
    heads = {}
    for mode in ("sgd", "dpsgd"):
        t = time.perf_counter()
        heads[mode] = train_head(prof, pre, data, mode, store=store, progress=progress, train_feats=xtr,
                                 test_feats=xte)
        timings[f"head_{mode}"] = time.perf_counter() - t
    (h_sgd, r_sgd), (h_dp, r_dp) = heads["sgd"], heads["dpsgd"]
    return CifarModels(prof, data, pre, assemble(pre, h_sgd, prof.cifar), assemble(pre, h_dp, prof.cifar),
                       r_sgd, r_dp, timings)


def seed_models(models: CifarModels, store: CifarStore | None = None, progress: bool | None = None
                ) -> list[CifarModels]:
    """``models`` and, per further headline seed, the same chapter with both heads trained with that seed on the
    same frozen convolutions (the public pre-training is not private and keeps one seed)."""
    prof = models.profile
    out = [models]
    xtr = xte = None
    for seed in zoo.headline_seeds(prof)[1:]:
        if xtr is None:
            xtr = features_for(models.pretrained, models.data.private, store=store)
            xte = features_for(models.pretrained, models.data.test, store=store)
        heads = {mode: train_head(prof, models.pretrained, models.data, mode, store=store, progress=progress,
                                  train_feats=xtr, test_feats=xte, seed=seed) for mode in ("sgd", "dpsgd")}
        (h_sgd, r_sgd), (h_dp, r_dp) = heads["sgd"], heads["dpsgd"]
        out.append(CifarModels(prof, models.data, models.pretrained, assemble(models.pretrained, h_sgd, prof.cifar),
                               assemble(models.pretrained, h_dp, prof.cifar), r_sgd, r_dp))
    return out


def reference_nets(models: CifarModels, candidates: torch.Tensor) -> dict[str, list[CifarNet]]:
    """LiRA offline's reference models of the chapter's heads (beyond both papers): per mode (``"sgd"``,
    ``"dp"``), ``privacy.references`` heads trained like the chapter's (same settings and frozen convolutions,
    seed profile seed + 1000 + k) on the private set without the member candidates (positions ``candidates``)."""
    from dprob_utils.experiments.privacy import REFERENCE_SEED_OFFSET

    prof = models.profile
    keep = torch.ones(len(models.data.private), dtype=torch.bool)
    keep[candidates] = False
    idx = torch.nonzero(keep).flatten()
    data = replace(models.data, private=models.data.private.take(idx, "without the membership candidates"))
    xtr = features_for(models.pretrained, models.data.private)[idx]
    xte = features_for(models.pretrained, models.data.test)
    out: dict[str, list[CifarNet]] = {}
    for tag, mode in (("sgd", "sgd"), ("dp", "dpsgd")):
        for k in range(prof.privacy.references):
            head, _ = train_head(prof, models.pretrained, data, mode, train_feats=xtr, test_feats=xte,
                                 seed=prof.seed + REFERENCE_SEED_OFFSET + k)
            out.setdefault(tag, []).append(assemble(models.pretrained, head, prof.cifar))
    return out
