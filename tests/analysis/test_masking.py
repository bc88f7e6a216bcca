"""The seven-criteria gradient-masking check (dprob_utils.analysis.masking)."""

from __future__ import annotations

import dataclasses

import pytest
import torch
from p2_models import correct_points, plain_model, saturated_model, thresholded_model

from dprob_utils.analysis.masking import (
    MaskingEvidence,
    autoattack_linf,
    check_gradient_masking,
    judge,
    square_linf,
)
from dprob_utils.config.profiles import Paper2Attacks

# small but meaningful: 40 PGD steps of ε/30 (Foolbox's step) so PGD can reach the edge of the ball
SETTINGS = Paper2Attacks(
    samples=20, pgd_eps=(0.0, 0.1, 0.2, 0.3, 0.4, 0.5), pgd_steps=40, pgd_iter_grid=(1, 5, 10, 20, 40),
    boundary_steps=100, cw_steps=60, cw_binary_search_steps=4, cw_initial_const=10.0, cw_stepsize=0.05,
    square_queries=100, masking_tolerance=0.1, masking_full_success=0.95,
)


def _sane() -> MaskingEvidence:
    return MaskingEvidence(eps=0.3, n=100, fgsm=0.6, pgd=1.0, square=0.8, l2_eps=[1.0, 2.0], cw_at=[0.4, 0.95],
                           ba_at=[0.2, 0.7], unbounded=1.0, iter_grid=[1, 10, 20, 40],
                           iter_success=[0.1, 0.6, 0.95, 1.0], eps_grid=[0.0, 0.1, 0.2, 0.3, 0.4],
                           eps_success=[0.0, 0.2, 0.7, 1.0, 1.0], transfer=0.5)


@pytest.mark.parametrize("change, number", [
    ({"fgsm": 1.0, "pgd": 0.8}, 1),
    ({"square": 1.0, "pgd": 0.9}, 2),
    ({"ba_at": [0.9, 1.0]}, 3),
    ({"unbounded": 0.9}, 4),
    ({"iter_success": [0.3, 0.5, 0.5, 0.5]}, 5),  # plateau below 100%
    ({"eps_success": [0.0, 0.5, 0.7, 0.5, 0.5]}, 6),  # a drop, then a plateau
    ({"transfer": 1.0, "pgd": 0.6, "fgsm": 0.1, "square": 0.1}, 7),
])
def test_each_criterion_flips(change, number):
    assert judge(_sane()).violated == []
    report = judge(dataclasses.replace(_sane(), **change))
    assert number in report.violated
    assert report.suspected and "suspected" in report.verdict()
    crit = report.criteria[number - 1]
    assert crit.number == number and crit.verdict == "violated" and crit.numbers


def test_unmeasured_criteria_are_not_verdicts():
    ev = MaskingEvidence(eps=0.3, n=10, pgd=1.0, fgsm=0.5)
    report = judge(ev)
    assert [c.holds for c in report.criteria] == [True, None, None, None, None, None, None]
    assert not report.suspected and "not measured" in report.verdict()
    assert report.to_dict()["criteria"][0]["verdict"] == "holds"


def test_plain_model_passes():
    model = plain_model()
    x, y = correct_points(model, 20)
    report = check_gradient_masking(model, x, y, SETTINGS, substitute=model, autoattack=False)
    assert report.violated == [], report.verdict() + str([c.detail for c in report.criteria])
    assert all(c.holds is not False for c in report.criteria)  # 20 points: some may be inconclusive
    assert report.evidence.pgd >= 0.95 and report.evidence.input_grad_zero == 0.0


@pytest.mark.parametrize("make, expected", [
    # shattered input gradients: neither PGD nor CW can move; PGD plateaus in iterations and in ε
    (thresholded_model, {4, 5, 6}),
    # saturated softmax: the cross-entropy gradient underflows, so PGD stalls (CW works on the logits); the
    # black-box Square attack and transfer from the plain model beat white-box PGD
    (saturated_model, {2, 5, 7}),
])
def test_masked_models_are_flagged(make, expected):
    model = make()
    x, y = correct_points(model, 20)
    report = check_gradient_masking(model, x, y, SETTINGS, substitute=plain_model(), autoattack=False)
    assert report.suspected
    assert expected <= set(report.violated), report.verdict()
    assert report.evidence.input_grad_zero >= 0.9


def test_black_box_attacks_stay_in_the_ball():
    model = plain_model()
    x, y = correct_points(model, 4)
    for adv in (square_linf(model, x, y, 0.2, n_queries=20), autoattack_linf(model, x, y, 0.2, 3, 20)):
        assert float((adv - x).abs().max()) <= 0.2 + 1e-5
        assert float(adv.min()) >= 0 and float(adv.max()) <= 1
    with torch.no_grad():
        assert float((model(autoattack_linf(model, x, y, 0.3, 10, 50)).argmax(1) != y).float().mean()) == 1.0


def test_a_difference_within_the_noise_is_inconclusive_not_a_violation():
    # 50 points each, PGD 5 points below Square: the old point rule with a 3-point slack called it a violation
    report = judge(dataclasses.replace(_sane(), n=50, square=0.95, pgd=0.9), tolerance=0.03)
    crit = report.criteria[1]
    assert crit.verdict == "inconclusive" and crit.interval[0] < 0 < crit.interval[1]
    assert 2 not in report.violated and "inconclusive: 2" in report.verdict()


def test_newcombe_matches_the_published_example():
    from dprob_utils.analysis.masking import newcombe

    # Newcombe (1998), Table II, example (a): 56/70 vs 48/80 -> 0.2 [0.0524, 0.3339] (method 10)
    d, lo, hi = newcombe(56 / 70, 70, 48 / 80, 80)
    assert d == pytest.approx(0.2) and (lo, hi) == pytest.approx((0.0524, 0.3339), abs=1e-4)


def test_paper_2s_own_measurements_are_the_main_rows_and_the_others_variants():
    ev = dataclasses.replace(_sane(), ba_vs_pgd={"pgd": 0.3, "ba_1": 0.9, "ba_2": 1.0}, n_ba=100,
                             cw_transfer=0.8, n_cw_transfer=300, pgd=0.3, pgd_all=0.3, fgsm=0.1, square=0.2)
    report = judge(ev)
    main = {c.number: c for c in report.main}
    assert main[2].verdict == main[3].verdict == "violated" and "BA₂" in main[2].detail
    assert main[7].verdict == "violated" and "CW₂ transferred" in main[7].detail
    assert {2, 3, 7} <= set(report.violated)
    labels = [c.label for c in report.criteria if c.variant]
    assert labels == ["2 (Square)", "3 (CW vs BA)", "7 (PGD substitute)"]
    assert report.to_dict()["criteria"][-1]["label"] == "7 (PGD substitute)"
