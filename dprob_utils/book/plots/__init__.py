"""Plotting: a shared style so every figure of the book reads the same. Chapter plots live in submodules."""

from __future__ import annotations

import re
from pathlib import Path

import matplotlib

SGD_COLOR = "#1f77b4"
DP_COLOR = "#d62728"


def setup() -> None:
    """A readable default style (larger fonts, grid, tight layout)."""
    matplotlib.rcParams.update({
        "figure.dpi": 110, "savefig.dpi": 110, "font.size": 10, "axes.grid": True, "grid.alpha": 0.3,
        "axes.spines.top": False, "axes.spines.right": False, "figure.autolayout": True,
    })


FIGURE_FORMATS = ("svg", "png")


def save(fig, profile: str, name: str) -> list[Path]:
    """Write ``fig`` as ``results/<profile>/figures/<name>.svg`` and ``.png`` (200 dpi), named after the paper's
    figure or table it shows (``p1_fig3``, ``p2_table3``), so that a reader can put it in a paper. The SVG is
    reproducible (no date, ids from a fixed salt); where it equals the file already there and the PNG exists, the
    PNG is not drawn again (a warm run redraws only the figures whose content changed)."""
    import io

    from dprob_utils.config.paths import atomic_write_bytes, results_dir

    if not re.fullmatch(r"[A-Za-z0-9_.-]+", name):
        raise ValueError(f"figure name must be letters, digits, '_', '.', '-': {name!r}")
    out = results_dir(profile) / "figures"
    out.mkdir(parents=True, exist_ok=True)
    svg_path, png_path = (out / f"{name}.{ext}" for ext in FIGURE_FORMATS)
    buf = io.BytesIO()
    with matplotlib.rc_context({"svg.hashsalt": "dprob"}):
        fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
    svg = buf.getvalue()
    if not (png_path.is_file() and svg_path.is_file() and svg_path.read_bytes() == svg):
        fig.savefig(png_path, dpi=200, bbox_inches="tight")
        atomic_write_bytes(svg_path, svg)
    return [svg_path, png_path]


def show(profile: str, name: str, fig=None) -> None:
    """:func:`save` the current figure (or ``fig``), then show it in the notebook and close it."""
    import matplotlib.pyplot as plt

    fig = fig or plt.gcf()
    save(fig, profile, name)
    plt.show()
    plt.close(fig)
