"""Profiles: one place for every setting; differences from the paper are listed; the grids are consistent."""

from __future__ import annotations

from dataclasses import asdict

import pytest

from dprob_utils.config.errors import ConfigError
from dprob_utils.config.profiles import PAPER, PROFILES, QUICK, SMOKE, get_profile
from dprob_utils.experiments.p1_cifar import heads
from dprob_utils.models import zoo


def test_paper_profile_has_the_papers_settings():
    assert (PAPER.p1_train.lr, PAPER.p1_train.batch_size, PAPER.p1_train.epochs) == (0.05, 256, 50)
    assert (PAPER.p2_train.lr, PAPER.p2_train.batch_size, PAPER.p2_train.epochs) == (0.05, 250, 50)
    assert (PAPER.cifar.head.lr, PAPER.cifar.head.batch_size, PAPER.cifar.head.epochs) == (0.01, 200, 200)
    assert PAPER.p1_train.train_subset is None and PAPER.p2_attacks.samples == 1000
    assert PAPER.p2_attacks.boundary_steps == 25000 and PAPER.p2_attacks.cw_steps == 10000
    assert PAPER.differences() == []


def test_smaller_profiles_list_every_difference():
    diffs = QUICK.differences()
    assert any(d.startswith("p1_train.lr:") for d in diffs)
    assert any(d.startswith("p2_grid.settings:") for d in diffs)
    assert len(SMOKE.differences()) > len(diffs) / 2


def test_unknown_profile():
    with pytest.raises(ConfigError, match="unknown profile"):
        get_profile("fast")
    assert set(PROFILES) == {"smoke", "quick", "paper"}


def _training_settings(cfg, *also_free: str) -> dict:
    """A config without the fields a compared model may change (mode, σ, C and ``also_free``)."""
    return {k: v for k, v in asdict(cfg).items() if k not in ("mode", "sigma", "clip", *also_free)}


@pytest.mark.parametrize("name", list(PROFILES))
def test_compared_models_differ_only_in_mode_sigma_and_clip(name):
    prof = get_profile(name)
    groups = {f"paper 1 MNIST, seed {seed}": [s.config for s in zoo.paper1_specs(prof) if s.config.seed == seed]
              for seed in zoo.headline_seeds(prof)}
    for arch in prof.p2_grid.archs:
        for seed in zoo.headline_seeds(prof):
            groups[f"paper 2 {arch}, seed {seed}"] = [
                s.config for s in zoo.paper2_specs(prof)
                if s.config.arch == arch and s.config.seed == seed and s.group != "paper2 masked"]
    for seed in zoo.headline_seeds(prof):
        groups[f"CIFAR-10 heads, seed {seed}"] = [heads.head_config(prof, m, seed) for m in ("sgd", "dpsgd")]
    for group, cfgs in groups.items():
        assert len({c.mode for c in cfgs}) > 1, group  # SGD and private models in every group
        settings = [_training_settings(c) for c in cfgs]
        assert all(s == settings[0] for s in settings), (group, settings)
    # paper 2's masked models (Table IV) differ from the custom CNN's baseline in epochs too, as in the paper
    masked = [s.config for s in zoo.paper2_specs(prof) if s.group == "paper2 masked"]
    base = _training_settings(zoo.p2_model(prof, "p2_custom"), "epochs")
    assert masked and all(_training_settings(c, "epochs") == base for c in masked)


@pytest.mark.parametrize("name", list(PROFILES))
def test_grids_build_valid_configs_with_unique_keys(name):
    prof = get_profile(name)
    specs = zoo.paper1_specs(prof) + zoo.paper2_specs(prof)
    keys = [s.config.key() for s in specs]
    # the one model listed twice: paper 1's fixed-noise model at C = 1 is its main DP-SGD model, one key
    twice = {(s.config.mode, s.config.sigma, s.config.clip, s.config.seed) for s in specs if keys.count(s.config.key()) > 1}
    main = prof.p1_grid.main
    assert len(keys) - len(set(keys)) == (1 if 1.0 in prof.p1_grid.fig3c_clips and main == (1.3, 1.0) else 0)
    assert twice <= {("dpsgd", *main, prof.seed), ("dpsgd-fixed-noise", 1.3, 1.0, prof.seed)}
    # paper 1 CNN, LeNet, custom CNN: one per headline seed each
    assert sum(s.config.mode == "sgd" for s in specs) == 3 * prof.headline_seeds
    seeds = {s.config.seed for s in specs if s.group.startswith("paper1") and s.config.mode != "dpsgd-fixed-noise"
             and s.config.sigma in (0.0, 1.3) and s.config.clip == 1.0}
    assert seeds == set(zoo.headline_seeds(prof)) and len(seeds) >= (3 if name != "smoke" else 2)


@pytest.mark.parametrize("name", ["quick", "paper"])
def test_headline_models_have_three_seeds(name):
    prof = get_profile(name)
    specs = zoo.paper2_specs(prof)
    for arch in prof.p2_grid.archs:
        for setting in [None, *prof.p2_grid.settings]:
            base = zoo.p2_model(prof, arch) if setting is None else zoo.p2_model(prof, arch, *setting)
            seeds = {s.config.seed for s in specs if s.config.key() == base.__class__(
                **{**asdict(base), "seed": s.config.seed}).key()}
            assert len(seeds) >= 3, (arch, setting)
    assert len({heads.head_config(prof, "dpsgd", seed).key() for seed in zoo.headline_seeds(prof)}) >= 3


def test_paper_grid_is_the_papers():
    specs = zoo.paper2_specs(PAPER)
    dp = {(s.config.arch, s.config.sigma, s.config.clip) for s in specs if s.config.mode == "dpsgd"}
    for arch in ("p2_lenet", "p2_custom"):
        for sc in [(1.3, 1), (1.3, 3), (1.3, 5), (1.3, 10), (0, 1), (2, 1), (3, 1), (0, 10), (2, 10), (3, 10)]:
            assert (arch, *map(float, sc)) in dp
    masked = [s.config for s in specs if s.group == "paper2 masked"]
    assert [(c.sigma, c.clip, c.epochs) for c in masked] == [(2.0, 5.0, 50), (2.0, 6.0, 40), (2.0, 7.0, 20)]


def test_get_profile_passes_a_profile_through():
    from dprob_utils.config.profiles import get_profile

    quick = get_profile("quick")
    assert get_profile(quick) is quick


def test_by_key_names_each_model_by_the_first_config_that_lists_it():
    prof = get_profile("quick")
    main, fixed = zoo.p1_dp(prof), zoo.p1_dp(prof, 1.3, 1.0, mode="dpsgd-fixed-noise")
    sgd = zoo.p1_sgd(prof)
    assert list(zoo.by_key([sgd, main, fixed]).values()) == [sgd, main]
    assert list(zoo.by_key([fixed, main]).values()) == [fixed]
