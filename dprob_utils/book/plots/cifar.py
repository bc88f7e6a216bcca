"""Figures of the CIFAR-10 chapter (paper 1 section 3.6, Figure 6)."""

from __future__ import annotations

import numpy as np
from matplotlib import pyplot as plt
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from dprob_utils.book.plots import DP_COLOR, SGD_COLOR, setup

NORM_LABEL = {"linf": r"$\ell_\infty$", "l2": r"$\ell_2$"}


def distance_histogram(distances: dict, norm: str, ax: Axes | None = None, bins: int = 40) -> Axes:
    """Histogram of the distances to the closest decision boundary of SGD and DP-SGD (paper 1 Fig. 6a/b).

    ``distances`` is one entry of :func:`dprob_utils.experiments.p1_cifar.measures.boundary_distance_study` (``result[norm]``), with
    per-model ``distances`` arrays and ``mean`` values; dashed lines mark the means.
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 3.5))
    arrays = {t: np.asarray(distances[t]["distances"], dtype=float) for t in ("sgd", "dpsgd")}
    finite = np.concatenate([a[np.isfinite(a)] for a in arrays.values()])
    edges = np.histogram_bin_edges(finite, bins=bins) if len(finite) else bins
    for tag, colour, label in (("sgd", SGD_COLOR, "SGD"), ("dpsgd", DP_COLOR, "DP-SGD")):
        a = arrays[tag]
        a = a[np.isfinite(a)]
        mean = distances[tag]["mean"]
        ax.hist(a, bins=edges, alpha=0.5, color=colour, label=f"{label} (mean {mean:.3g}, n={len(a)})")
        if mean is not None:
            ax.axvline(mean, color=colour, ls="--", lw=1.2)
    ax.set_xlabel(f"{NORM_LABEL.get(norm, norm)} distance to the closest decision boundary")
    ax.set_ylabel("test images")
    ax.legend(fontsize=8)
    return ax


def curvature_profile(curvature: dict, ax: Axes | None = None, zero_tol: float = 1e-10) -> Axes:
    """Mean magnitude of the largest eigenvalues of the input Hessian, SGD vs DP-SGD, log scale (paper 1 Fig. 6c).

    ``curvature`` is :func:`dprob_utils.experiments.p1_cifar.measures.curvature_study`'s result. Bands: 25th to 75th percentile over the
    sampled images. Ranks whose mean is below ``zero_tol`` times the largest (past the Hessian's rank, at most 9
    for 10 classes: zero up to round-off) are not drawn on the log axis but named in the title.
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 3.5))
    zero_ranks: set[int] = set()
    for tag, colour, label in (("sgd", SGD_COLOR, "SGD"), ("dpsgd", DP_COLOR, "DP-SGD")):
        mean = np.asarray(curvature[tag]["mean_profile"], dtype=float)
        per = np.abs(np.asarray(curvature[tag]["per_sample"], dtype=float))
        ranks = np.arange(1, len(mean) + 1)
        keep = mean > zero_tol * mean.max() if mean.max() > 0 else np.zeros_like(mean, dtype=bool)
        zero_ranks |= set(ranks[~keep].tolist())
        ax.plot(ranks[keep], mean[keep], color=colour, marker="o", ms=4, label=label)
        if len(per) > 1:
            lo, hi = np.percentile(per, [25, 75], axis=0)
            ax.fill_between(ranks[keep], np.maximum(lo[keep], mean[keep] * 1e-6), hi[keep], color=colour,
                            alpha=0.15, lw=0)
    ax.set_yscale("log")
    ax.set_xlabel("eigenvalue rank")
    ax.set_ylabel("|eigenvalue| of the input Hessian of the loss")
    ax.set_xticks(np.arange(1, len(curvature["sgd"]["mean_profile"]) + 1))
    title = f"mean over {curvature['samples']} test images"
    if zero_ranks:
        title += f"; rank {', '.join(map(str, sorted(zero_ranks)))}: 0"
    ax.set_title(title)
    ax.legend(fontsize=8)
    return ax


def figure6(distances: dict, curvature: dict) -> Figure:
    """Paper 1 Figure 6 in one row: L-inf histogram, L2 histogram, curvature profile."""
    setup()
    fig, axes = plt.subplots(1, 3, figsize=(15, 4))
    distance_histogram(distances["linf"], "linf", axes[0])
    distance_histogram(distances["l2"], "l2", axes[1])
    curvature_profile(curvature, axes[2])
    for ax, letter in zip(axes, "abc", strict=True):
        ax.set_title(f"({letter}) " + ax.get_title())
    return fig


def training_curves(history_sgd: list[dict], history_dp: list[dict], ax: Axes | None = None) -> Axes:
    """Training loss of the dense layers per epoch, SGD vs DP-SGD."""
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 3.5))
    for hist, colour, label in ((history_sgd, SGD_COLOR, "SGD"), (history_dp, DP_COLOR, "DP-SGD")):
        ax.plot([h["epoch"] for h in hist], [h["loss"] for h in hist], color=colour, marker=".", label=label)
    ax.set_xlabel("epoch")
    ax.set_ylabel("training loss (private set)")
    ax.legend(fontsize=8)
    return ax
