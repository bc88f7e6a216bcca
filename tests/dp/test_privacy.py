"""Privacy accounting: the CLI's epsilon equals Opacus's accountant stepped the way training steps it."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import warnings

import pytest
from opacus.accountants import RDPAccountant

from dprob_utils.dp.privacy import epsilon_equation1, epsilon_rdp, privacy_spent, steps_for


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dprob_utils.cli.main", *args], capture_output=True, text=True)


@pytest.mark.parametrize(("sigma", "b", "n", "epochs"), [(1.3, 256, 60000, 5), (0.7, 250, 60000, 3), (2.0, 64, 1000, 2)])
def test_cli_epsilon_matches_opacus_accountant_stepped_per_batch(sigma, b, n, epochs):
    out = _cli("epsilon", "--sigma", str(sigma), "--batch-size", str(b), "--dataset-size", str(n),
               "--epochs", str(epochs), "--delta", "1e-5")
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout)
    acc = RDPAccountant()
    q, steps = b / n, epochs * round(n / b)
    for _ in range(steps):
        acc.step(noise_multiplier=sigma, sample_rate=q)
    assert got["steps"] == steps
    assert got["epsilon_rdp"] == pytest.approx(acc.get_epsilon(delta=1e-5), rel=1e-9)
    assert got["epsilon_prv"] is None or got["epsilon_prv"] <= got["epsilon_rdp"] * 1.01


def test_equation_1_and_no_noise():
    # paper 1: sigma = 1.3, delta = 1e-6 gives epsilon < 5 by eq. (1)
    assert epsilon_equation1(1.3, 1e-6) == pytest.approx(math.sqrt(2 * math.log(1.25e6)) / 1.3)
    assert epsilon_equation1(1.3, 1e-6) < 5
    assert math.isinf(epsilon_rdp(0.0, 0.01, 100, 1e-5))


def test_more_noise_and_fewer_steps_mean_less_epsilon():
    q, t = steps_for(60000, 256, 10)
    assert epsilon_rdp(2.0, q, t, 1e-5) < epsilon_rdp(1.0, q, t, 1e-5)
    assert epsilon_rdp(1.0, q, t // 2, 1e-5) < epsilon_rdp(1.0, q, t, 1e-5)
    assert privacy_spent(1.0, q, t, 1e-5).epsilon_rdp == epsilon_rdp(1.0, q, t, 1e-5)


def test_cli_epsilon_bad_input():
    out = _cli("epsilon", "--sigma", "-1", "--batch-size", "10", "--dataset-size", "100", "--epochs", "1")
    assert out.returncode != 0 and "Traceback" not in out.stderr and len(out.stderr.strip().splitlines()) == 1


def test_rdp_at_its_largest_order_is_opacus_value_without_its_warning():
    # quick's σ = 3 models (2 epochs, batch 250): the best of Opacus's default orders is the largest, 63
    acc = RDPAccountant()
    acc.history = [(3.0, 250 / 60000, 480)]
    with pytest.warns(UserWarning, match="largest alpha"):
        eps, order = acc.get_privacy_spent(delta=1e-5)
    assert order == 63
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert epsilon_rdp(3.0, 250 / 60000, 480, 1e-5) == eps


def test_prv_epsilon_is_the_same_on_one_and_two_blas_threads():
    # paper 1's sigma = 0.7 model of the quick profile: two BLAS threads once moved its last digit
    code = "from dprob_utils.dp.privacy import epsilon_prv; print(repr(epsilon_prv(0.7, 128 / 60000, 938, 1e-5)))"
    out = {t: subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             env={**os.environ, "OMP_NUM_THREADS": t, "OPENBLAS_NUM_THREADS": t}).stdout
           for t in ("1", "2")}
    assert out["1"] and out["1"] == out["2"]
