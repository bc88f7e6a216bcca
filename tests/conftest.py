"""Shared test setup: data from ../shared/data, an isolated cache and results folder per test session."""

from __future__ import annotations

import os
import warnings

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
