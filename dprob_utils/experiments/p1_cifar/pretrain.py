"""Chapter 07's public pre-training of the two convolutions, and the frozen features they give.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import torch
from torch import nn

from dprob_utils.config import versions
from dprob_utils.config.errors import ConfigError
from dprob_utils.config.profiles import Cifar
from dprob_utils.config.progress import progress as progress_bar
from dprob_utils.data.datasets import ImageDataset, load_dataset
from dprob_utils.dp.training import evaluate
from dprob_utils.experiments.p1_cifar.data import SOURCE_NAMES, CifarData, CifarStore, fingerprint
from dprob_utils.models.architectures import CifarNet
from dprob_utils.store.core import content_key

PRETRAIN_OPTIMIZERS = ("adam", "sgd")


def pretrain_settings(settings: Cifar, data: CifarData, seed: int = 0) -> dict:
    """Everything that determines the pre-trained convolutions (apart from the public data's content)."""
    if settings.pretrain_optimizer not in PRETRAIN_OPTIMIZERS:
        raise ConfigError(f"unknown pre-training optimizer {settings.pretrain_optimizer!r}; "
                          f"choose one of {', '.join(PRETRAIN_OPTIMIZERS)}")
    for name in ("pretrain_epochs", "pretrain_batch_size"):
        if getattr(settings, name) <= 0:
            raise ConfigError(f"{name} must be > 0, got {getattr(settings, name)}")
    if not settings.pretrain_lr > 0:
        raise ConfigError(f"pretrain_lr must be > 0, got {settings.pretrain_lr}")
    return {
        "source": data.source, "dataset": data.public.name, "num_classes": data.public.num_classes,
        "channels": list(settings.channels), "padding": settings.padding,
        "optimizer": settings.pretrain_optimizer, "lr": settings.pretrain_lr,
        "batch_size": settings.pretrain_batch_size, "epochs": settings.pretrain_epochs,
        "flip": settings.pretrain_flip, "subset": settings.pretrain_subset, "seed": seed,
        "cifar_code_version": versions.CIFAR_CODE_VERSION,
    }


def _conv_key(settings: Cifar, data: CifarData, seed: int) -> str:
    return content_key({"what": "convs", "settings": pretrain_settings(settings, data, seed),
                  "public": fingerprint(data.public)})


def _pretrain_fit(net: nn.Module, x: torch.Tensor, y: torch.Tensor, s: dict,
                  progress: bool | None = None) -> tuple[int, float, list[dict]]:
    """Non-private pre-training of the whole net. :func:`dprob_utils.dp.training.fit` does plain SGD only (the
    papers' optimiser), which from PyTorch's default initialisation of this un-normalised net needs many
    epochs to leave the initial plateau; pre-training is public and unspecified, so Adam (or SGD with
    momentum) and random horizontal flips are used here. Returns (steps, seconds, per-epoch mean loss)."""
    gen = torch.Generator().manual_seed(s["seed"] + 1)
    if s["optimizer"] == "adam":
        opt = torch.optim.Adam(net.parameters(), lr=s["lr"])
    else:
        opt = torch.optim.SGD(net.parameters(), lr=s["lr"], momentum=0.9)
    n, bs = len(y), s["batch_size"]
    steps, history = 0, []
    net.train()
    start = time.perf_counter()
    bar = progress_bar(range(s["epochs"]), desc="pre-train convolutions", on=progress)
    for epoch in bar:
        perm = torch.randperm(n, generator=gen)
        total = 0.0
        for i in range(0, n, bs):
            idx = perm[i : i + bs]
            xb = x[idx]
            if s["flip"]:
                flip = (torch.rand(len(idx), generator=gen) < 0.5).view(-1, 1, 1, 1)
                xb = torch.where(flip, xb.flip(3), xb)
            loss = nn.functional.cross_entropy(net(xb), y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            steps += 1
            total += float(loss.detach()) * len(idx)
        history.append({"epoch": epoch + 1, "loss": total / n})
        bar.set_postfix(loss=f"{total / n:.3f}")
    net.eval()
    return steps, time.perf_counter() - start, history


@dataclass
class Pretrained:
    """The frozen convolutions and how they were obtained."""

    features: nn.Sequential
    key: str
    record: dict
    cached: bool = False


def freeze(module: nn.Module) -> nn.Module:
    """Turn off gradients of every parameter of ``module`` and put it in eval mode; returns it."""
    for p in module.parameters():
        p.requires_grad_(False)
    return module.eval()


def pretrain_convs(settings: Cifar, data: CifarData, seed: int = 0, *, store: CifarStore | None = None,
                   progress: bool | None = None) -> Pretrained:
    """Pre-train (or load) the two convolutions on ``data.public``; returned frozen.

    The whole net is trained (:func:`_pretrain_fit`) with a head of ``data.public.num_classes`` outputs (100 for
    CIFAR-100); that head is discarded. The record holds the pre-training accuracy on the public source's
    test set (CIFAR-100 test, or CIFAR-10 test for ``cifar10-public``).
    """
    store = store or CifarStore()
    key = _conv_key(settings, data, seed)
    n_cls = data.public.num_classes
    net = CifarNet(settings.channels, settings.padding, n_cls)
    hit = store.load("convs", key)
    if hit is not None:
        net.features.load_state_dict(hit[0])
        return Pretrained(freeze(net.features), key, hit[1], cached=True)
    s = pretrain_settings(settings, data, seed)
    torch.manual_seed(seed)
    net = CifarNet(settings.channels, settings.padding, n_cls)
    steps, seconds, history = _pretrain_fit(net, data.public.x, data.public.y, s, progress)
    if data.source == "cifar100":
        test = load_dataset("cifar100", "test", download=False)
        x_eval, y_eval, eval_name = test.x, test.y, "CIFAR-100 test"
    else:
        x_eval, y_eval, eval_name = data.test.x, data.test.y, "CIFAR-10 test"
    record = {
        "settings": s, "source": data.source, "source_name": SOURCE_NAMES[data.source],
        "data_source": data.public.source, "public_size": len(data.public), "num_classes": n_cls,
        "channels": list(settings.channels), "padding": settings.padding, "steps": steps, "seconds": seconds,
        "history": history, "accuracy": evaluate(net, x_eval, y_eval), "accuracy_on": eval_name,
    }
    store.save("convs", key, net.features.state_dict(), record)
    return Pretrained(freeze(net.features), key, record, cached=False)


@torch.no_grad()
def compute_features(features: nn.Module, x: torch.Tensor, batch_size: int = 1000) -> torch.Tensor:
    """``features(x)`` in eval mode, batched: ``[N, 3, 32, 32]`` images -> ``[N, F]`` float32 features."""
    was_training = features.training
    features.eval()
    out = torch.cat([features(x[i : i + batch_size]) for i in range(0, len(x), batch_size)]) if len(x) else \
        torch.empty(0)
    features.train(was_training)
    return out


def features_for(pre: Pretrained, ds: ImageDataset, *, store: CifarStore | None = None) -> torch.Tensor:
    """The features of ``ds`` under the frozen convolutions ``pre``, computed once and cached.

    Keyed by the convolutions' key and the dataset's content fingerprint.
    """
    store = store or CifarStore()
    key = content_key({"what": "features", "convs": pre.key, "data": fingerprint(ds), "code": versions.CIFAR_CODE_VERSION})
    hit = store.load("features", key)
    if hit is not None and hit[0]["features"].shape[0] == len(ds):
        return hit[0]["features"]
    feats = compute_features(pre.features, ds.x)
    store.save("features", key, {"features": feats}, {"n": len(ds), "shape": list(feats.shape),
                                                       "data_source": ds.source})
    return feats
