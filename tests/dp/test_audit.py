"""The one-run privacy audit (Steinke, Nasr, Jagielski 2023): its bound against closed forms and a mechanism of
known ε, and on real training, an honest DP-SGD stays below its accountant's ε while a broken one is flagged."""

from __future__ import annotations

import math

import numpy as np
import pytest

from dprob_utils.config.errors import ConfigError
from dprob_utils.config.paths import shared_data_dir
from dprob_utils.dp import audit


def _logit(p: float) -> float:
    return math.log(p / (1 - p))


# the paper's worked values (Steinke, Nasr, Jagielski 2023: Appendix D and Sec. 7, 95% confidence), printed to
# three digits: (m, r, v, δ, ε lower bound)
PAPER_EXAMPLES = [(100, 100, 75, 0.0, 0.702), (100, 100, 75, 1e-4, 0.699), (1000, 100, 75, 1e-4, 0.673),
                  (100_000, 1510, 1439, 1e-5, 2.675)]


@pytest.mark.parametrize("m, r, v, delta, printed", PAPER_EXAMPLES)
def test_the_bound_gives_the_papers_worked_examples(m, r, v, delta, printed):
    assert audit.epsilon_lower_bound(m, r, v, delta) == pytest.approx(printed, abs=1e-3)


def test_the_p_value_gives_the_papers_worked_example():
    # 75 of 100 guesses right against ε = log 3 (randomised response with 75% accuracy), δ = 0
    assert audit.p_value(100, 100, 75, math.log(3), 0.0) == pytest.approx(0.553, abs=1e-3)


@pytest.mark.parametrize("r", [10, 40, 100, 1000])
def test_all_guesses_right_without_delta_is_the_closed_form(r):
    # P[Binomial(r, q) >= r] = q^r < 0.05  <=>  q > 0.05^(1/r)
    expected = _logit(0.05 ** (1 / r))
    assert audit.epsilon_lower_bound(r, r, r, delta=0.0) == pytest.approx(expected, abs=1e-5)


def test_the_bound_falls_with_wrong_guesses_and_with_delta_and_is_zero_at_chance():
    m, r = 1000, 100
    bounds = [audit.epsilon_lower_bound(m, r, v, 1e-5) for v in (100, 90, 75, 60)]
    assert bounds == sorted(bounds, reverse=True) and bounds[0] > 0
    assert audit.epsilon_lower_bound(m, r, 50, 1e-5) == 0.0
    by_delta = [audit.epsilon_lower_bound(m, r, r, d) for d in (0.0, 1e-5, 1e-4, 1e-3)]
    assert by_delta == sorted(by_delta, reverse=True) and by_delta[-1] < by_delta[0] / 2


def test_p_value_is_the_binomial_tail_plus_the_delta_term():
    from scipy import stats

    m, r, v, eps = 500, 60, 45, 1.0
    q = 1 / (1 + math.exp(-eps))
    assert audit.p_value(m, r, v, eps, 0.0) == pytest.approx(stats.binom.sf(v - 1, r, q))
    worst = max(sum(stats.binom.pmf(v - j, r, q) for j in range(1, i + 1)) / i for i in range(1, v + 1))
    assert audit.p_value(m, r, v, eps, 1e-4) == pytest.approx(stats.binom.sf(v - 1, r, q) + 2 * m * 1e-4 * worst)
    with pytest.raises(ConfigError):
        audit.p_value(10, 20, 5, 1.0, 0.0)


def test_randomised_response_of_known_epsilon_is_rarely_over_bounded():
    """Each canary's score is its membership bit after eps-DP randomised response: the audit's bound exceeds
    the true eps in at most about 5% of runs (its confidence), and it is not vacuous."""
    eps, m, k, runs = 1.0, 1000, 100, 400
    rng = np.random.default_rng(0)
    keep = 1 / (1 + math.exp(-eps))
    bounds = []
    for _ in range(runs):
        members = rng.random(m) < 0.5
        seen = np.where(rng.random(m) < keep, members, ~members)
        scores = seen + 1e-3 * rng.random(m)  # ties broken at random
        bounds.append(audit.audit(scores, members, k, k, delta=0.0).epsilon_lb)
    bounds = np.array(bounds)
    assert (bounds > eps).mean() <= 0.05 + 3 * math.sqrt(0.05 * 0.95 / runs)
    assert np.median(bounds) > 0.3


def test_audit_counts_guesses_both_ways():
    scores = np.array([5.0, 4.0, 3.0, 2.0, 1.0, 0.0])
    members = np.array([True, True, False, True, False, False])
    a = audit.audit(scores, members, 2, 2, delta=0.0)
    assert (a.correct, a.guesses, a.m) == (4, 4, 6)
    a = audit.audit(scores, members, 3, 0, delta=0.0)
    assert a.correct == 2 and a.k_neg == 0
    with pytest.raises(ConfigError):
        audit.audit(scores, members, 4, 4, delta=0.0)


def test_canaries_are_mislabelled_and_membership_is_a_fair_coin():
    if shared_data_dir() is None:
        pytest.skip("../shared/data not present")
    from dprob_utils.data.datasets import load_dataset

    x, y = audit.canaries(300, seed=0)
    test = load_dataset("mnist", "test")
    assert x.shape == (300, 1, 28, 28) and float(x.min()) >= 0 and float(x.max()) <= 1
    # each canary is a test image with another label than its own
    truth = {tuple(test.x[i].flatten()[::37].tolist()): int(test.y[i]) for i in range(len(test))}
    assert all(truth[tuple(xi.flatten()[::37].tolist())] != int(yi) for xi, yi in zip(x[:50], y[:50]))
    members = audit.membership(2000, seed=0)
    assert abs(float(members.float().mean()) - 0.5) < 0.05
    assert bool((audit.membership(2000, seed=0) == members).all())


@pytest.mark.slow
def test_an_honest_dp_sgd_stays_below_its_epsilon_and_a_broken_one_is_flagged():
    """Broken: per-example clipping at C = 1 but the noise never added (sigma = 0), while the accountant is told
    sigma = 10; honest: the same run with sigma = 10. The same 400 mislabelled canaries, 40 guesses each way."""
    if shared_data_dir() is None:
        pytest.skip("../shared/data not present")
    from dprob_utils.config.training import TrainConfig

    settings = dict(arch="p2_custom", mode="dpsgd", clip=1.0, lr=2.0, batch_size=64, epochs=40, train_subset=500)
    broken = audit.train_audited(TrainConfig(sigma=0.0, **settings), 400, 1e-5, claimed_noise_multiplier=10.0)
    honest = audit.train_audited(TrainConfig(sigma=10.0, **settings), 400, 1e-5)
    assert broken["epsilon_accountant"] == pytest.approx(honest["epsilon_accountant"])
    assert honest["audit"]["epsilon_lb"] <= honest["epsilon_accountant"]
    assert broken["audit"]["epsilon_lb"] > broken["epsilon_accountant"], broken
