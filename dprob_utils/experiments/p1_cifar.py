"""Paper 1 section 3.6 on CIFAR-10: public pre-training of the two convolutions, private dense layers.

The pipeline, each step cached under ``<cache>/cifar/`` by a key that hashes everything that determines it:

1. **Public data** (:func:`load_cifar_data`). Paper 1 pre-trains the convolutions on CIFAR-100. Where that is
   not available (offline), the alternative source ``cifar10-public`` is a fixed, seeded part of the CIFAR-10
   training set (``Cifar.public_size`` images) used *only* for pre-training; the dense layers are trained on the
   disjoint rest. The source actually used is reported everywhere (``CifarData.source``).
2. **Pre-training** (:func:`pretrain_convs`): the whole :class:`~dprob_utils.models.architectures.CifarNet` (with a 100- or
   10-class head) is trained non-privately on the public data; only its ``features`` (the two convolutions)
   are kept and frozen.
3. **Features** (:func:`features_for`): the frozen convolutions map every private training image and every
   test image to a ``[N, channels[1] * 49]`` vector, once.
4. **Dense layers** (:func:`train_head`): the three FC-500 layers and the output layer are trained on the
   features with SGD and with DP-SGD (paper 1: sigma = 1, C = 3). Privacy is accounted on the private set only
   (sample rate = batch size / number of private images); the public data costs no privacy.
5. **Whole network** (:func:`assemble`): features + head, evaluated in *input* space for the distance to the
   closest decision boundary (equations (5), (6)) and the input-Hessian curvature profile (equation (7)).
"""

from __future__ import annotations

import hashlib
import math
import os
import time
from dataclasses import asdict, dataclass, field, replace

import numpy as np
import torch
from torch import nn

from dprob_utils.analysis import membership as mia
from dprob_utils.analysis.intervals import bootstrap, difference_of, ratio_of, relative_drop_of
from dprob_utils.config.errors import ConfigError, DataError
from dprob_utils.config.paths import cache_dir
from dprob_utils.config.profiles import Cifar, Profile, get_profile
from dprob_utils.data.datasets import ImageDataset, load_dataset, split_disjoint, subset
from dprob_utils.dp.privacy import privacy_spent
from dprob_utils.dp.training import TrainConfig, TrainResult, evaluate, fit
from dprob_utils.models import zoo
from dprob_utils.models.architectures import CifarNet, make_cifar_head
from dprob_utils.store import core as store_core
from dprob_utils.store import versions
from dprob_utils.store.core import content_key

SOURCES = ("cifar100", "cifar10-public")
SOURCE_NAMES = {
    "cifar100": "CIFAR-100 training set (as in paper 1)",
    "cifar10-public": "a fixed public part of the CIFAR-10 training set (CIFAR-100 unavailable)",
}


# --------------------------------------------------------------------------- entries in the store


class CifarStore:
    """The chapter's entries (``convs``, ``features``, ``head``) in the one store, under ``<cache>/cifar/<kind>``."""

    def __init__(self, root: os.PathLike | None = None):
        from pathlib import Path

        self.root = Path(root) if root is not None else cache_dir() / "cifar"

    def save(self, kind: str, key: str, tensors: dict, record: dict) -> None:
        store_core.put(self.root / kind, key, tensors, record)

    def load(self, kind: str, key: str) -> tuple[dict, dict] | None:
        return store_core.get(self.root / kind, key)


# --------------------------------------------------------------------------- data


@dataclass
class CifarData:
    """The three data sets of the chapter.

    ``public``: pre-training data (CIFAR-100 train, or the public CIFAR-10 part); ``private``: the CIFAR-10
    training images the dense layers are trained on (the only data the privacy guarantee covers); ``test``:
    the CIFAR-10 test set. ``source`` is ``"cifar100"`` or ``"cifar10-public"``.
    """

    source: str
    public: ImageDataset
    private: ImageDataset
    test: ImageDataset

    @property
    def description(self) -> str:
        return (f"pre-training: {SOURCE_NAMES[self.source]}, {len(self.public)} images ({self.public.source}); "
                f"private: {len(self.private)} CIFAR-10 training images; test: {len(self.test)} CIFAR-10 "
                f"test images ({self.test.source})")


def _fingerprint(ds: ImageDataset) -> str:
    """Cheap content hash of a dataset: labels, original indices and a sample of 64 images."""
    h = hashlib.sha256()
    h.update(f"{ds.name}|{ds.split}|{len(ds)}".encode())
    h.update(ds.y.numpy().tobytes())
    h.update(ds.indices.numpy().tobytes())
    step = max(1, len(ds) // 64)
    h.update(ds.x[::step].numpy().tobytes())
    return h.hexdigest()[:16]


def _offline() -> bool:
    return os.environ.get("DPROB_OFFLINE", "") in ("1", "true", "yes")


def load_cifar_data(settings: Cifar, data_dir: str | None = None) -> CifarData:
    """Public, private and test data for ``settings.pretrain_source``.

    ``"cifar100"`` needs CIFAR-100 (a local copy under ``data_dir`` / ``$DPROB_DATA``, or the download) and
    raises :class:`DataError` without it; ``"auto"`` uses CIFAR-100 when it can be had and otherwise falls
    back to ``"cifar10-public"``: ``settings.public_size`` CIFAR-10 training images chosen with
    ``settings.split_seed`` (pre-training only), the disjoint rest being the private set.
    ``settings.pretrain_subset`` and ``settings.head.train_subset`` then shrink the public and private sets
    (stratified, seed 0).
    """
    requested = settings.pretrain_source
    if requested not in (*SOURCES, "auto"):
        raise ConfigError(f"unknown pre-training source {requested!r}; choose 'auto', {', '.join(SOURCES)}")
    train10 = load_dataset("cifar10", "train", data_dir)
    test = load_dataset("cifar10", "test", data_dir)
    public = None
    if requested in ("cifar100", "auto"):
        try:
            public = load_dataset("cifar100", "train", data_dir, download=not _offline())
            source, private = "cifar100", train10
        except DataError:
            if requested == "cifar100":
                raise
    if public is None:
        source = "cifar10-public"
        public, private = public_private_split(train10, settings)
    public = subset(public, settings.pretrain_subset, "stratified", seed=0)
    private = subset(private, settings.head.train_subset, "stratified", seed=0)
    return CifarData(source, public, private, test)


def public_private_split(train10: ImageDataset, settings: Cifar) -> tuple[ImageDataset, ImageDataset]:
    """The ``cifar10-public`` source: a fixed (``settings.split_seed``) random ``settings.public_size`` images
    of the CIFAR-10 training set for pre-training, and the disjoint rest (private)."""
    public, private = split_disjoint(train10, settings.public_size, seed=settings.split_seed)
    public.source = train10.source + f" [public part: {settings.public_size}, seed {settings.split_seed}]"
    private.source = train10.source + f" [private part: {len(private)}, seed {settings.split_seed}]"
    return public, private


# --------------------------------------------------------------------------- pre-training


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
                  "public": _fingerprint(data.public)})


def _pretrain_fit(net: nn.Module, x: torch.Tensor, y: torch.Tensor, s: dict,
                  progress: bool | None = None) -> tuple[int, float, list[dict]]:
    """Non-private pre-training of the whole net. :func:`dprob_utils.dp.training.fit` does plain SGD only (the
    papers' optimiser), which from PyTorch's default initialisation of this un-normalised net needs many
    epochs to leave the initial plateau; pre-training is public and unspecified, so Adam (or SGD with
    momentum) and random horizontal flips are used here. Returns (steps, seconds, per-epoch mean loss)."""
    from tqdm.auto import tqdm

    from dprob_utils.dp.training import _progress_enabled

    gen = torch.Generator().manual_seed(s["seed"] + 1)
    if s["optimizer"] == "adam":
        opt = torch.optim.Adam(net.parameters(), lr=s["lr"])
    else:
        opt = torch.optim.SGD(net.parameters(), lr=s["lr"], momentum=0.9)
    n, bs = len(y), s["batch_size"]
    steps, history = 0, []
    net.train()
    start = time.perf_counter()
    bar = tqdm(range(s["epochs"]), desc="pre-train convolutions", disable=not _progress_enabled(progress),
               leave=False)
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


# --------------------------------------------------------------------------- features


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
    key = content_key({"what": "features", "convs": pre.key, "data": _fingerprint(ds), "code": versions.CIFAR_CODE_VERSION})
    hit = store.load("features", key)
    if hit is not None and hit[0]["features"].shape[0] == len(ds):
        return hit[0]["features"]
    feats = compute_features(pre.features, ds.x)
    store.save("features", key, {"features": feats}, {"n": len(ds), "shape": list(feats.shape),
                                                       "data_source": ds.source})
    return feats


# --------------------------------------------------------------------------- dense layers


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
    key = content_key({"what": "head", "train": cfg.canonical(), "convs": pre.key, "private": _fingerprint(data.private),
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


# --------------------------------------------------------------------------- the chapter's models


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


# --------------------------------------------------------------------------- input-space analyses


def sample_test_images(data: CifarData, n: int | None, seed: int = 0, mode: str = "stratified") -> ImageDataset:
    """``n`` CIFAR-10 test images (all for ``None``): stratified (distances) or uniformly random (Hessian)."""
    if n is None or n >= len(data.test):
        return data.test
    if mode == "random":
        idx = np.sort(np.random.default_rng(seed).choice(len(data.test), size=n, replace=False))
        return data.test.take(idx, note=f"random {n}, seed {seed}")
    return subset(data.test, n, "stratified", seed=seed)


def _stats(d: np.ndarray) -> dict:
    d = d[np.isfinite(d)]
    if len(d) == 0:
        return {"n": 0, "mean": None, "median": None, "std": None}
    return {"n": int(len(d)), "mean": float(d.mean()), "median": float(np.median(d)), "std": float(d.std())}


@torch.no_grad()
def correct_mask(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Boolean ``[N]``: which images ``model`` classifies correctly."""
    model.eval()
    return torch.cat([model(x[i : i + 1000]).argmax(1) == y[i : i + 1000] for i in range(0, len(y), 1000)])


def boundary_distance_study(models: CifarModels) -> dict:
    """Distances to the closest decision boundary (paper 1 eqs. (5), (6)) in L-inf and L2, in input space.

    For each model, over the test images *it* classifies correctly (as the paper does) among
    ``cifar.distance_samples`` stratified test images; ``common`` restricts both to the images both models
    classify correctly. Returns ``{"samples": n, "linf": {...}, "l2": {...}}``; each norm holds, for ``"sgd"``
    and ``"dpsgd"``, the per-image ``distances`` (float64 array) and their statistics.
    """
    from dprob_utils.analysis.geometry import boundary_distances_all

    start = time.perf_counter()
    ds = sample_test_images(models.data, models.profile.cifar.distance_samples, models.profile.seed)
    nets = {"sgd": models.sgd, "dpsgd": models.dp}
    ok = {tag: correct_mask(net, ds.x, ds.y) for tag, net in nets.items()}
    both = ok["sgd"] & ok["dpsgd"]
    out: dict = {"samples": len(ds), "linf": {}, "l2": {}}
    for tag, net in nets.items():
        m = ok[tag]
        res = boundary_distances_all(net, ds.x[m], ds.y[m], norms=(math.inf, 2.0))
        for name, p in (("linf", math.inf), ("l2", 2.0)):
            d = res[p].distance.double().numpy()
            out[name][tag] = {"distances": d, **_stats(d), "common": _stats(d[both[m].numpy()])}
    out["seconds"] = time.perf_counter() - start
    return out


HESSIAN_METHODS = ("exact", "gauss-newton", "gauss-newton-gram")


def gram_top_eigenvalues(model: nn.Module, x: torch.Tensor, y: torch.Tensor, k: int = 10,
                         batch_size: int = 100) -> torch.Tensor:
    """Top-``k`` eigenvalues (float64 ``[N, k]``, by decreasing magnitude) of the input Hessian of the
    cross-entropy of a piecewise-linear (ReLU / max-pool / affine) network, without forming the ``d x d`` matrix.

    There the Hessian is ``H = J^T A J`` with ``J`` the ``K x d`` Jacobian of the logits and
    ``A = diag(p) - p p^T`` (PSD). ``H`` has the same non-zero eigenvalues as the ``K x K`` matrix
    ``A^(1/2) J J^T A^(1/2)``; the other ``d - K`` are zero. For CIFAR-10 this replaces a 3072 x 3072 dense
    eigensolver per image (seconds, and the whole of :func:`dprob_utils.analysis.curvature.top_eigenvalues` with
    ``method="gauss-newton"``) by a 10 x 10 one; the Jacobian costs 10 backward passes. The chapter checks it
    against the exact torch.func Hessian.
    """
    from dprob_utils.analysis.curvature import top_by_magnitude
    from dprob_utils.analysis.geometry import logits_and_jacobian

    if k <= 0:
        raise ConfigError(f"k must be > 0, got {k}")
    rows = []
    was_training = model.training
    model.eval()
    for i in range(0, len(y), batch_size):
        logits, jac = logits_and_jacobian(model, x[i : i + batch_size])
        p = logits.double().softmax(dim=1)
        a = torch.diag_embed(p) - p.unsqueeze(2) * p.unsqueeze(1)
        w, v = torch.linalg.eigh(a)
        sqrt_a = v @ torch.diag_embed(w.clamp_min(0).sqrt()) @ v.transpose(1, 2)
        jd = jac.double()
        ev = torch.linalg.eigvalsh(sqrt_a @ (jd @ jd.transpose(1, 2)) @ sqrt_a)  # [B, K]
        if k > ev.shape[1]:  # the remaining eigenvalues of the d x d Hessian are exactly zero
            ev = torch.cat([ev, ev.new_zeros(ev.shape[0], min(k, jac.shape[2]) - ev.shape[1])], dim=1)
        rows.append(top_by_magnitude(ev, k))
    model.train(was_training)
    return torch.cat(rows) if rows else torch.empty(0, k, dtype=torch.float64)


def _top_eigenvalues(model: nn.Module, x: torch.Tensor, y: torch.Tensor, k: int, method: str) -> torch.Tensor:
    from dprob_utils.analysis.curvature import top_eigenvalues

    if method not in HESSIAN_METHODS:
        raise ConfigError(f"unknown Hessian method {method!r}; choose one of {', '.join(HESSIAN_METHODS)}")
    if method == "gauss-newton-gram":
        return gram_top_eigenvalues(model, x, y, k)
    return top_eigenvalues(model, x, y, k, method=method)


def curvature_study(models: CifarModels) -> dict:
    """Curvature profile (paper 1 eq. (7), Fig. 6c): the ``hessian_top`` largest eigenvalues of the 3072 x 3072
    input Hessian of the cross-entropy loss at ``hessian_samples`` random test images, for both models.

    ``cifar.hessian_method``: ``"exact"`` (torch.func Hessian, :mod:`dprob_utils.analysis.curvature`), ``"gauss-newton"``
    (its ``J^T A J`` form, d x d) or ``"gauss-newton-gram"`` (:func:`gram_top_eigenvalues`, K x K); all three
    agree for this piecewise-linear net. With ``hessian_exact_check > 0`` the exact Hessian is also computed on
    that many of the images and the largest relative difference of the top eigenvalues is reported.
    Returns per model ``per_sample`` (``[n, k]``), ``mean_profile`` (mean magnitude per rank, as
    :func:`dprob_utils.analysis.curvature.mean_profile`) and ``std``; plus ``largest_ratio_dp_over_sgd``.
    """
    from dprob_utils.analysis.curvature import largest_ratio, mean_profile

    start = time.perf_counter()
    c = models.profile.cifar
    ds = sample_test_images(models.data, c.hessian_samples, models.profile.seed, mode="random")
    out: dict = {"samples": len(ds), "k": c.hessian_top, "method": c.hessian_method,
                 "indices": ds.indices.tolist()}
    eigs = {}
    for tag, net in (("sgd", models.sgd), ("dpsgd", models.dp)):
        ev = _top_eigenvalues(net, ds.x, ds.y, c.hessian_top, c.hessian_method)
        eigs[tag] = ev
        entry = {"per_sample": ev.numpy(), "mean_profile": mean_profile(ev),
                 "std": ev.abs().std(0).tolist() if len(ev) > 1 else [0.0] * ev.shape[1]}
        n_check = min(c.hessian_exact_check, len(ds))
        if n_check and c.hessian_method != "exact":
            exact = _top_eigenvalues(net, ds.x[:n_check], ds.y[:n_check], c.hessian_top, "exact")
            scale = exact.abs().max(dim=1, keepdim=True).values.clamp_min(1e-30)
            entry["exact_check_samples"] = n_check
            entry["exact_vs_method_rel_diff"] = float(((exact - ev[:n_check]).abs() / scale).max())
        out[tag] = entry
    out["largest_ratio_dp_over_sgd"] = largest_ratio(eigs["sgd"], eigs["dpsgd"])
    out["seconds"] = time.perf_counter() - start
    return out


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


def settings_rows(profile: Profile | str, models: CifarModels | None = None) -> list[dict]:
    """The paper's setting beside ours, one row per setting (for the chapter's settings table)."""
    prof = get_profile(profile)
    c = prof.cifar
    h = c.head
    sigma, clip = c.dp
    src = models.data.source if models is not None else c.pretrain_source
    public = (f"{len(models.data.public):,} images" if models is not None else
              ("CIFAR-100 train" if src == "cifar100" else f"{c.public_size:,} CIFAR-10 train images"))
    private = f"{len(models.data.private):,} CIFAR-10 training images" if models is not None else \
        (f"{h.train_subset:,} images" if h.train_subset else "the rest of CIFAR-10 train")
    dist_n = "all" if c.distance_samples is None else f"{c.distance_samples:,} stratified"
    rows = [
        ("convolutions", "two 3x3 convs (stride 1, ReLU, 3x3 max-pool stride 2), channels not stated",
         f"channels {c.channels}, padding {c.padding}"),
        ("dense layers", "three FC-500 + output, ReLU", "the same"),
        ("pre-training data", "CIFAR-100 (50,000 images, 100 classes)", f"{SOURCE_NAMES.get(src, src)}: {public}"),
        ("pre-training", "not described",
         f"{c.pretrain_optimizer} lr {c.pretrain_lr}, batch {c.pretrain_batch_size}, {c.pretrain_epochs} epochs"
         + (", random horizontal flips" if c.pretrain_flip else "")),
        ("private training set", "CIFAR-10 train (50,000)", private),
        ("dense-layer training", "lr 0.01, batch 200, 200 epochs (SGD)",
         f"lr {h.lr}, batch {h.batch_size}, {h.epochs} epochs (plain SGD; DP-SGD with Poisson batches)"),
        ("DP-SGD", "sigma = 1, C = 3", f"sigma = {sigma:g}, C = {clip:g}, delta = {prof.delta:g}"),
        ("distance images", "correctly classified test images", f"{dist_n} test images, correctly classified ones"),
        ("Hessian", "largest 10 eigenvalues at 100 random test images",
         f"largest {c.hessian_top} at {c.hessian_samples} random test images, {c.hessian_method} Hessian"
         + (f" (exact one checked on {c.hessian_exact_check})" if c.hessian_exact_check and
            c.hessian_method != "exact" else "")),
    ]
    return [{"setting": a, "paper": b, "ours": o} for a, b, o in rows]


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


def study_intervals(seeded: list[tuple[CifarModels, dict, dict]]) -> dict:
    """Chapter 07, paper 1 Sec. 3.6 / Fig. 6: 95% intervals over the headline seeds (of the heads) and the test
    images, from ``(models, distances, curvature)`` per seed (:func:`boundary_distance_study`,
    :func:`curvature_study`):

    - ``accuracy_sgd_minus_dp``: the clean test-accuracy gap (fractions), paired over the whole test set;
    - ``linf`` / ``l2``: ``sgd_minus_dp`` of the mean distance to the closest boundary and its
      ``relative_drop``, unpaired (each model's own correctly classified images);
    - ``largest_ratio``: the ratio DP-SGD / SGD of the mean largest eigenvalue magnitude, paired over the
      Hessian images.
    """
    first = seeded[0][0]
    seed = first.profile.seed
    correct = {"sgd": [], "dp": []}
    for m, _, _ in seeded:
        for tag, net in (("sgd", m.sgd), ("dp", m.dp)):
            with torch.no_grad():
                correct[tag].append(correct_mask(net, m.data.test.x, m.data.test.y).numpy())
    out = {"accuracy_sgd_minus_dp": bootstrap(difference_of("sgd", "dp"), correct, paired=True, seed=seed).to_dict()}
    for norm in ("linf", "l2"):
        samples = {tag: [d[norm][key]["distances"] for _, d, _ in seeded] for tag, key in (("sgd", "sgd"),
                                                                                          ("dp", "dpsgd"))}
        out[norm] = {"sgd_minus_dp": bootstrap(difference_of("sgd", "dp"), samples, seed=seed).to_dict(),
                     "relative_drop": bootstrap(relative_drop_of("sgd", "dp"), samples, seed=seed).to_dict()}
    largest = {tag: [np.abs(c[key]["per_sample"][:, 0]) for _, _, c in seeded]
               for tag, key in (("sgd", "sgd"), ("dp", "dpsgd"))}
    out["largest_ratio"] = bootstrap(ratio_of("dp", "sgd"), largest, paired=True, seed=seed).to_dict()
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


def membership_study(seeded: list[CifarModels]) -> dict:
    """Chapter 07, beyond both papers (chapter 12 does it on MNIST): membership inference on the heads, whose
    private training images are the only data the privacy covers. ``privacy.mia_points`` member candidates of
    the private set and as many test images (the chapter-12 seed draws them, the same for every head), scored by
    the loss threshold and by LiRA offline (each mode's :func:`reference_nets`). Per model of the first seed the
    AUC and TPR at low FPR of both attacks with intervals over the points; SGD minus DP-SGD of the AUC (and of
    the TPR at 1% FPR) with its interval over the headline seeds, then the points (paired: every head scores the
    same images)."""
    from dprob_utils.experiments.privacy import mia_indices

    prof = seeded[0].profile
    data = seeded[0].data
    i, j = mia_indices(prof, len(data.private), len(data.test))
    n = len(i)
    xi, yi, xo, yo = data.private.x[i], data.private.y[i], data.test.x[j], data.test.y[j]

    def phi(net: nn.Module) -> np.ndarray:
        return np.concatenate([mia.logit_confidence(net, xi, yi).numpy(), mia.logit_confidence(net, xo, yo).numpy()])

    refs = {tag: np.stack([phi(net) for net in nets]) for tag, nets in reference_nets(seeded[0], i).items()}
    loss: dict[str, list[np.ndarray]] = {}
    lira: dict[str, list[np.ndarray]] = {}
    for m in seeded:
        for tag, net in (("sgd", m.sgd), ("dp", m.dp)):
            loss.setdefault(f"{tag}:in", []).append(mia.loss_scores(net, xi, yi).numpy())
            loss.setdefault(f"{tag}:out", []).append(mia.loss_scores(net, xo, yo).numpy())
            z = mia.lira_offline(phi(net), refs[tag])
            lira.setdefault(f"{tag}:in", []).append(z[:n])
            lira.setdefault(f"{tag}:out", []).append(z[n:])
    seed = prof.seed
    return {"points": n, "references": prof.privacy.references,
            "models": {tag: mia.roc_intervals(loss[f"{tag}:in"][0], loss[f"{tag}:out"][0], seed)
                       for tag in ("sgd", "dp")},
            "lira": {tag: mia.roc_intervals(lira[f"{tag}:in"][0], lira[f"{tag}:out"][0], seed)
                     for tag in ("sgd", "dp")},
            "auc_sgd_minus_dp": mia.sgd_minus_dp(loss, mia.auc, True, seed),
            "tpr_at_0.01_sgd_minus_dp": mia.sgd_minus_dp(loss, mia.tpr_at_1pct, True, seed),
            "lira_auc_sgd_minus_dp": mia.sgd_minus_dp(lira, mia.auc, True, seed),
            "lira_tpr_at_0.01_sgd_minus_dp": mia.sgd_minus_dp(lira, mia.tpr_at_1pct, True, seed)}


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


_STUDIES: dict[Profile, CifarStudy] = {}


def _stored_measurement(models: CifarModels, what: str, measure) -> dict:
    """``measure(models)`` (:func:`boundary_distance_study` or :func:`curvature_study`), stored per pair of heads
    and the chapter's settings, so that a warm run reads it."""
    parts = {"what": what, "sgd": models.sgd_result.key, "dp": models.dp_result.key,
             "cifar": asdict(models.profile.cifar), "seed": models.profile.seed, "code": versions.CIFAR_CODE_VERSION}
    return store_core.stored(f"p1_cifar_{what}", parts, lambda: measure(models))


def study(profile: Profile | str) -> CifarStudy:
    """Chapter 07, paper 1 Fig. 6: build (or load) the models and measure distances and curvature, once per
    process; :func:`run_cifar` and the chapter's figures share it."""
    prof = get_profile(profile)
    if prof not in _STUDIES:
        models = seed_models(build_models(prof))
        seeded = [(m, _stored_measurement(m, "distances", boundary_distance_study),
                   _stored_measurement(m, "curvature", curvature_study)) for m in models]
        # both are functions of the stored heads and the settings: stored, so that a warm run reads them
        parts = {"heads": [[m.sgd_result.key, m.dp_result.key] for m in models], "cifar": asdict(prof.cifar),
                 "seed": prof.seed, "code": versions.CIFAR_CODE_VERSION, "intervals": versions.INTERVALS_VERSION}
        intervals = store_core.stored("p1_cifar_intervals", parts, lambda: study_intervals(seeded))
        membership = store_core.stored("p1_cifar_membership", parts | {"privacy": asdict(prof.privacy),
                                                                       "lira": versions.LIRA_VERSION},
                                       lambda: membership_study(models))
        _STUDIES[prof] = CifarStudy(*seeded[0], intervals=intervals, membership=membership)
    return _STUDIES[prof]


def run_cifar(profile: Profile | str) -> dict:
    """Chapter 07, paper 1 Sec. 3.6 and Fig. 6: the CIFAR-10 models (public pre-training, private dense layers),
    their distances to the decision boundary and input-Hessian curvature. The results dict of
    ``results/<profile>/07_p1_cifar.json``."""
    s = study(profile)
    return results_dict(s.models, s.distances, s.curvature) | {"intervals": s.intervals, "membership": s.membership,
                                                                "seeds": zoo.headline_seeds(s.models.profile)}
