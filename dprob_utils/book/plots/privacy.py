"""Chapter 12's figures: privacy leakage against robustness lost, the audited ε beside the accountant's, and the
attacks compared on the audited settings."""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from dprob_utils.book.plots import DP_COLOR, SGD_COLOR

ATTACKS = {"loss threshold": lambda m: m["auc"], "LiRA offline, SGD references": lambda m: m["lira_sgd_refs"]["auc"]}


def leakage_vs_robustness(models: dict[str, dict]) -> Figure:
    """Per paper (columns) and attack (rows: the loss threshold, LiRA offline calibrated by the architecture's SGD
    references), one point per model: FGSM accuracy lost against the SGD model of its architecture and seed (x,
    points) and the membership-inference AUC with its 95% interval (y). ``models``: ``run_privacy(...)["models"]``."""
    fig, axes = plt.subplots(2, 2, figsize=(12, 8), sharex="col", squeeze=False)
    panels = (("paper 1 MNIST CNN", lambda m: m["group"].startswith("paper1")),
              ("paper 2 (LeNet ○, custom CNN △)", lambda m: not m["group"].startswith("paper1")))
    for row, (attack, of) in zip(axes, ATTACKS.items()):
        for ax, (title, keep) in zip(row, panels):
            for m in (m for m in models.values() if keep(m) and m["fgsm_lost"] is not None):
                a = of(m)
                ax.errorbar(100 * m["fgsm_lost"], a["estimate"],
                            yerr=[[a["estimate"] - a["low"]], [a["high"] - a["estimate"]]],
                            fmt="^" if m["arch"] == "p2_custom" else "o",
                            color=SGD_COLOR if m["mode"] == "sgd" else DP_COLOR, alpha=0.8, capsize=2)
            ax.axhline(0.5, color="grey", lw=1, ls="--")
            ax.set_ylabel(f"membership AUC ({attack})")
            ax.set_title(title, fontsize=10)
    for ax in axes[-1]:
        ax.set_xlabel("FGSM accuracy lost against SGD (points)")
    return fig


def attacks_compared(rows: list[dict]) -> Figure:
    """Per audited setting (x), the AUC with its 95% interval of each attack on natural points and on canaries.
    ``rows``: ``{"setting", "loss", "lira", "canary loss", "canary LiRA"}`` with interval dicts (or None)."""
    series = ("loss", "lira", "canary loss", "canary LiRA")
    colors = (SGD_COLOR, DP_COLOR, "#999999", "#444444")
    fig, ax = plt.subplots(figsize=(9, 3.8))
    width = 0.8 / len(series)
    for i, (name, color) in enumerate(zip(series, colors)):
        for x, r in enumerate(rows):
            a = r.get(name)
            if a is None:
                continue
            ax.errorbar(x + (i - 1.5) * width, a["estimate"], yerr=[[a["estimate"] - a["low"]], [a["high"] - a["estimate"]]],
                        fmt="os^v"[i], color=color, capsize=2, label=name if x == 0 else None)
    ax.axhline(0.5, color="grey", lw=1, ls="--")
    ax.set_xticks(range(len(rows)), [r["setting"] for r in rows], rotation=15, fontsize=8)
    ax.set_ylabel("membership inference AUC")
    ax.legend(fontsize=8, ncol=4)
    return fig


def audit_bars(audits: dict[str, dict]) -> Figure:
    """Per audited setting, the accountant's ε (upper bound; none for SGD) and the audited lower bound."""
    names = list(audits)
    fig, ax = plt.subplots(figsize=(8, 3.6))
    xs = range(len(names))
    upper = [a["epsilon_accountant"] if a["epsilon_accountant"] is not None else math.nan for a in audits.values()]
    lower = [a["epsilon_lb"] for a in audits.values()]
    ax.bar([x - 0.2 for x in xs], upper, width=0.4, color=DP_COLOR, label="accountant ε (upper bound)")
    ax.bar([x + 0.2 for x in xs], lower, width=0.4, color=SGD_COLOR, label="audited ε (95% lower bound)")
    ax.set_xticks(list(xs), names, rotation=15, fontsize=8)
    ax.set_ylabel("ε")
    ax.legend(fontsize=8)
    return fig
