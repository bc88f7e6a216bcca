"""Transfer matrices (dprob_utils.analysis.transfer)."""

from __future__ import annotations

import copy
import math

import pytest
import torch
from p2_models import correct_points, plain_model

from dprob_utils.analysis.transfer import Crafted, transfer_matrix, transfer_success
from dprob_utils.attacks import pgd_first_fool


def _crafted(model, n=16, eps=0.15):
    x, y = correct_points(model, n)
    adv = pgd_first_fool(model, x, y, eps, eps / 10, 20, random_start=False).adv
    return Crafted(x=x, y=y, adv=adv)


def test_copy_transfers_like_white_box():
    model = plain_model()
    twin = copy.deepcopy(model)
    src = _crafted(model)
    with torch.no_grad():
        white = float((model(src.adv).argmax(1) != src.y).float().mean())
    mat = transfer_matrix({"a": src}, {"a": model, "twin": twin})
    assert mat.rate.shape == (1, 2)
    assert math.isclose(float(mat.rate[0, 0]), white, abs_tol=1e-6)
    assert math.isclose(float(mat.rate[0, 1]), white, abs_tol=1e-6)
    assert int(mat.count[0, 0]) == len(src.y)


def test_only_clean_correct_samples_are_counted():
    model = plain_model()
    src = _crafted(model)
    # a target that calls everything class 3: only the class-3 images count, and none of them is fooled
    const = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(784, 10))
    with torch.no_grad():
        const[1].weight.zero_()
        const[1].bias.zero_()
        const[1].bias[3] = 1.0
    rate, n = transfer_success(const, src)
    assert n == int((src.y == 3).sum())
    if n:
        assert rate == 0.0
    else:
        assert math.isnan(rate)


def test_unperturbed_examples_do_not_transfer():
    model = plain_model()
    x, y = correct_points(model, 10)
    mat = transfer_matrix({"clean": Crafted(x=x, y=y, adv=x.clone())}, {"m": model})
    assert float(mat.rate[0, 0]) == 0.0
    assert mat.to_dict()["rows"] == ["clean"]


def test_transfer_outcomes_are_the_points_behind_the_rate():
    from dprob_utils.analysis.transfer import transfer_outcomes

    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(4, 3))
    x = torch.rand(40, 1, 2, 2)
    y = model(x).argmax(1)
    y[:5] = (y[:5] + 1) % 3  # five points the target gets wrong when clean: not counted
    adv = torch.rand(40, 1, 2, 2)
    src = Crafted(x=x, y=y, adv=adv)
    out = transfer_outcomes(model, src)
    rate, n = transfer_success(model, src)
    assert len(out) == n == 35 and float(out.float().mean()) == pytest.approx(rate)
