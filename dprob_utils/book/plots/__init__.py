"""Plotting: a shared style so every figure of the book reads the same. Chapter plots live in submodules."""

from __future__ import annotations

import matplotlib

SGD_COLOR = "#1f77b4"
DP_COLOR = "#d62728"


def setup() -> None:
    """A readable default style (larger fonts, grid, tight layout)."""
    matplotlib.rcParams.update({
        "figure.dpi": 110, "savefig.dpi": 110, "font.size": 10, "axes.grid": True, "grid.alpha": 0.3,
        "axes.spines.top": False, "axes.spines.right": False, "figure.autolayout": True,
    })
