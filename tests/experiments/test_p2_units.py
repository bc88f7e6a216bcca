"""Paper 2's attack runs as units of work (:func:`dprob_utils.experiments.p2.attack_units`): the runs that
``--executor ray`` computes as tasks before chapters 08-11 are runs those chapters read."""

from __future__ import annotations

from dprob_utils.config.profiles import get_profile
from dprob_utils.experiments import p2
from dprob_utils.models import zoo


def test_units_cover_every_paper2_model_once_costliest_first():
    prof = get_profile("smoke")
    units = p2.attack_units(prof)
    assert len(units) == len(set(units))
    configs = {s.config for s in zoo.paper2_specs(prof)}
    assert {cfg for _, cfg, _ in units} == configs | {zoo.substitute_config(prof, a) for a in prof.p2_grid.archs}
    longer = {cfg for _, cfg in p2.saturation_configs(prof)}
    assert len(longer) == 6
    for cfg in configs:
        names = {name for _, c, name in units if c == cfg}
        ba = "boundary_more" if cfg in longer else "boundary"  # the longer walk stores the shorter run
        assert names in ({"cw", ba, "pgd"}, {"cw_masked", ba, "pgd"})
    order = [p2.ATTACK_UNITS.index(name) for _, _, name in units]
    assert order == sorted(order)


def test_every_unit_is_a_run_the_chapters_stored(book_root, monkeypatch):
    prof = get_profile("smoke")
    real, seen = p2.stored_at, []

    def must_exist(path, compute):
        seen.append(path)
        assert path.exists(), f"{path} is not a run that chapters 08-11 stored"
        return real(path, compute)

    monkeypatch.setattr(p2, "stored_at", must_exist)
    for group, cfg, name in p2.attack_units(prof):
        assert p2.run_attack_unit(prof, group, cfg, name) == name
    assert len(seen) == len(set(seen)) == len(p2.attack_units(prof))
