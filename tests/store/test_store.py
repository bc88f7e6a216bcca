"""Stored results: computed once per key, reused after, recomputed when damaged or when the key changes."""

from __future__ import annotations

import numpy as np
import pytest

from dprob_utils.store.core import content_key as result_key
from dprob_utils.store.core import stored


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("DPROB_CACHE", str(tmp_path))
    return tmp_path


def test_computed_once_then_reused(cache):
    calls = []

    def compute():
        calls.append(1)
        return {"a": np.arange(3), "b": 1.5}

    first = stored("x", {"model": "k1", "eps": 0.1}, compute)
    second = stored("x", {"eps": 0.1, "model": "k1"}, compute)  # same parts, other order
    assert len(calls) == 1 and second["b"] == 1.5 and np.array_equal(second["a"], first["a"])
    stored("x", {"model": "k2", "eps": 0.1}, compute)
    assert len(calls) == 2


def test_damaged_entry_is_recomputed(cache):
    parts = {"model": "k"}
    stored("x", parts, lambda: 1)
    path = cache / "results" / "x" / f"{result_key(parts)}.pt"
    path.write_bytes(b"not a torch file")
    assert stored("x", parts, lambda: 2) == 2


@pytest.mark.parametrize("run, name, field", [("pgd.run_pgd", "p1_pgd", "table1"),
                                               ("boundary.run_distances", "p1_distances", "mean_l2"),
                                               ("boundary.run_curvature", "p1_curvature", "largest_ratio_dp_over_sgd"),
                                               ("fgsm.run_fgsm", "p1_fgsm", "fig2")])
def test_paper1_chapters_reuse_their_stored_results(cache, run, name, field):
    import importlib

    module, _, function = run.partition(".")
    fn = getattr(importlib.import_module(f"dprob_utils.experiments.p1_mnist.{module}"), function)
    first = fn("smoke", progress=False)
    assert list((cache / "results" / name).glob("*.pt"))
    second = fn("smoke", progress=False)
    assert second[field] == first[field]


def test_mnistc_table_is_stored_per_models_and_corruptions(cache):
    from dprob_utils.experiments.p1_mnist.mnistc import run_table2

    first = run_table2("smoke", names=("identity", "inverse"), progress=False)
    assert len(list((cache / "results" / "p1_mnistc_accuracy").glob("*.pt"))) == 1
    again = run_table2("smoke", names=("identity", "inverse"), progress=False)
    assert again["accuracy"] == first["accuracy"] and set(first["accuracy"]) == {"identity", "inverse"}
    run_table2("smoke", names=("identity",), progress=False)  # other corruptions: another entry
    assert len(list((cache / "results" / "p1_mnistc_accuracy").glob("*.pt"))) == 2


def test_the_store_never_unpickles(cache, tmp_path):
    """A cache file that carries pickled code is treated as damaged and recomputed, never executed."""
    import pickle

    import torch

    parts = {"model": "evil"}
    path = cache / "results" / "x" / f"{result_key(parts)}.pt"
    path.parent.mkdir(parents=True)
    marker = tmp_path / "ran"

    class Payload:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    torch.save({"a": Payload()}, path, pickle_module=pickle)
    assert stored("x", parts, lambda: {"a": 1}) == {"a": 1}
    assert not marker.exists()


def test_unsupported_values_are_refused_not_silently_recomputed(cache):
    from dataclasses import dataclass

    @dataclass
    class Thing:
        v: int

    with pytest.raises(TypeError, match="the store keeps"):
        stored("x", {"k": 1}, lambda: {"t": Thing(1)})


def test_one_key_recipe_keeps_model_keys():
    """Models' keys are content_key of their canonical config (16 hex digits)."""
    from dprob_utils.config.training import TrainConfig

    cfg = TrainConfig(arch="p2_custom", mode="sgd", sigma=0.0, clip=1.0, lr=0.1, batch_size=64, epochs=1, seed=0)
    assert cfg.key() == result_key(cfg.canonical()) and len(cfg.key()) == 16


def test_no_cache_read_in_the_package_can_unpickle():
    """Every torch.load of the package passes weights_only=True and no np.load allows pickles. (The CIFAR
    "python version" download is a pickle by its authors' design: data/datasets.py reads it, checked by its published MD5.)"""
    import re
    from pathlib import Path

    import dprob_utils

    root = Path(dprob_utils.__file__).parent
    for path in root.rglob("*.py"):
        text = path.read_text()
        for call in re.findall(r"torch\.load\([^)]*\)", text):
            assert "weights_only=True" in call, f"{path.name}: {call}"
        assert "allow_pickle=True" not in text, path.name
        if path.name != "datasets.py":
            assert "pickle.load" not in text, path.name
