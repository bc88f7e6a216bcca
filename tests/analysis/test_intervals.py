"""The scorecard's resampler: coverage on a known effect, pairing, Wilson, and the four verdicts."""

from __future__ import annotations

import numpy as np
import pytest

from dprob_utils.analysis import intervals as I
from dprob_utils.config.errors import ConfigError


def test_bootstrap_of_a_difference_covers_the_true_effect_about_95_percent_of_the_time():
    rng = np.random.default_rng(1)
    true_diff, covered, reps = 0.15, 0, 200
    for r in range(reps):
        a = [rng.binomial(1, 0.6, 150)]  # e.g. SGD's accuracy under attack on 150 points
        b = [rng.binomial(1, 0.45, 150)]  # DP-SGD's, on other points
        iv = I.bootstrap(I.difference_of("a", "b"), {"a": a, "b": b}, resamples=400, seed=r)
        covered += iv.contains(true_diff)
    assert 0.90 <= covered / reps <= 0.99


def test_two_stage_bootstrap_covers_a_seed_level_effect():
    # the seed-to-seed spread dominates: an interval over points only would be far too narrow
    rng = np.random.default_rng(2)
    covered, reps = 0, 150
    for r in range(reps):
        seeds = [rng.normal(rng.normal(1.0, 0.3), 0.1, 200) for _ in range(5)]
        iv = I.bootstrap(I.mean_of("m"), {"m": seeds}, resamples=400, seed=r)
        covered += iv.contains(1.0)
        assert iv.n_seeds == 5 and "seeds" in iv.method
    assert covered / reps >= 0.75  # five seeds: the percentile bootstrap under-covers a little, never badly


def test_pairing_narrows_the_interval_when_both_models_share_their_points():
    rng = np.random.default_rng(3)
    hardness = rng.normal(0, 1, 300)  # what both models find hard on each point
    a = hardness + rng.normal(0, 0.2, 300)
    b = hardness + 0.1 + rng.normal(0, 0.2, 300)
    paired = I.bootstrap(I.difference_of("b", "a"), {"a": [a], "b": [b]}, paired=True, seed=0)
    unpaired = I.bootstrap(I.difference_of("b", "a"), {"a": [a], "b": [b]}, paired=False, seed=0)
    assert paired.estimate == pytest.approx(unpaired.estimate)
    assert (paired.high - paired.low) < 0.5 * (unpaired.high - unpaired.low)
    assert paired.low > 0 and unpaired.low < 0  # only the paired comparison sees the effect
    with pytest.raises(ConfigError):
        I.bootstrap(I.difference_of("b", "a"), {"a": [a], "b": [b[:10]]}, paired=True)


def test_bootstrap_is_reproducible():
    x = {"m": [np.arange(50.0)]}
    assert I.bootstrap(I.mean_of("m"), x, seed=4) == I.bootstrap(I.mean_of("m"), x, seed=4)


def test_wilson_matches_the_textbook_values():
    iv = I.wilson(81, 263)  # Wilson (1927) as tabulated by Newcombe (1998): 0.2553 to 0.3662
    assert iv.low == pytest.approx(0.2553, abs=1e-4) and iv.high == pytest.approx(0.3662, abs=1e-4)
    assert I.wilson(0, 10).low == pytest.approx(0, abs=1e-12) and I.wilson(10, 10).high == pytest.approx(1)
    from scipy.stats import binomtest

    ci = binomtest(7, 30).proportion_ci(method="wilson")
    assert (I.wilson(7, 30).low, I.wilson(7, 30).high) == pytest.approx((ci.low, ci.high))
    with pytest.raises(ConfigError):
        I.wilson(11, 10)


@pytest.mark.parametrize("low, high, direction, expected", [
    (0.02, 0.10, ">", "reproduced"),
    (-0.10, -0.02, ">", "contradicted"),
    (-0.02, 0.05, ">", "inconclusive"),
    (-0.10, -0.02, "<", "reproduced"),
    (0.0, 0.0, ">", "contradicted"),  # exactly no effect is not the paper's effect
])
def test_the_four_verdicts(low, high, direction, expected):
    assert I.verdict(I.Interval((low + high) / 2, low, high), direction) == expected
    assert I.verdict(None, direction) == "not run"
    assert I.verdict(I.Interval(float("nan"), float("nan"), float("nan")), direction) == "inconclusive"


def test_infinite_bounds_are_values():
    inf = float("inf")
    assert I.verdict(I.Interval(inf, 0.5, inf), ">") == "reproduced"  # DP never fully fooled, SGD at 0.5
    assert I.verdict(I.Interval(-inf, -inf, -0.2), ">") == "contradicted"


def test_verdict_against_a_magnitude_threshold():
    iv = I.Interval(0.12, 0.08, 0.16)
    assert I.verdict(iv, ">", 0.05) == "reproduced" and I.verdict(iv, ">", 0.10) == "inconclusive"


def test_the_shared_statistics_compute_what_they_name():
    s = {k: [np.asarray(v, dtype=float)] for k, v in
         {"a": [4.0, 6.0], "b": [1.0, 3.0], "c": [2.0, 2.0], "d": [1.0, 1.0]}.items()}
    assert I.difference_in_differences("a", "b", "c", "d")(s) == pytest.approx((5 - 2) - (2 - 1))
    assert I.ratio_of("a", "b")(s) == pytest.approx(5 / 2)
    assert I.relative_drop_of("a", "b")(s) == pytest.approx((5 - 2) / 5)


@pytest.mark.parametrize("low, high, expected", [
    (0.10, 0.20, "reproduced"),  # wholly inside the band
    (0.40, 0.50, "contradicted"),  # wholly above it
    (0.01, 0.05, "contradicted"),  # wholly below it
    (0.05, 0.12, "inconclusive"),  # straddles its lower edge
])
def test_a_magnitude_band_gives_the_four_verdicts(low, high, expected):
    assert I.verdict(I.Interval((low + high) / 2, low, high), "within", (0.077, 0.308)) == expected
    assert I.verdict(None, "within", (0.077, 0.308)) == "not run"


def test_a_band_needs_two_ordered_edges():
    iv = I.Interval(0.1, 0.0, 0.2)
    with pytest.raises(ConfigError):
        I.verdict(iv, "within", 0.5)
    with pytest.raises(ConfigError):
        I.verdict(iv, "within", (0.3, 0.1))
    with pytest.raises(ConfigError):
        I.verdict(iv, "about")
