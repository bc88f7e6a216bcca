"""The work a profile is, counted from its settings (the basis of ``dprob bench --plan``)."""

from __future__ import annotations

from dprob_utils.cli.workload import attack_work, training_work
from dprob_utils.config.profiles import get_profile
from dprob_utils.models import zoo


def test_paper_training_work_counts_every_model_once_with_its_steps():
    work = training_work("paper")
    prof = get_profile("paper")
    specs = zoo.paper1_specs(prof) + zoo.paper2_specs(prof)
    # the masking check's substitutes (SGD, seed + 1) are the SGD baselines' second seeds
    assert len(work) == len({s.config for s in specs})
    assert all(zoo.substitute_config(prof, arch) in {s.config for s in specs} for arch in prof.p2_grid.archs)
    sgd = next(w for w in work if w.config == zoo.p1_sgd(prof))
    assert sgd.steps == 50 * round(60000 / 256) and sgd.images == sgd.steps * 256
    masked = [w for w in work if w.config.epochs in (40, 20)]
    assert {w.steps for w in masked} == {40 * 240, 20 * 240}


def test_quick_training_work_is_the_same_for_sgd_and_dp_sgd():
    prof = get_profile("quick")
    work = {w.config: w for w in training_work(prof)}
    t = prof.p1_train
    steps = t.epochs * round((t.train_subset or 60000) / t.batch_size)
    assert work[zoo.p1_sgd(prof)].steps == work[zoo.p1_dp(prof)].steps == steps


def test_paper_attack_work_is_papers_cw_and_boundary_budget():
    work = attack_work("paper")
    cw = [a for a in work if a.attack == "CW L2"]
    ba = [a for a in work if a.attack == "Boundary L2"]
    assert len(cw) == len(ba) == 3 * 22 + 3  # 11 LeNet + 11 custom CNN models with 3 seeds each, 3 masked
    assert all(a.samples == 1000 for a in work)
    assert sorted({a.iterations for a in cw}) == [10000 * 9, 20000 * 9]
    assert {a.iterations for a in ba} == {25000}
