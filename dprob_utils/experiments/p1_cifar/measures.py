"""Chapter 07's measurements: distance to the boundary, input-Hessian curvature, their intervals over
the headline seeds, and membership inference on the heads.
"""

from __future__ import annotations

import math
import time

import numpy as np
import torch
from torch import nn

from dprob_utils.analysis import membership as mia
from dprob_utils.analysis.intervals import bootstrap, difference_of, ratio_of, relative_drop_of
from dprob_utils.config.errors import ConfigError
from dprob_utils.data.datasets import ImageDataset, subset
from dprob_utils.experiments.p1_cifar.data import CifarData
from dprob_utils.experiments.p1_cifar.heads import CifarModels, reference_nets


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
