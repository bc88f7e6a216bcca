"""Figures of paper 1 sections 3.1-3.4 on MNIST (Figs. 1-5 and 7), drawn from the dicts of
:mod:`dprob_utils.experiments.p1_mnist`."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import ListedColormap

from dprob_utils.book.plots import DP_COLOR, SGD_COLOR

CORRECT_COLOR = "#2ca02c"
# incorrect classes: distinct warm/purple shades, so that different wrong classes stay distinguishable
WRONG_COLORS = ["#d62728", "#ff7f0e", "#8c564b", "#e377c2", "#9467bd", "#bcbd22", "#ff9896", "#c49c94",
                "#f7b6d2", "#dbdb8d"]


def fgsm_panel(ax, res: dict, keys: list[str], var: str | None, title: str) -> None:
    """Accuracy under FGSM against ε: SGD (blue) and the given DP models (reds, darker = larger parameter)."""
    eps = res["eps"]
    ax.plot(eps, res["models"][res["sgd_key"]]["accuracy"], "o-", color=SGD_COLOR, label="SGD", lw=2)
    cmap = plt.get_cmap("Reds")
    for i, key in enumerate(keys):
        m = res["models"][key]
        shade = cmap(0.45 + 0.55 * (i + 1) / max(len(keys), 1))
        lab = m["label"] if var is None else f"{'σ' if var == 'sigma' else 'C'} = {m[var]:g}"
        ax.plot(eps, m["accuracy"], "s-", color=DP_COLOR if len(keys) == 1 else shade, label=lab, ms=4)
    ax.set_xlabel("ε (L∞ of the FGSM perturbation)")
    ax.set_ylabel("test accuracy (%)")
    ax.set_ylim(0, 100)
    ax.set_title(title)
    ax.legend(fontsize=8)


def pgd_iterations(axes, res: dict, eps: float) -> None:
    """Fig. 4 for one ε: per step size α, histograms of the iteration at which each sample is first fooled,
    SGD vs DP-SGD; samples never fooled are given in the legend, not dropped."""
    rows = [r for r in res["fig4"] if r["eps"] == eps]
    for ax, r in zip(np.atleast_1d(axes), rows):
        t = np.arange(1, r["max_iters"] + 1)
        for name, color, lab in (("sgd", SGD_COLOR, "SGD"), ("dpsgd", DP_COLOR, "DP-SGD")):
            s = r[name]
            ax.step(t, s["histogram"], where="mid", color=color,
                    label=f"{lab}: mean {s['mean_iterations'] or float('nan'):.1f}, never {s['never_fooled']}")
        ax.set_title(f"ε = {eps:g}, α = {r['alpha']:g}")
        ax.set_xlabel("PGD iterations to reach another class")
        ax.set_ylabel("samples")
        ax.legend(fontsize=7)


def distance_hist(ax, res: dict, norm: str, bins: int = 40) -> None:
    """Fig. 5a / 5b: histograms of eq. (6) (``linf``) or eq. (5) (``l2``) distances, SGD vs DP-SGD."""
    d_s, d_d = res["models"]["sgd"][f"_{norm}"], res["models"]["dpsgd"][f"_{norm}"]
    both = np.concatenate([d_s[np.isfinite(d_s)], d_d[np.isfinite(d_d)]])
    hi = np.quantile(both, 0.995) if len(both) else 1.0
    edges = np.linspace(0, hi, bins + 1)
    for d, color, lab in ((d_s, SGD_COLOR, "SGD"), (d_d, DP_COLOR, "DP-SGD")):
        ax.hist(d[np.isfinite(d)], bins=edges, alpha=0.5, color=color, label=f"{lab} (mean {np.nanmean(d):.3f})")
    ax.set_xlabel(f"linearised {'L∞' if norm == 'linf' else 'L2'} distance to the closest boundary")
    ax.set_ylabel("correctly classified test samples")
    ax.legend(fontsize=8)


def deepfool_scatter(ax, res: dict, norm: str) -> None:
    """DeepFool's minimal perturbation against the one-step linearised distance, per sample."""
    for name, color, lab in (("sgd", SGD_COLOR, "SGD"), ("dpsgd", DP_COLOR, "DP-SGD")):
        df = res["models"][name]["deepfool"][norm]
        ok = np.isfinite(df["_sizes"])
        ax.scatter(df["_linearised"][ok], df["_sizes"][ok], s=6, alpha=0.5, color=color, label=lab)
    lim = ax.get_xlim()[1]
    ax.plot([0, lim], [0, lim], "k--", lw=0.8, label="y = x")
    ax.set_xlabel(f"eq. ({'6' if norm == 'linf' else '5'}) distance")
    ax.set_ylabel(f"DeepFool {'L∞' if norm == 'linf' else 'L2'} perturbation")
    ax.legend(fontsize=8)


def curvature_profile(ax, res: dict) -> None:
    """Fig. 5c: mean magnitude of the largest eigenvalues of the input Hessian, log scale."""
    for name, color, lab in (("sgd", SGD_COLOR, "SGD"), ("dpsgd", DP_COLOR, "DP-SGD")):
        prof = res["models"][name]["mean_profile"]
        ax.semilogy(np.arange(1, len(prof) + 1), prof, "o-", color=color, label=lab)
    ax.set_xlabel("eigenvalue rank (by magnitude)")
    ax.set_ylabel("mean |eigenvalue| of the input Hessian")
    ax.legend(fontsize=8)


def cross_section(ax, cs, title: str = "") -> None:
    """Fig. 1: the correct class in green, every other class in its own warm shade, the sample at the centre."""
    classes = cs.classes.numpy()
    wrong = [c for c in range(10) if c != cs.label]
    colors = [CORRECT_COLOR if c == cs.label else WRONG_COLORS[wrong.index(c)] for c in range(10)]
    a, b = cs.a.numpy(), cs.b.numpy()
    ax.imshow(classes, origin="lower", extent=(a[0], a[-1], b[0], b[-1]), cmap=ListedColormap(colors),
              vmin=-0.5, vmax=9.5, interpolation="nearest", aspect="equal")
    ax.plot([0], [0], "ko", ms=4)
    ax.set_title(title, fontsize=9)
    ax.set_xlabel("random orthogonal direction")
    ax.set_ylabel("normal to the boundary")
    ax.grid(False)
