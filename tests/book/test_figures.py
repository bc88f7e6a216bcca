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


def test_an_unchanged_figure_is_not_drawn_again(tmp_path, monkeypatch):
    monkeypatch.setenv("DPROB_RESULTS", str(tmp_path))

    def figure(y):
        fig, ax = plt.subplots()
        ax.plot([0, 1], y)
        ax.fill_between([0, 1], 0, y, alpha=0.2)  # clip paths: their ids must not change from run to run
        return fig

    svg, png = plots.save(figure([1, 0]), "smoke", "p1_fig2")
    assert b"<dc:date>" not in svg.read_bytes()
    first = (svg.stat().st_mtime_ns, png.stat().st_mtime_ns, svg.read_bytes(), png.read_bytes())
    plots.save(figure([1, 0]), "smoke", "p1_fig2")  # another figure object with the same content
    assert (svg.stat().st_mtime_ns, png.stat().st_mtime_ns) == first[:2]
    plots.save(figure([0, 1]), "smoke", "p1_fig2")
    assert svg.read_bytes() != first[2] and png.read_bytes() != first[3]
    png.unlink()
    plots.save(figure([0, 1]), "smoke", "p1_fig2")  # a missing PNG is drawn even when the SVG is unchanged
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    plt.close("all")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_shown_figure_is_saved_under_a_name(path):
    text = path.read_text()
    assert "plt.show()" not in text, "use plots.show(profile, name): it writes the figure's files too"
    names = re.findall(r"plots\.show\(profile, f?\"([^\"]+)\"", text)
    assert len(names) == text.count("plots.show("), "every plots.show call names its figure"
