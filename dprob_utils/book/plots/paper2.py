"""Figures of the paper 2 chapter (notebooks 08-11): success curves, transfer heat maps, galleries and
gradient statistics. Every function draws on axes it is given (or makes a figure) and returns the figure."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch

from dprob_utils.book.plots import SGD_COLOR

_LINESTYLES = ("-", "--", ":", "-.")


def model_colors(labels: Sequence[str]) -> dict[str, object]:
    """SGD (and baselines ``bs*``) in the book's SGD colour, every other label a colour of ``viridis``."""
    others = [lab for lab in labels if not (lab.startswith("SGD") or lab.startswith("bs"))]
    cmap = plt.get_cmap("viridis")
    cols = {lab: cmap(i / max(len(others) - 1, 1) * 0.9) for i, lab in enumerate(others)}
    for lab in labels:
        if lab not in cols:
            cols[lab] = SGD_COLOR if lab.startswith("SGD") or lab.startswith("bs1") else "#444444"
    return cols


def success_curves(ax, x: Sequence[float], curves: Mapping[str, Sequence[float]], *, xlabel: str,
                   title: str = "", ylabel: str = "success rate (%)", logx: bool = False):
    """One line per model: success (fractions in [0, 1], drawn in %) against ``x``."""
    cols = model_colors(list(curves))
    for i, (lab, ys) in enumerate(curves.items()):
        sgd = lab.startswith("SGD") or lab.startswith("bs")
        ax.plot(x, [100 * v for v in ys], marker="o", ms=3, lw=2.2 if sgd else 1.4, color=cols[lab],
                ls="-" if sgd else _LINESTYLES[i % len(_LINESTYLES)], label=lab)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_ylim(-3, 103)
    if logx:
        from matplotlib.ticker import NullFormatter, ScalarFormatter

        ax.set_xscale("log")
        ax.set_xticks(list(x))
        ax.xaxis.set_major_formatter(ScalarFormatter())
        ax.xaxis.set_minor_formatter(NullFormatter())
    if title:
        ax.set_title(title, fontsize=10)
    ax.legend(fontsize=7, loc="best")
    return ax.figure


def curve_panels(x: Sequence[float], panels: Mapping[str, Mapping[str, Sequence[float]]], *, xlabel: str,
                 suptitle: str = "", logx: bool = False):
    """A row of :func:`success_curves` panels (e.g. one per architecture, or σ = 1.3 / other σ)."""
    fig, axes = plt.subplots(1, len(panels), figsize=(4.6 * len(panels), 3.6), squeeze=False)
    for ax, (title, curves) in zip(axes[0], panels.items(), strict=True):
        success_curves(ax, x, curves, xlabel=xlabel, title=title, logx=logx)
    if suptitle:
        fig.suptitle(suptitle)
    return fig


def transfer_heatmap(ax, rate: torch.Tensor | np.ndarray, rows: Sequence[str], cols: Sequence[str],
                     title: str = ""):
    """Transfer success in % (rows: crafted on, columns: evaluated on), annotated."""
    r = np.asarray(rate, dtype=float) * 100
    im = ax.imshow(r, vmin=0, vmax=100, cmap="magma")
    ax.set_xticks(range(len(cols)), cols, rotation=45, ha="right", fontsize=7)
    ax.set_yticks(range(len(rows)), rows, fontsize=7)
    ax.set_xlabel("evaluated on")
    ax.set_ylabel("crafted on")
    ax.grid(False)
    for i in range(r.shape[0]):
        for j in range(r.shape[1]):
            if np.isfinite(r[i, j]):
                ax.text(j, i, f"{r[i, j]:.0f}", ha="center", va="center", fontsize=7,
                        color="black" if r[i, j] > 60 else "white")
    if title:
        ax.set_title(title, fontsize=10)
    ax.figure.colorbar(im, ax=ax, fraction=0.046, pad=0.04, label="success (%)")
    return ax.figure


def gallery(images: Mapping[str, Mapping[str, torch.Tensor]], captions: Mapping[str, Mapping[str, str]]
            | None = None, title: str = ""):
    """Grid of images: rows are attacks (outer keys), columns models (inner keys); images ``[1, H, W]``."""
    rows = list(images)
    cols = list(dict.fromkeys(c for r in rows for c in images[r]))
    fig, axes = plt.subplots(len(rows), len(cols), figsize=(1.9 * len(cols), 2.1 * len(rows)), squeeze=False)
    for i, r in enumerate(rows):
        for j, c in enumerate(cols):
            ax = axes[i][j]
            ax.axis("off")
            img = images[r].get(c)
            if img is None:
                continue
            ax.imshow(img.squeeze().numpy(), cmap="gray", vmin=0, vmax=1)
            cap = (captions or {}).get(r, {}).get(c, "")
            ax.set_title(f"{c}\n{cap}" if i == 0 else cap, fontsize=7)
        axes[i][0].text(-0.15, 0.5, r, transform=axes[i][0].transAxes, rotation=90, va="center", ha="right",
                        fontsize=9)
    if title:
        fig.suptitle(title)
    return fig


def gradient_histograms(values: Mapping[str, torch.Tensor], *, title: str = "", ncols: int = 3, bins: int = 80):
    """One histogram (log counts) of gradient values per model, each with its own x range (Figs. 5, 10)."""
    labels = list(values)
    nrows = int(np.ceil(len(labels) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.6 * ncols, 2.6 * nrows), squeeze=False)
    cols = model_colors(labels)
    for ax, lab in zip(axes.flat, labels, strict=False):
        v = values[lab].flatten().numpy()
        ax.hist(v, bins=bins, color=cols[lab], log=True)
        ax.set_title(f"{lab}\nrange [{v.min():.3g}, {v.max():.3g}]", fontsize=8)
        ax.set_xlabel("gradient value", fontsize=8)
    for ax in list(axes.flat)[len(labels):]:
        ax.axis("off")
    if title:
        fig.suptitle(title)
    return fig


def zero_gradient_bars(ax, zero_pct: Mapping[str, Mapping[str, float]], title: str = ""):
    """Grouped bars: per layer (x), the percentage of exactly-zero gradients of each model (Figs. 6, 9)."""
    models = list(zero_pct)
    layers = list(dict.fromkeys(layer for m in models for layer in zero_pct[m]))
    cols = model_colors(models)
    width = 0.8 / max(len(models), 1)
    for i, m in enumerate(models):
        ax.bar(np.arange(len(layers)) + i * width - 0.4 + width / 2,
               [zero_pct[m].get(layer, np.nan) for layer in layers], width, color=cols[m], label=m)
    ax.set_xticks(range(len(layers)), layers)
    ax.set_ylabel("zero gradients (%)")
    ax.legend(fontsize=7)
    if title:
        ax.set_title(title, fontsize=10)
    return ax.figure
