"""Model cache: hits, atomic writes, damaged entries, re-accounting at another delta."""

from __future__ import annotations

import os

import pytest
import torch

from dprob_utils.config import paths
from dprob_utils.config.training import TrainConfig
from dprob_utils.dp.training import TrainResult
from dprob_utils.models.architectures import build_model
from dprob_utils.store import model_cache as C


def _result(cfg):
    priv = {"noise_multiplier": 1.0, "sample_rate": 0.01, "steps": 100, "delta": 1e-5, "epsilon_rdp": 1.0,
            "epsilon_prv": None, "epsilon_eq1": float("inf")}
    return TrainResult(config={"arch": cfg.arch, "mode": cfg.mode, "sigma": 1.0, "clip": 1.0, "epochs": 1},
                       key=cfg.key(), accuracy=0.5, seconds=1.0, train_size=10, steps=100, privacy=priv)


def test_roundtrip_and_listing(tmp_path):
    cache = C.ModelCache(tmp_path)
    cfg = TrainConfig(arch="p2_custom", mode="dpsgd", sigma=1.0)
    model = build_model("p2_custom")
    assert cache.load(cfg) is None
    cache.save(cfg, model, _result(cfg))
    loaded, res = cache.load(cfg)
    assert res.cached and res.accuracy == 0.5 and res.privacy["epsilon_eq1"] == float("inf")
    for a, b in zip(model.parameters(), loaded.parameters(), strict=True):
        assert torch.equal(a, b)
    assert [r.key for r in cache.results()] == [cfg.key()]


def test_interrupted_write_leaves_no_visible_entry(tmp_path, monkeypatch):
    cache = C.ModelCache(tmp_path)
    cfg = TrainConfig(arch="p2_custom", mode="sgd")

    def boom(src, dst):
        raise KeyboardInterrupt("killed between write and rename")

    monkeypatch.setattr(paths.os, "replace", boom)
    with pytest.raises(KeyboardInterrupt):
        cache.save(cfg, build_model("p2_custom"), _result(cfg))
    monkeypatch.undo()
    assert cache.load(cfg) is None
    assert not cache.weights_path(cfg).exists()


def test_truncated_weights_are_treated_as_missing(tmp_path):
    cache = C.ModelCache(tmp_path)
    cfg = TrainConfig(arch="p2_custom", mode="sgd")
    cache.save(cfg, build_model("p2_custom"), _result(cfg))
    path = cache.weights_path(cfg)
    path.write_bytes(path.read_bytes()[:100])
    assert cache.load(cfg) is None


def test_train_or_load_hits_cache_and_reaccounts_delta(tmp_path, monkeypatch):
    cache = C.ModelCache(tmp_path)
    cfg = TrainConfig(arch="p2_custom", mode="dpsgd", sigma=1.0, epochs=1, train_subset=200, batch_size=50)
    calls = []
    real_train = C.train

    def counting_train(*a, **k):
        calls.append(1)
        return real_train(*a, **k)

    monkeypatch.setattr(C, "train", counting_train)
    m1, r1 = C.train_or_load(cfg, cache=cache, progress=False)
    m2, r2 = C.train_or_load(cfg, cache=cache, progress=False, delta=1e-3)
    assert len(calls) == 1 and not r1.cached and r2.cached
    assert r2.privacy["delta"] == 1e-3 and r2.privacy["epsilon_rdp"] < r1.privacy["epsilon_rdp"]
    for a, b in zip(m1.parameters(), m2.parameters(), strict=True):
        assert torch.equal(a, b)


def test_same_seed_gives_identical_model(tmp_path):
    cfg = TrainConfig(arch="p2_custom", mode="dpsgd", sigma=1.0, epochs=1, train_subset=200, batch_size=50)
    m1, _ = C.train_or_load(cfg, cache=C.ModelCache(tmp_path / "a"), progress=False)
    m2, _ = C.train_or_load(cfg, cache=C.ModelCache(tmp_path / "b"), progress=False)
    for a, b in zip(m1.parameters(), m2.parameters(), strict=True):
        assert torch.equal(a, b)
    assert os.listdir(tmp_path / "a" / "p2_custom") == os.listdir(tmp_path / "b" / "p2_custom")


def test_a_model_stored_under_two_configs_reports_the_one_asked_for(tmp_path, monkeypatch):
    cache = C.ModelCache(tmp_path)
    fixed = TrainConfig(arch="p2_custom", mode="dpsgd-fixed-noise", sigma=1.3, clip=1.0, epochs=1,
                        train_subset=200, batch_size=50)
    dp = TrainConfig(arch="p2_custom", mode="dpsgd", sigma=1.3, clip=1.0, epochs=1, train_subset=200, batch_size=50)
    _, r1 = C.train_or_load(fixed, cache=cache, progress=False)
    monkeypatch.setattr(C, "train", lambda *a, **k: pytest.fail("trained again"))
    _, r2 = C.train_or_load(dp, cache=cache, progress=False)
    assert r2.cached and r2.key == r1.key
    assert r1.summary()["mode"] == "dpsgd-fixed-noise" and r2.summary()["mode"] == "dpsgd"
    assert C.train_or_load(fixed, cache=cache, progress=False)[1].summary()["mode"] == "dpsgd-fixed-noise"
