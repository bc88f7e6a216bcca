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
    assert len(work) == len({s.config.key() for s in specs})  # the fixed-noise model at C = 1 is the main one
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
    assert len(cw) == 3 * 22 + 3  # 11 LeNet + 11 custom CNN models with 3 seeds each, 3 masked
    assert len(ba) == len(cw)  # the saturation check's six models walk longer; their shorter run is on the way
    assert all(a.samples == 1000 for a in work)
    assert sorted({a.iterations for a in cw}) == [10000 * 9, 20000 * 9]
    assert sorted(a.iterations for a in ba)[-7:] == [25000] + [50000] * 6
    assert sum(a.iterations for a in ba) == (len(ba) - 6) * 25000 + 6 * 50000


def test_makespan_is_the_sum_on_one_device_and_lpt_on_several():
    from dprob_utils.cli.workload import makespan

    assert makespan([3.0, 1.0, 2.0], 1) == 6.0
    assert makespan([5.0, 4.0, 3.0, 3.0, 3.0], 2) == 10.0  # 5+3 | 4+3+3: LPT's classic worst case (best: 9)
    assert makespan([2.0] * 8, 8) == 2.0 and makespan([2.0] * 8, 100) == 2.0
    assert makespan([], 4) == 0.0
    # the bound of list scheduling: never below the longest unit or the mean load
    times = [float(t) for t in range(1, 30)]
    for n in (1, 2, 3, 8):
        best = max(max(times), sum(times) / n)
        assert best <= makespan(times, n) <= 4 / 3 * best + 1e-9


def test_privacy_work_is_each_audit_and_each_reference_model():
    from dprob_utils.cli.workload import privacy_work
    from dprob_utils.dp.audit import membership
    from dprob_utils.experiments import privacy

    prof = get_profile("paper")
    work = privacy_work(prof)
    audits, refs = privacy.audit_configs(prof), privacy.reference_configs(prof)
    assert len(work) == len(audits) + prof.privacy.references * len(refs)
    sgd = [w for w in work if w.config == zoo.p1_sgd(prof)]  # its audit, then its references
    canaries_in = int(membership(prof.privacy.canaries, prof.privacy.seed).sum())
    assert 400 < canaries_in < 600
    assert sgd[0].steps == 50 * round((60000 + canaries_in) / 256)
    assert {w.steps for w in sgd[1:]} == {50 * round(58000 / 256)}
