"""Chapter 99's figure: a forest plot of the interval claims."""

from __future__ import annotations

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

VERDICT_COLORS = {"reproduced": "#2e7d32", "contradicted": "#c62828", "inconclusive": "#f9a825",
                  "not run": "#9e9e9e"}


def forest(rows: list[dict], claims: dict[str, dict], title: str = "") -> Figure | None:
    """One line per interval claim with a single effect: our estimate and 95% interval, coloured by verdict,
    the paper's estimate as a cross, each claim's threshold as a grey bar on its line (a magnitude claim's band
    as a grey span), 0 dotted (effects in their own units).
    ``rows``: ``run_scorecard(...)["claims"]``; ``claims``: the claims of ``claims.yaml`` by id."""
    shown = [r for r in rows if r.get("interval") and r["verdict"] != "not run"]
    if not shown:
        return None
    fig, ax = plt.subplots(figsize=(8, 0.45 * len(shown) + 1.2))
    for i, r in enumerate(shown):
        est, lo, hi = r["interval"]
        ax.errorbar(est, i, xerr=[[est - lo], [hi - est]], fmt="o", color=VERDICT_COLORS[r["verdict"]], capsize=3)
        c = claims[r["id"]]
        if c.get("direction") == "within":
            ax.plot(c["threshold"], [i, i], color="0.75", lw=6, solid_capstyle="butt", zorder=0)
        elif float(c.get("threshold", 0)) != 0:
            ax.plot(float(c["threshold"]), i, "|", color="0.5", ms=14)
        paper = c.get("paper_estimate")
        if paper is not None:
            ax.plot(paper, i, "x", color="k")
    ax.axvline(0, ls=":", color="gray")
    ax.set_yticks(range(len(shown)), [r["id"] for r in shown], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("effect (our estimate, 95% interval; ×: the paper's)")
    ax.set_title(title)
    return fig
