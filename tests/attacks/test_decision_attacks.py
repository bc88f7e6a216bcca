"""Boundary attack and Carlini-Wagner L2 (dprob_utils.attacks.boundary, .cw) and the PGD trace (dprob_utils.attacks.pgd)."""

from __future__ import annotations

import math
import warnings

import pytest
import torch
from p2_models import correct_points, plain_model, thresholded_model

from dprob_utils.attacks import (
    MinimalResult,
    boundary_attack,
    boundary_walk,
    carlini_wagner_l2,
    eps_for_full_success,
    pgd_curves,
    pgd_first_fool,
    pgd_iterations_to_fool,
    success_curve,
)
from dprob_utils.config.errors import ConfigError


@pytest.fixture(scope="module")
def data():
    model = plain_model()
    x, y = correct_points(model, 12)
    return model, x, y


def _check_minimal(model, x, y, r: MinimalResult):
    assert r.adv.shape == x.shape and r.dist.shape == (len(x),)
    assert float(r.adv.min()) >= 0 and float(r.adv.max()) <= 1
    with torch.no_grad():
        pred = model(r.adv).argmax(1)
    fooled = torch.isfinite(r.dist)
    assert bool((pred[fooled] != y[fooled]).all()), "a finite distance must come with a misclassified image"
    assert torch.allclose(r.dist[fooled], (r.adv - x).flatten(1).norm(dim=1)[fooled], atol=1e-4)
    assert torch.equal(r.adv[~fooled], x[~fooled]), "failures return the clean image"


def test_cw_norm_box_and_curve(data):
    model, x, y = data
    r = carlini_wagner_l2(model, x, y, steps=60, binary_search_steps=3, initial_const=10.0, stepsize=0.05)
    _check_minimal(model, x, y, r)
    assert float(r.fooled.float().mean()) >= 0.5
    grid = [0.1 * i for i in range(60)]
    curve = r.curve(grid)
    assert all(b >= a for a, b in zip(curve, curve[1:], strict=False))
    assert curve[0] == 0.0
    if bool(r.fooled.all()):
        assert r.success(r.eps_for_full_success()) == 1.0
        assert r.success(r.eps_for_full_success() - 1e-3) < 1.0


def test_boundary_norm_box_and_curve(data):
    model, x, y = data
    r = boundary_attack(model, x, y, steps=60, seed=0)
    _check_minimal(model, x, y, r)
    assert bool(r.fooled.all())  # the start is adversarial, the walk keeps it so
    curve = r.curve([0.5 * i for i in range(40)])
    assert all(b >= a for a, b in zip(curve, curve[1:], strict=False))
    again = boundary_attack(model, x, y, steps=60, seed=0)
    assert torch.equal(again.dist, r.dist), "the seed fixes the random walk"


def test_a_longer_boundary_run_continues_the_shorter_walk(data):
    # the saturation check (chapter 09) reads the longer run's distances as the shorter run's, walked on
    model, x, y = data
    short, longer = (boundary_attack(model, x, y, steps=n, seed=3) for n in (40, 120))
    assert bool((longer.dist <= short.dist * (1 + 1e-6)).all())
    assert float(longer.dist.mean()) < float(short.dist.mean())


@pytest.mark.parametrize("k", [1, 3])
def test_boundary_checkpoints_are_the_shorter_runs_bit_for_bit(data, k):
    # chapter 09 stores a checkpoint of the saturation check's longer walk as the model's ordinary run
    model, x, y = data
    walk = boundary_walk(model, x, y, 50, checkpoints=(20, 31), update_stats_every_k=k, seed=3)
    assert sorted(walk) == [20, 31, 50]
    for n in (20, 31, 50):
        alone = boundary_attack(model, x, y, steps=n, update_stats_every_k=k, seed=3)
        assert torch.equal(walk[n].adv, alone.adv) and torch.equal(walk[n].dist, alone.dist), n
    assert not torch.equal(walk[20].dist, walk[50].dist)


@pytest.mark.parametrize("marks", [(50,), (0,), (60,), (2.5,)])
def test_boundary_checkpoints_outside_the_walk_are_one_clear_error(data, marks):
    model, x, y = data
    with pytest.raises(ConfigError, match="checkpoints"):
        boundary_walk(model, x[:2], y[:2], 50, checkpoints=marks)


def test_boundary_without_start_reports_failure():
    """A model that puts every image in class 0 has no adversarial example for class-0 images."""
    const = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(784, 10))
    with torch.no_grad():
        const[1].weight.zero_()
        const[1].bias.copy_(torch.arange(10, 0, -1).float())
    x = torch.rand(3, 1, 28, 28)
    r = boundary_attack(const, x, torch.zeros(3, dtype=torch.long), steps=5)
    assert torch.isinf(r.dist).all() and torch.equal(r.adv, x)


def test_boundary_takes_the_fallback_start_without_foolboxs_warning():
    """Where Foolbox's blended-noise start finds nothing for some samples it warns; the walk gives those the
    fallback start (here none exists: every image is class 0), so the warning says nothing and stays out."""
    const = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(784, 10))
    with torch.no_grad():
        const[1].weight.zero_()
        const[1].bias.copy_(torch.arange(10, 0, -1).float())
    x, y = torch.rand(4, 1, 28, 28), torch.tensor([0, 0, 1, 1])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = boundary_attack(const, x, y, steps=5)
    assert torch.isinf(r.dist[:2]).all() and torch.isfinite(r.dist[2:]).all()


def test_success_curve_and_full_success():
    dist = torch.tensor([0.5, 1.5, math.inf, 0.2])
    assert success_curve(dist, [0, 0.5, 1, 2, 100]) == [0.0, 0.5, 0.5, 0.75, 0.75]
    assert eps_for_full_success(dist) == math.inf
    assert eps_for_full_success(dist[torch.isfinite(dist)]) == pytest.approx(1.5)


def test_pgd_trace_bounds_and_agreement(data):
    model, x, y = data
    eps, alpha = 0.1, 0.01
    tr = pgd_first_fool(model, x, y, eps, alpha, 20, random_start=False)
    assert float((tr.adv - x).abs().max()) <= eps + 1e-6
    assert float(tr.adv.min()) >= 0 and float(tr.adv.max()) <= 1
    # without a random start it is attacks.pgd_iterations_to_fool, which also records the first fooling step
    assert torch.equal(tr.first_fool, pgd_iterations_to_fool(model, x, y, eps, alpha, 20))
    with torch.no_grad():
        fooled_now = model(tr.adv).argmax(1) != y
    assert torch.equal(fooled_now, tr.first_fool >= 0)
    rs = pgd_first_fool(model, x, y, eps, alpha, 20, random_start=True, seed=3)
    assert float((rs.adv - x).abs().max()) <= eps + 1e-6


def test_pgd_curves_rows_match_single_runs(data):
    model, x, y = data
    grid = [0.0, 0.05, 0.1, 0.2]
    c = pgd_curves(model, x, y, grid, 10, iter_eps=0.1, max_iters=25, keep_adv=[0.1], seed=1)
    start = torch.rand(x.shape, generator=torch.Generator().manual_seed(1)) * 2 - 1
    for i, e in enumerate(c.eps):
        budget = 25 if e == 0.1 else 10
        single = pgd_first_fool(model, x, y, e, e / 30, budget, snapshot=10, start=start)
        assert torch.equal(single.first_fool, c.first_fool[i])
    assert c.success()[0] == 0.0  # ε = 0 on correctly classified points
    its = c.success_vs_iterations([1, 5, 10, 25])
    assert all(b >= a for a, b in zip(its, its[1:], strict=False))
    # the kept images are the output of a complete 10-step attack (no stop at the first success), in the ball
    row = c.first_fool[c.eps.index(0.1)]
    complete = pgd_first_fool(model, x, y, 0.1, 0.1 / 30, 10, start=start, full=torch.ones(len(y), dtype=torch.bool))
    assert torch.allclose(c.adv[0.1], complete.adv)
    assert torch.equal(complete.first_fool, single_first_fool(model, x, y, start))
    assert float((c.adv[0.1] - x).abs().max()) <= 0.1 + 1e-6
    with torch.no_grad():
        fooled = model(c.adv[0.1]).argmax(1) != y
    assert bool((row[fooled] >= 0).all() and (row[fooled] <= 10).all())


def single_first_fool(model, x, y, start):
    return pgd_first_fool(model, x, y, 0.1, 0.1 / 30, 10, start=start).first_fool


def test_pgd_cannot_move_on_shattered_gradients():
    model = thresholded_model()
    x, y = correct_points(model, 8)
    tr = pgd_first_fool(model, x, y, 0.3, 0.01, 10, random_start=False)
    assert torch.equal(tr.adv, x) and bool((tr.first_fool == -1).all())
