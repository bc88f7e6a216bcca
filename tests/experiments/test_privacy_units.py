"""Chapter 12's extra trainings (:mod:`dprob_utils.experiments.privacy`): LiRA's reference models are trained like
their setting on data without any candidate, and every audit and reference training is a unit the chapter reads."""

from __future__ import annotations

from dataclasses import asdict

import torch

from dprob_utils.config.profiles import get_profile
from dprob_utils.data.datasets import load_dataset
from dprob_utils.experiments import privacy


def test_reference_models_differ_from_their_setting_only_in_the_seed():
    prof = get_profile("smoke")
    seeds = set()
    for name, cfg in privacy.reference_configs(prof).items():
        for k in range(prof.privacy.references):
            ref = privacy.reference_config(prof, cfg, k)
            diff = {f for f, v in asdict(ref).items() if asdict(cfg)[f] != v}
            assert diff == {"seed"}, name
            seeds.add(ref.seed)
    assert seeds.isdisjoint(range(prof.seed, prof.seed + prof.headline_seeds + 10))  # no model of the book's seed


def test_reference_training_set_holds_no_candidate():
    prof = get_profile("smoke")
    cfg = privacy.reference_configs(prof)["p1:dp"]
    x, y = privacy.reference_training_set(prof, cfg)
    xi, _, xo, _ = privacy._mia_data(prof, cfg)
    train = privacy._training_set(cfg)
    assert len(y) == len(train) - len(xi)

    def rows(t):
        return {bytes(r.numpy().tobytes()) for r in t.reshape(len(t), -1)}

    trained = rows(x)
    assert not trained & rows(xi)
    assert not trained & rows(xo)  # non-members are test images
    assert rows(train.x) == trained | rows(xi)
    test = load_dataset(cfg.dataset, "test")
    assert torch.equal(xo[:1], test.x[privacy.mia_indices(prof, len(train), len(test))[1][:1]])


def test_units_are_the_audits_and_every_reference_once():
    prof = get_profile("smoke")
    units = privacy.privacy_units(prof)
    assert len(units) == len(set(units))
    audits = [u for u in units if u[0] == "audit"]
    refs = [u for u in units if u[0] == "reference"]
    assert {n for _, n, _ in audits} == set(privacy.audit_configs(prof))
    assert len(refs) == prof.privacy.references * len(privacy.reference_configs(prof))
    assert {f"{a}:sgd" for a in prof.p2_grid.archs} <= set(privacy.reference_configs(prof))


def test_every_unit_is_what_the_chapter_reads(book_root, monkeypatch):
    """After the smoke book, every unit is stored, and the chapter reads each of them without training."""
    prof = get_profile("smoke")
    assert all(privacy._unit_stored(prof, *u) for u in privacy.privacy_units(prof))
    assert privacy.precompute_privacy(prof) == 0
