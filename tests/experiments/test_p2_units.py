"""Paper 2's attack runs as units of work (:func:`dprob_utils.experiments.p2.runs.attack_units`): the runs that
``--executor ray`` computes as tasks before chapters 08-11 are runs those chapters read."""

from __future__ import annotations

import torch

from dprob_utils.attacks import boundary_attack
from dprob_utils.config.profiles import get_profile
from dprob_utils.experiments.p2 import models, runs
from dprob_utils.models import zoo


def test_units_cover_every_paper2_model_once_costliest_first():
    prof = get_profile("smoke")
    units = runs.attack_units(prof)
    assert len(units) == len(set(units))
    configs = {s.config for s in zoo.paper2_specs(prof)}
    assert {cfg for _, cfg, _ in units} == configs | {zoo.substitute_config(prof, a) for a in prof.p2_grid.archs}
    longer = {cfg for _, cfg in runs.saturation_configs(prof)}
    assert len(longer) == 6
    for cfg in configs:
        names = {name for _, c, name in units if c == cfg}
        ba = "boundary_more" if cfg in longer else "boundary"  # the longer walk stores the shorter run
        assert names in ({"cw", ba, "pgd"}, {"cw_masked", ba, "pgd"})
    order = [runs.ATTACK_UNITS.index(name) for _, _, name in units]
    assert order == sorted(order)


def test_every_unit_is_a_run_the_chapters_stored(book_root, monkeypatch):
    prof = get_profile("smoke")
    real, seen = runs.stored_at, []

    def must_exist(path, compute):
        seen.append(path)
        assert path.exists(), f"{path} is not a run that chapters 08-11 stored"
        return real(path, compute)

    monkeypatch.setattr(runs, "stored_at", must_exist)
    for group, cfg, name in runs.attack_units(prof):
        assert runs.run_attack_unit(prof, group, cfg, name) == name
    assert len(seen) == len(set(seen)) == len(runs.attack_units(prof))


def test_a_saturation_model_walks_once_whichever_run_comes_first(book_root, monkeypatch):
    # chapter 09 asks for the ordinary run first, the saturation check for the longer one afterwards

    prof = get_profile("smoke")
    s = prof.p2_attacks
    group, cfg = runs.saturation_configs(prof)[0]
    cm = models.load(prof, group, cfg)
    for n in (s.boundary_steps, s.boundary_more_steps):
        runs.run_path(cm, "boundary", {"steps": n, "step": s.boundary_step, "k": s.boundary_stats_every,
                                      "seed": prof.seed}, cm.points[: s.boundary_samples or len(cm.points)]
                     ).unlink(missing_ok=True)
    walks = []
    real = runs.boundary_walk
    monkeypatch.setattr(runs, "boundary_walk", lambda *a, **k: walks.append(a[3:5]) or real(*a, **k))
    short = runs.boundary(cm, prof)
    longer = runs.boundary(cm, prof, s.boundary_more_steps)
    assert walks == [(s.boundary_more_steps, [s.boundary_steps])]
    alone = boundary_attack(cm.model, *models.data_of(cm, len(short.dist)), s.boundary_steps,
                            spherical_step=s.boundary_step, source_step=s.boundary_step,
                            update_stats_every_k=s.boundary_stats_every, seed=prof.seed)
    assert torch.equal(short.dist, alone.dist) and torch.equal(short.adv, alone.adv)
    assert bool((longer.dist <= short.dist * (1 + 1e-6)).all())
