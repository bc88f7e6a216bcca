"""Shared test setup: data from ../shared/data, an isolated cache and results folder per test session."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

os.environ.setdefault("DPROB_PROGRESS", "0")
os.environ.setdefault("PYTHONWARNINGS", "ignore")
warnings.filterwarnings("ignore", message=".*Full backward hook.*")


@pytest.fixture(scope="session", autouse=True)
def _isolated_dirs(tmp_path_factory):
    """Models trained by tests go to a session-wide temporary cache (shared by all tests, so each smoke model
    is trained once); results to a temporary results folder. The decoded-dataset cache is kept in the
    project's cache when it exists, to avoid decoding MNIST for every session."""
    cache = tmp_path_factory.mktemp("cache")
    results = tmp_path_factory.mktemp("results")
    old = {k: os.environ.get(k) for k in ("DPROB_CACHE", "DPROB_RESULTS")}
    os.environ["DPROB_CACHE"] = str(cache)
    os.environ["DPROB_RESULTS"] = str(results)
    yield
    for k, v in old.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


@pytest.fixture(scope="session")
def book_root(tmp_path_factory) -> Path:
    """A copy of the book sources with every notebook executed under smoke into book/chapters/."""
    from dprob_utils.book.runner import run_notebooks
    from dprob_utils.config.paths import project_root

    root = tmp_path_factory.mktemp("book")
    src = project_root()
    for name in ("_config.yml", "_toc.yml"):
        shutil.copy(src / name, root / name)
    shutil.copytree(src / "book", root / "book", ignore=shutil.ignore_patterns("chapters", "_build"))
    run_notebooks(None, "smoke", out_dir=root / "book" / "chapters", progress=False,
                  log_dir=root / "_build" / "logs")
    return root


@pytest.fixture(scope="session")
def built_book(book_root) -> Path:
    """``book_root`` rendered to HTML by jupyter-book, warnings as errors (asserted to succeed)."""
    jb = Path(sys.executable).with_name("jupyter-book")
    out = subprocess.run([str(jb), "build", str(book_root), "--warningiserror", "--keep-going"],
                         capture_output=True, text=True)
    assert out.returncode == 0, (out.stdout + out.stderr)[-3000:]
    return book_root
