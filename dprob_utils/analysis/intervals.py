"""95% intervals for the numbers the scorecard's claims read, and verdicts from them (chapter 99).

A number of the book is a statistic of per-point values (1 if the attack fooled the point, a distance, ...)
of one or more models, each trained with one or more seeds. :func:`bootstrap` resamples seeds, then points
within each resampled seed (a two-stage bootstrap), and takes the percentile interval of the statistic;
``paired=True`` draws the same point indices for every model, as when both models were attacked on the same
test points, which removes the variance the points share. :func:`wilson` is the closed-form interval of one
binomial rate. Every resampler is seeded, so the book is reproducible.

:func:`verdict` turns an interval into the scorecard's four verdicts: ``reproduced`` when the whole interval
lies on the paper's side of the threshold, ``contradicted`` when it lies on the other side, ``inconclusive``
when it straddles it, ``not run`` when there is no value.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass

import numpy as np
from scipy import stats as _stats

from dprob_utils.config.errors import ConfigError

Samples = Mapping[str, Sequence[np.ndarray]]  # model -> one 1-D array of per-point values per seed

VERDICTS = ("reproduced", "contradicted", "inconclusive", "not run")


@dataclass(frozen=True)
class Interval:
    """An estimate with its interval at ``level``; ``n_points`` per seed (the smallest), ``n_seeds`` per model
    (the smallest), ``method`` in words."""

    estimate: float
    low: float
    high: float
    level: float = 0.95
    n_points: int = 0
    n_seeds: int = 1
    method: str = ""

    def contains(self, value: float) -> bool:
        return self.low <= value <= self.high

    def to_dict(self) -> dict:
        return asdict(self)


def wilson(successes: int, n: int, level: float = 0.95) -> Interval:
    """Wilson score interval of a binomial rate ``successes / n`` (rates in [0, 1])."""
    if n <= 0 or not 0 <= successes <= n:
        raise ConfigError(f"need 0 <= successes <= n and n > 0, got {successes} of {n}")
    z = float(_stats.norm.ppf(0.5 + level / 2))
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return Interval(p, max(0.0, centre - half), min(1.0, centre + half), level, n, 1, "Wilson")


def _as_samples(samples: Samples) -> dict[str, list[np.ndarray]]:
    out = {}
    for k, seeds in samples.items():
        arrs = [np.asarray(a, dtype=float).ravel() for a in seeds]
        if not arrs or any(len(a) == 0 for a in arrs):
            raise ConfigError(f"{k}: every seed needs at least one point")
        out[k] = arrs
    return out


def mean_of(name: str) -> Callable[[dict[str, list[np.ndarray]]], float]:
    """The statistic 'mean over seeds of the mean over points' of model ``name``."""
    return lambda s: float(np.mean([a.mean() for a in s[name]]))


def difference_of(a: str, b: str) -> Callable[[dict[str, list[np.ndarray]]], float]:
    """The statistic ``mean_of(a) - mean_of(b)``."""
    ma, mb = mean_of(a), mean_of(b)
    return lambda s: ma(s) - mb(s)


def difference_in_differences(a: str, b: str, c: str, d: str) -> Callable[[dict[str, list[np.ndarray]]], float]:
    """The statistic ``(mean_of(a) - mean_of(b)) - (mean_of(c) - mean_of(d))`` (e.g. a gap under attack minus the
    clean gap)."""
    first, second = difference_of(a, b), difference_of(c, d)
    return lambda s: first(s) - second(s)


def ratio_of(a: str, b: str) -> Callable[[dict[str, list[np.ndarray]]], float]:
    """The statistic ``mean_of(a) / mean_of(b)``."""
    ma, mb = mean_of(a), mean_of(b)
    return lambda s: ma(s) / mb(s)


def relative_drop_of(a: str, b: str) -> Callable[[dict[str, list[np.ndarray]]], float]:
    """The statistic ``(mean_of(a) - mean_of(b)) / mean_of(a)``: the relative drop from ``a`` to ``b``."""
    ma, mb = mean_of(a), mean_of(b)
    return lambda s: (ma(s) - mb(s)) / ma(s)


def bootstrap(statistic: Callable[[dict[str, list[np.ndarray]]], float], samples: Samples, *,
              paired: bool = False, resamples: int = 2000, level: float = 0.95, seed: int = 0) -> Interval:
    """Two-stage percentile bootstrap of ``statistic(samples)``.

    Args:
        statistic: maps ``{model: [per-seed arrays]}`` to a number (e.g. :func:`difference_of`).
        samples: ``{model: [array of per-point values, one per training seed]}``.
        paired: the models share their points (the same test images, in the same order, for the same seed
            position) and their seeds (seed ``i`` of every model): one draw of seed and point indices serves
            all models. Otherwise every model is resampled on its own.
        resamples: bootstrap replicates; seed: the resampler's seed.
    """
    data = _as_samples(samples)
    if not 0 < level < 1:
        raise ConfigError(f"level must be in (0, 1), got {level}")
    if paired:
        shapes = {k: [len(a) for a in v] for k, v in data.items()}
        if len({tuple(s) for s in shapes.values()}) != 1:
            raise ConfigError(f"paired samples need the same seeds and points for every model, got {shapes}")
    rng = np.random.default_rng(seed)
    names = list(data)
    reps = np.empty(resamples)
    for r in range(resamples):
        if paired:
            ref = data[names[0]]
            seeds = rng.integers(0, len(ref), len(ref))
            points = [rng.integers(0, len(ref[s]), len(ref[s])) for s in seeds]
            res = {k: [v[s][p] for s, p in zip(seeds, points)] for k, v in data.items()}
        else:
            res = {}
            for k, v in data.items():
                seeds = rng.integers(0, len(v), len(v))
                res[k] = [v[s][rng.integers(0, len(v[s]), len(v[s]))] for s in seeds]
        reps[r] = statistic(res)
    low, high = np.quantile(reps, [(1 - level) / 2, (1 + level) / 2])
    n_points = min(len(a) for v in data.values() for a in v)
    n_seeds = min(len(v) for v in data.values())
    method = f"{'paired ' if paired else ''}bootstrap over {'seeds, then ' if n_seeds > 1 else ''}points"
    return Interval(float(statistic(data)), float(low), float(high), level, n_points, n_seeds, method)


def verdict(interval: Interval | None, direction: str, threshold: float | Sequence[float] = 0.0) -> str:
    """``reproduced`` if the whole interval lies on the paper's side (``direction`` ``">"``: above
    ``threshold``, ``"<"``: below, ``"within"``: inside the band ``threshold = (low, high)``, for a magnitude),
    ``contradicted`` if it lies wholly on the other side (or on the threshold; for a band: wholly outside it),
    ``inconclusive`` if it straddles the threshold or is undefined (NaN), ``not run`` without an interval.
    Infinite bounds count as values (an attack that never fooled every point needs an unbounded ε)."""
    if direction not in (">", "<", "within"):
        raise ConfigError(f"direction must be '>', '<' or 'within', got {direction!r}")
    if interval is None:
        return "not run"
    if math.isnan(interval.low) or math.isnan(interval.high):
        return "inconclusive"  # e.g. an attack that never reached 100% on either model: ∞ − ∞
    if direction == "within":
        band_lo, band_hi = _band(threshold)
        if band_lo <= interval.low and interval.high <= band_hi:
            return "reproduced"
        if interval.high < band_lo or interval.low > band_hi:
            return "contradicted"
        return "inconclusive"
    lo, hi = (interval.low, interval.high) if direction == ">" else (-interval.high, -interval.low)
    t = float(threshold) if direction == ">" else -float(threshold)
    if lo > t:
        return "reproduced"
    if hi <= t:
        return "contradicted"
    return "inconclusive"


def _band(threshold: float | Sequence[float]) -> tuple[float, float]:
    try:
        lo, hi = (float(t) for t in threshold)  # type: ignore[union-attr]
    except (TypeError, ValueError):
        raise ConfigError(f"direction 'within' needs threshold [low, high], got {threshold!r}") from None
    if not lo <= hi:
        raise ConfigError(f"band [low, high] needs low <= high, got {threshold!r}")
    return lo, hi
