"""Chapters that read as documents: a short profile line linking to the settings page, the settings page's
full table, code inputs hidden behind a toggle, findings in words linked to the scorecard rows."""

from __future__ import annotations

from pathlib import Path

import nbformat

from dprob_utils.book import report, scorecard
from dprob_utils.book.runner import tag_cells

NOTEBOOKS = Path(__file__).parents[2] / "notebooks"


def test_profile_line_is_short_and_links_to_the_settings_page():
    line = report.profile_line("quick")
    assert "\n" not in line and f"({report.SETTINGS_PAGE}.html)" in line
    assert "differences from the papers' settings" in line
    assert "settings page" not in report.profile_line("paper")


def test_settings_frame_lists_every_setting_and_marks_the_differences():
    frame = report.settings_frame("quick")
    assert {"paper", "quick", "differs"} <= set(frame.columns)
    assert frame.loc["p1_train.lr", "differs"] and frame.loc["p1_train.lr", "paper"] == "0.05"
    assert not report.settings_frame("paper")["differs"].any()
    assert "p2_attacks.cw_steps" in frame.index


def test_code_inputs_are_hidden_and_the_default_parameters_removed(tmp_path):
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell('profile = "quick"')
    params.metadata["tags"] = ["parameters"]
    shown = nbformat.v4.new_code_cell("1 + 1")
    shown.outputs = [nbformat.v4.new_output("execute_result", {"text/plain": "2"}, execution_count=1)]
    injected = nbformat.v4.new_code_cell('profile = "smoke"')
    injected.metadata["tags"] = ["injected-parameters"]
    nb.cells = [nbformat.v4.new_markdown_cell("# t"), params, injected, shown, nbformat.v4.new_code_cell("import os")]
    path = tmp_path / "n.ipynb"
    nbformat.write(nb, path)
    tag_cells(path)
    cells = nbformat.read(path, as_version=4).cells
    assert "tags" not in cells[0].metadata
    assert cells[1].metadata["tags"] == ["parameters", "remove-cell"]
    assert cells[2].metadata["tags"] == ["injected-parameters", "hide-input"]
    assert cells[3].metadata["tags"] == ["hide-input"]
    assert cells[4].metadata["tags"] == ["remove-cell"]


def test_every_chapter_ends_with_its_findings_and_no_chapter_lists_the_whole_profile():
    for path in sorted(NOTEBOOKS.glob("[01][0-9]_*.py")):
        text = path.read_text()
        if path.stem != "00_overview":
            assert f'scorecard.findings_markdown(profile, "{path.stem}")' in text, path.stem
        assert "profile_markdown" not in text, f"{path.stem}: the profile's full notes live on the settings page"


def test_findings_link_each_claim_to_its_scorecard_row():
    text = scorecard.findings_markdown("smoke", "02_p1_fgsm")
    ids = [c["id"] for c in scorecard.load_claims() if scorecard.claim_chapter(c) == "02_p1_fgsm"]
    assert ids and all(f"(99_scorecard.html#{i})" in text for i in ids)
    assert "feed no claim" in scorecard.findings_markdown("smoke", "90_explorer")


def test_the_landing_page_words_name_what_holds_and_what_does_not():
    v = scorecard.Verdict(id="p1-fgsm-gap", paper=1, where="", claim="", paper_value="", rule="", ours="",
                          verdict="reproduced")
    w = scorecard.Verdict(id="p1-fig7-plateau", paper=1, where="", claim="", paper_value="", rule="", ours="",
                          verdict="contradicted")
    text = scorecard.in_words([v, w])
    assert "Holds: the FGSM gap (Fig. 2) (1 of 1 reproduced)" in text
    assert "Does not hold: the large-C plateau (Fig. 7) (0 of 1 reproduced, 1 not)" in text
