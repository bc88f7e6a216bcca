"""Privacy accounting for DP-SGD with Poisson subsampling.

Three numbers are reported side by side for every private model:

- ``epsilon_rdp``: Opacus's Renyi-DP accountant (the moments accountant of Abadi et al., tight for this use);
- ``epsilon_prv``: Opacus's PRV accountant (numerical composition of privacy random variables), tighter still;
  ``None`` where it fails (it needs a moderate noise multiplier);
- ``epsilon_eq1``: paper 1's equation (1), ``epsilon = sqrt(2 log(1.25 / delta)) / sigma``: the Gaussian
  mechanism for a *single* release with no subsampling and no composition over the T training steps, so it
  is not a bound on the privacy of the trained model at all. The book shows how far it is from the others.
"""

from __future__ import annotations

import functools
import math
import warnings
from dataclasses import asdict, dataclass

from opacus.accountants import PRVAccountant, RDPAccountant
from threadpoolctl import threadpool_limits

from dprob_utils.config.errors import ConfigError


@dataclass(frozen=True)
class PrivacySpent:
    """(epsilon, delta) of one training run. ``noise_multiplier`` is the noise std divided by the clip bound."""

    noise_multiplier: float
    sample_rate: float
    steps: int
    delta: float
    epsilon_rdp: float
    epsilon_prv: float | None
    epsilon_eq1: float

    def to_dict(self) -> dict:
        return asdict(self)


def epsilon_equation1(sigma: float, delta: float) -> float:
    """Chapter 01. Paper 1 equation (1) solved for epsilon: ``sqrt(2 log(1.25 / delta)) / sigma`` (inf for sigma = 0)."""
    return math.inf if sigma <= 0 else math.sqrt(2.0 * math.log(1.25 / delta)) / sigma


def _check(noise_multiplier: float, sample_rate: float, steps: int, delta: float) -> None:
    if noise_multiplier < 0:
        raise ConfigError(f"noise multiplier must be >= 0, got {noise_multiplier}")
    if not 0 < sample_rate <= 1:
        raise ConfigError(f"sample rate must be in (0, 1], got {sample_rate}")
    if steps <= 0:
        raise ConfigError(f"number of steps must be positive, got {steps}")
    if not 0 < delta < 1:
        raise ConfigError(f"delta must be in (0, 1), got {delta}")


def epsilon_rdp(noise_multiplier: float, sample_rate: float, steps: int, delta: float) -> float:
    """Epsilon at ``delta`` from Opacus's RDP accountant (inf without noise), over its default Rényi orders (1.1
    to 63, the orders of TensorFlow Privacy's accountant, which paper 2 used). Where the best order is the
    largest, 63 (much noise, few steps: quick's σ = 3 models, ε about 0.1), the bound is looser than a longer
    list of orders would make it, and Opacus warns so; that warning is dropped here, as ``epsilon_prv`` reports
    the tight value beside it."""
    _check(noise_multiplier, sample_rate, steps, delta)
    if noise_multiplier == 0:
        return math.inf
    acc = RDPAccountant()
    acc.history = [(noise_multiplier, sample_rate, steps)]
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Optimal order is the largest alpha")
        return float(acc.get_epsilon(delta=delta))


def epsilon_prv(noise_multiplier: float, sample_rate: float, steps: int, delta: float) -> float | None:
    """Epsilon at ``delta`` from Opacus's PRV accountant, or ``None`` where it cannot be computed."""
    _check(noise_multiplier, sample_rate, steps, delta)
    if noise_multiplier == 0:
        return math.inf
    acc = PRVAccountant()
    acc.history = [(noise_multiplier, sample_rate, steps)]
    try:
        # one BLAS thread: the accountant's long dot product sums in another order on two, which moves the last
        # digit of ε, so a chapter would report another ε as the only one running or beside another
        with warnings.catch_warnings(), threadpool_limits(limits=1, user_api="blas"):
            warnings.simplefilter("ignore")
            return float(acc.get_epsilon(delta=delta))
    except Exception:  # noqa: BLE001 - PRV's numerical domain errors vary by version; RDP is always reported
        return None


@functools.lru_cache(maxsize=4096)
def privacy_spent(
    noise_multiplier: float, sample_rate: float, steps: int, delta: float, sigma_eq1: float | None = None
) -> PrivacySpent:
    """All three epsilons for ``steps`` DP-SGD steps at ``sample_rate`` (= batch size / dataset size).

    ``sigma_eq1`` is the sigma put into paper 1's equation (1); by default the noise multiplier. Memoised per
    process (the result is frozen): every load of a model re-accounts it, about 70 ms with the PRV accountant.
    """
    return PrivacySpent(
        noise_multiplier=noise_multiplier,
        sample_rate=sample_rate,
        steps=steps,
        delta=delta,
        epsilon_rdp=epsilon_rdp(noise_multiplier, sample_rate, steps, delta),
        epsilon_prv=epsilon_prv(noise_multiplier, sample_rate, steps, delta),
        epsilon_eq1=epsilon_equation1(noise_multiplier if sigma_eq1 is None else sigma_eq1, delta),
    )


def steps_for(dataset_size: int, batch_size: int, epochs: int) -> tuple[float, int]:
    """(sample rate, number of steps) for ``epochs`` passes with expected batch size ``batch_size``."""
    if dataset_size <= 0 or batch_size <= 0 or epochs <= 0:
        raise ConfigError("dataset size, batch size and epochs must be positive")
    q = min(1.0, batch_size / dataset_size)
    return q, epochs * max(1, round(dataset_size / batch_size))
