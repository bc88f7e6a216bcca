"""Every chapter notebook executes end to end under papermill with the smoke profile, and the book builds."""

from __future__ import annotations

import json

import nbformat
import pytest

from dprob_utils.book.runner import list_notebooks

NOTEBOOKS = list_notebooks()


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_committed_notebook_has_no_outputs_and_a_parameters_cell(path):
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(not c.outputs and c.execution_count is None for c in code), "commit notebooks without outputs"
    params = [c for c in code if "parameters" in c.metadata.get("tags", [])]
    assert len(params) == 1 and "profile" in params[0].source
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3"


@pytest.mark.slow
def test_every_notebook_runs_under_smoke_without_errors(book_root):
    executed = sorted((book_root / "book" / "chapters").glob("*.ipynb"))
    assert [p.name for p in executed] == [p.name for p in NOTEBOOKS]
    for path in executed:
        nb = nbformat.read(path, as_version=4)
        errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
        assert not errors, f"{path.name}: {errors[0].ename}"
        shown = [c for c in nb.cells if c.cell_type == "code" and "remove-cell" not in c.metadata.get("tags", [])]
        assert "injected-parameters" in shown[0].metadata.get("tags", []), f"{path.name}: default parameters shown"


@pytest.mark.slow
def test_training_notebook_writes_results(book_root):
    from dprob_utils.book.results import load_json

    res = load_json("smoke", "01_training")
    assert res is not None and res["profile"] == "smoke"
    assert len(res["models"]) >= 4 and all(0 <= m["accuracy"] <= 1 for m in res["models"])
    json.dumps(res)


@pytest.mark.slow
def test_book_builds_without_warnings(built_book):
    html = built_book / "_build" / "html"
    assert (html / "book" / "chapters" / "00_overview.html").is_file() and (html / "index.html").is_file()
    for nb in NOTEBOOKS:
        assert (html / "book" / "chapters" / f"{nb.stem}.html").is_file()


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_and_its_percent_script_agree(path):
    """Every chapter is paired with ``notebooks/NN_name.py`` (jupytext percent format): the same cells."""
    jupytext = pytest.importorskip("jupytext")
    script = path.with_suffix(".py")
    assert script.is_file(), f"{script.name} missing: run `jupytext --sync notebooks/*.ipynb`"
    nb = nbformat.read(path, as_version=4)
    paired = jupytext.read(script)
    mine = [(c.cell_type, c.source.strip()) for c in nb.cells]
    theirs = [(c.cell_type, c.source.strip()) for c in paired.cells]
    assert mine == theirs, f"{path.name} and {script.name} differ: run `jupytext --sync notebooks/*.ipynb`"
    assert not any(line.startswith("# %") for c in nb.cells if c.cell_type == "code" for line in c.source.splitlines()), \
        "a code cell holds a jupytext cell marker"
