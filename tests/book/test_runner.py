"""Notebook execution order, side-by-side execution and its failure reporting."""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest

from dprob_utils.book.runner import run_notebooks, stages
from dprob_utils.config.errors import DprobError
from dprob_utils.config.profiles import get_profile


def test_stages_train_first_then_chapters_then_summaries():
    names = ["99_scorecard", "05_b", "00_overview", "02_a", "01_training", "90_explorer"]
    got = [[p.name for p in stage] for stage in stages([Path(f"{n}.ipynb") for n in names])]
    assert got == [["01_training.ipynb"], ["02_a.ipynb", "05_b.ipynb", "90_explorer.ipynb"],
                   ["00_overview.ipynb", "99_scorecard.ipynb"]]


def test_with_every_model_cached_the_training_chapter_runs_beside_the_others(tmp_path, monkeypatch):
    from dprob_utils.book.runner import zoo_cached
    from dprob_utils.models import zoo
    from dprob_utils.store.model_cache import ModelCache

    names = ["99_scorecard", "02_a", "00_overview", "01_training"]
    got = [[p.name for p in stage] for stage in stages([Path(f"{n}.ipynb") for n in names], models_cached=True)]
    assert got == [["01_training.ipynb", "02_a.ipynb"], ["00_overview.ipynb", "99_scorecard.ipynb"]]
    monkeypatch.setenv("DPROB_CACHE", str(tmp_path))
    assert not zoo_cached("smoke")
    cached = {s.config.key() for s in zoo.training_specs(get_profile("smoke"))}
    missing = sorted(cached)[0]
    monkeypatch.setattr(ModelCache, "__contains__", lambda self, cfg: cfg.key() in cached - {missing})
    assert not zoo_cached("smoke")  # one model short: the others wait for the training chapter
    monkeypatch.setattr(ModelCache, "__contains__", lambda self, cfg: cfg.key() in cached)
    assert zoo_cached("smoke")


def _notebook(path: Path, code: str) -> Path:
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell('profile = "quick"')
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell(code)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path


@pytest.mark.slow
def test_side_by_side_runs_each_notebook_once_and_names_the_failing_one(tmp_path):
    src, out = tmp_path / "src", tmp_path / "out"
    src.mkdir()
    good = [_notebook(src / f"0{i}_ok.ipynb", f"import os\nopen('{tmp_path}/ran_{i}', 'w').write(os.environ"
                      "['OMP_NUM_THREADS'] + profile)") for i in (2, 3)]
    timings = run_notebooks([str(p) for p in good], "smoke", out_dir=out, progress=False, jobs=2)
    assert [t["notebook"] for t in timings] == ["02_ok", "03_ok"]
    threads = str(max(1, (os.cpu_count() or 1) // 2))
    assert sorted(p.read_text() for p in tmp_path.glob("ran_*")) == [threads + "smoke"] * 2
    assert all((out / p.name).is_file() for p in good)
    bad = _notebook(src / "04_bad.ipynb", "raise ValueError('boom')")
    with pytest.raises(DprobError, match=r"04_bad\.ipynb failed .*ValueError: boom"):
        run_notebooks([str(good[0]), str(bad)], "smoke", out_dir=out, progress=False, jobs=2)


def test_book_runs_are_logged_side_by_side(tmp_path, monkeypatch):
    import json

    from dprob_utils.cli.main import _log_book_run

    monkeypatch.setenv("DPROB_RESULTS", str(tmp_path))
    timings = [{"notebook": "01_training", "seconds": 900.0}, {"notebook": "02_p1_fgsm", "seconds": 50.0}]
    _log_book_run("smoke", timings, 950.0, 4.0, trained=28, jobs=None)
    _log_book_run("smoke", [{"notebook": "01_training", "seconds": 8.0}], 9.0, 3.0, trained=0, jobs=1)
    runs = [json.loads(line) for line in (tmp_path / "smoke" / "book_runs.jsonl").read_text().splitlines()]
    assert [r["models_trained"] for r in runs] == [28, 0]
    assert runs[0]["total_s"] == 954.0 and runs[0]["notebooks_s"]["02_p1_fgsm"] == 50.0
    assert runs[1]["jobs"] == 1


def test_side_by_side_order_uses_the_longest_recorded_time(tmp_path, monkeypatch):
    from dprob_utils.book.runner import _longest_timings, _write_timings
    from dprob_utils.cli.main import _log_book_run

    monkeypatch.setenv("DPROB_RESULTS", str(tmp_path))
    _log_book_run("smoke", [{"notebook": "03_p1_pgd", "seconds": 550.0}, {"notebook": "90_explorer", "seconds": 80.0}],
                  630.0, 4.0, trained=28, jobs=2)
    (tmp_path / "smoke" / "book_runs.jsonl").open("a").write("{damaged\n")
    _write_timings("smoke", [{"notebook": "03_p1_pgd", "seconds": 7.0}, {"notebook": "90_explorer", "seconds": 39.0}])
    from dprob_utils.chapters import chapter

    longest = _longest_timings("smoke")
    assert (longest["03_p1_pgd"], longest["90_explorer"]) == (550.0, 80.0)
    assert longest["09_p2_cw_boundary"] == chapter("09_p2_cw_boundary").cost  # never recorded: the cold default


def test_a_first_build_starts_the_longest_cold_chapter_first(tmp_path, monkeypatch):
    from dprob_utils.book.runner import _longest_timings

    monkeypatch.setenv("DPROB_RESULTS", str(tmp_path))
    longest = _longest_timings("quick")
    assert max(longest, key=longest.get) == "09_p2_cw_boundary"


@pytest.mark.slow
def test_progress_lines_in_the_terminal_kernel_messages_in_the_chapter_log(tmp_path, capfd, monkeypatch):
    import dprob_utils.book.runner as runner

    src, out, logs = tmp_path / "src", tmp_path / "out", tmp_path / "logs"
    src.mkdir()
    code = ("import time\nfrom dprob_utils.config import status\nprint('cell output here')\n"
            "status.report('models', done=1, total=4, start=time.time() - 10)\n"
            "status.report('experiment', name='p1_pgd')\ntime.sleep(1.5)")
    nb = _notebook(src / "02_chapter.ipynb", code)
    monkeypatch.setattr(runner, "PROGRESS_INTERVAL_S", (0.2, 0.2))
    run_notebooks([str(nb)], "smoke", out_dir=out, progress=True, jobs=1, log_dir=logs)
    err = capfd.readouterr().err
    assert "without encryption" not in err
    assert f"logs in {logs}" in err
    assert "02_chapter" in err and "models 1/4 (~" in err
    assert "[1/1] 02_chapter (profile smoke) done" in err
    log = (logs / "02_chapter.log").read_text()
    assert "cell output here" in log


def test_the_ray_precomputes_come_from_the_registry():
    from dprob_utils.book.runner import _precomputes

    stage = [Path(f"{n}.ipynb") for n in ("02_p1_fgsm", "08_p2_pgd", "09_p2_cw_boundary", "12_privacy", "x_mine")]
    assert _precomputes(stage) == {"experiments.p2.runs.precompute_attacks": ["08_p2_pgd", "09_p2_cw_boundary"],
                                   "experiments.privacy.precompute_privacy": ["12_privacy"]}


@pytest.mark.slow
def test_a_chapter_run_alone_then_the_landing_page(tmp_path, monkeypatch):
    """``dprob run <chapter>`` writes notebook_timings.json (with its provenance); the landing page, run after it,
    sums the chapters' times without the provenance."""
    from dprob_utils.book.results import load_json
    from dprob_utils.book.runner import chapter_timings

    monkeypatch.setenv("DPROB_RESULTS", str(tmp_path / "results"))
    out, logs = tmp_path / "out", tmp_path / "logs"
    run_notebooks(["98_settings"], "smoke", out_dir=out, progress=False, log_dir=logs)
    assert "provenance" in load_json("smoke", "notebook_timings")
    assert set(chapter_timings("smoke")) == {"98_settings"}
    run_notebooks(["00_overview"], "smoke", out_dir=out, progress=False, log_dir=logs)
    page = nbformat.read(out / "00_overview.ipynb", as_version=4)
    text = "".join(str(o.get("data", {}).get("text/markdown", "")) for c in page.cells for o in c.get("outputs", []))
    assert "Last `dprob run` times:" in text
