"""Chapter 01's figure: every model's clean test accuracy."""

from __future__ import annotations

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from dprob_utils.book.plots import DP_COLOR, SGD_COLOR


def accuracy_bars(models: list[dict]) -> Figure:
    """Two panels of horizontal bars (test accuracy in %): paper 1's MNIST CNN models, then paper 2's.
    ``models``: the rows of ``run_training(...)["models"]`` (``group``, ``arch``, ``label``, ``mode``,
    ``accuracy`` in [0, 1])."""
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.2))
    panels = (("paper 1 MNIST CNN", [m for m in models if m["group"].startswith("paper1")], False),
              ("paper 2 models", [m for m in models if not m["group"].startswith("paper1")], True))
    for ax, (title, sub, with_arch) in zip(axes, panels):
        acc = [100 * m["accuracy"] for m in sub]
        ax.barh(range(len(sub)), acc, color=[SGD_COLOR if m["mode"] == "sgd" else DP_COLOR for m in sub])
        ax.set_yticks(range(len(sub)), [f"{m['arch'].replace('p2_', '')} {m['label']}" if with_arch else m["label"]
                                        for m in sub], fontsize=8)
        ax.set_xlim(max(0, min(acc, default=0) - 5), 100)
        ax.set_xlabel("test accuracy (%)")
        ax.set_title(title)
        ax.invert_yaxis()
    return fig
