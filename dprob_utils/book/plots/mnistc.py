"""Figures of the MNIST-C chapter (paper 1, section 3.5, Table 2)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np

from dprob_utils.book.plots import DP_COLOR, SGD_COLOR


def gallery(images: Mapping[str, np.ndarray], labels: Mapping[str, str] | None = None, ncols: int = 8,
            size: float = 1.35, title: str | None = None):
    """One image per corruption in a grid. ``images``: name -> ``[28, 28]`` (or ``[1, 28, 28]``) in [0, 1];
    ``labels``: name -> caption (defaults to the name). Returns the figure."""
    names = list(images)
    nrows = int(np.ceil(len(names) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(ncols * size, nrows * (size + 0.25)), squeeze=False)
    for ax in axes.ravel():
        ax.axis("off")
    for ax, name in zip(axes.ravel(), names, strict=False):
        ax.imshow(np.asarray(images[name]).reshape(28, 28), cmap="gray", vmin=0, vmax=1, interpolation="nearest")
        ax.set_title((labels or {}).get(name, name), fontsize=8)
    if title:
        fig.suptitle(title)
    return fig


def accuracy_bars(names: Sequence[str], sgd: Sequence[float], dp: Sequence[float], labels: Sequence[str],
                  dp_label: str = "DP-SGD", ref_sgd: Sequence[float] | None = None,
                  ref_dp: Sequence[float] | None = None):
    """Accuracy (%) per corruption of the SGD and a DP-SGD model, side by side; the paper's values (if
    given) as markers. Returns the figure."""
    x = np.arange(len(names))
    fig, ax = plt.subplots(figsize=(max(8, 0.36 * len(names)), 4.2))
    ax.bar(x - 0.2, sgd, 0.4, color=SGD_COLOR, label="SGD (ours)")
    ax.bar(x + 0.2, dp, 0.4, color=DP_COLOR, label=f"{dp_label} (ours)")
    if ref_sgd is not None:
        ax.plot(x - 0.2, ref_sgd, "k_", markersize=9, mew=2, label="paper")
    if ref_dp is not None:
        ax.plot(x + 0.2, ref_dp, "k_", markersize=9, mew=2)
    ax.set_xticks(x)
    ax.set_xticklabels(labels, rotation=70, ha="right", fontsize=8)
    ax.set_ylabel("accuracy (%)")
    ax.set_ylim(0, 115)
    ax.set_yticks(range(0, 101, 20))
    ax.legend(loc="upper center", fontsize=8, ncol=3)
    ax.set_title("MNIST-C accuracy per corruption")
    return fig


def gap_scatter(labels: Sequence[str], ours: Sequence[float], paper: Sequence[float], clean_ours: float,
                clean_paper: float):
    """SGD - DP-SGD accuracy gap per corruption, ours against the paper's, with both clean gaps as lines.
    Returns the figure."""
    fig, ax = plt.subplots(figsize=(5.2, 5.0))
    ax.scatter(paper, ours, color=DP_COLOR, s=18)
    for lab, p, o in zip(labels, paper, ours, strict=True):
        ax.annotate(lab, (p, o), fontsize=6, xytext=(2, 2), textcoords="offset points")
    lo = min(0.0, float(np.min(ours)), float(np.min(paper))) - 2
    hi = max(float(np.max(ours)), float(np.max(paper))) + 5
    ax.plot([lo, hi], [lo, hi], "k:", lw=1, label="ours = paper")
    ax.axhline(clean_ours, color="grey", lw=1, ls="--", label=f"clean gap, ours ({clean_ours:.2f})")
    ax.axvline(clean_paper, color="grey", lw=1, ls="-.", label=f"clean gap, paper ({clean_paper:.2f})")
    ax.set_xlabel("paper: SGD − DP-SGD (points)")
    ax.set_ylabel("ours: SGD − DP-SGD (points)")
    ax.set_title("Accuracy gap per corruption")
    ax.legend(fontsize=7, loc="upper left")
    return fig


def setting_lines(names: Sequence[str], labels: Sequence[str], accuracies: Mapping[str, Sequence[float]],
                  colors: Mapping[str, str] | None = None):
    """Accuracy (%) per corruption for several models (one line each, e.g. the DP settings of Table 2).
    Returns the figure."""
    x = np.arange(len(names))
    fig, ax = plt.subplots(figsize=(max(8, 0.36 * len(names)), 4.0))
    for model, acc in accuracies.items():
        ax.plot(x, acc, marker="o", ms=3, lw=1, label=model, color=(colors or {}).get(model))
    ax.set_xticks(x)
    ax.set_xticklabels(labels, rotation=70, ha="right", fontsize=8)
    ax.set_ylabel("accuracy (%)")
    ax.set_ylim(0, 115)
    ax.set_yticks(range(0, 101, 20))
    ax.legend(fontsize=7, ncol=3, loc="upper center")
    ax.set_title("MNIST-C accuracy of the DP-SGD settings of Table 2")
    return fig
