"""Figures as files: every figure a chapter shows is also written as SVG and PNG under results/<profile>/figures."""

from __future__ import annotations

import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from dprob_utils.book import plots  # noqa: E402

NOTEBOOKS = sorted((Path(__file__).parents[2] / "notebooks").glob("[0-9]*.py"))


def test_save_writes_svg_and_png(tmp_path, monkeypatch):
    monkeypatch.setenv("DPROB_RESULTS", str(tmp_path))
    fig, ax = plt.subplots()
    ax.plot([0, 1], [1, 0])
    paths = plots.save(fig, "smoke", "p1_fig2")
    assert [p.name for p in paths] == ["p1_fig2.svg", "p1_fig2.png"]
    assert paths[0].read_text().lstrip().startswith("<?xml")
    assert paths[1].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(ValueError, match="figure name"):
        plots.save(fig, "smoke", "../escape")
    plt.close(fig)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_shown_figure_is_saved_under_a_name(path):
    text = path.read_text()
    assert "plt.show()" not in text, "use plots.show(profile, name): it writes the figure's files too"
    names = re.findall(r"plots\.show\(profile, f?\"([^\"]+)\"", text)
    assert len(names) == text.count("plots.show("), "every plots.show call names its figure"
