"""Paper 1 eqs. (5) and (6) are exact on a linear classifier; checked against independently solved optimisation
problems, by constructing the minimal perturbation, and against DeepFool. Cross-sections put the sample at the
centre, use orthonormal axes, and cross the boundary where eq. (5) says."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy.optimize import linprog
from torch import nn

from dprob_utils import attacks
from dprob_utils.analysis import geometry

K, SHAPE = 5, (1, 3, 4)
D = int(np.prod(SHAPE))


@pytest.fixture(scope="module")
def linear():
    torch.manual_seed(1)
    model = nn.Sequential(nn.Flatten(), nn.Linear(D, K)).double().eval()
    x = torch.rand(30, *SHAPE, dtype=torch.float64)
    y = model(x).argmax(1)
    return model, x, y


def exact_linf(w: np.ndarray, b: np.ndarray, x: np.ndarray, t: int) -> float:
    """Smallest L∞ perturbation reaching the boundary of class t, by linear programming (per other class k:
    minimise s subject to (w_k - w_t).δ >= f_t - f_k and |δ_i| <= s)."""
    f = w @ x + b
    best = math.inf
    for k in range(len(b)):
        if k == t:
            continue
        a = w[k] - w[t]
        c = np.zeros(D + 1)
        c[-1] = 1.0
        rows = [np.concatenate([-a, [0.0]])]
        rhs = [-(f[t] - f[k])]
        for i in range(D):
            e = np.zeros(D + 1)
            e[i], e[-1] = 1.0, -1.0
            rows.append(e.copy())
            e[i] = -1.0
            rows.append(e)
            rhs += [0.0, 0.0]
        res = linprog(c, A_ub=np.array(rows), b_ub=np.array(rhs), bounds=[(None, None)] * D + [(0, None)])
        assert res.status == 0
        best = min(best, res.fun)
    return best


def exact_l2(w: np.ndarray, b: np.ndarray, x: np.ndarray, t: int) -> float:
    """Smallest L2 perturbation: distance to the nearest of the hyperplanes f_t = f_k, by projection."""
    f = w @ x + b
    return min((f[t] - f[k]) / np.linalg.norm(w[k] - w[t]) for k in range(len(b)) if k != t)


def test_equations_5_and_6_exact_on_linear_classifier(linear):
    model, x, y = linear
    w = model[1].weight.detach().numpy()
    b = model[1].bias.detach().numpy()
    d2 = geometry.boundary_distances(model, x, y, p=2)
    dinf = geometry.boundary_distances(model, x, y, p="linf")
    for i in range(len(x)):
        xi, t = x[i].flatten().numpy(), int(y[i])
        assert float(d2[i]) == pytest.approx(exact_l2(w, b, xi, t), rel=1e-9)
        assert float(dinf[i]) == pytest.approx(exact_linf(w, b, xi, t), rel=1e-6, abs=1e-9)


def test_minimal_perturbation_flips_the_class(linear):
    model, x, y = linear
    w = model[1].weight.detach()
    out = geometry.boundary_distances_all(model, x, y)
    for p, res in out.items():
        for i in range(len(x)):
            k, t = int(res.closest_class[i]), int(y[i])
            assert k != t
            a = w[k] - w[t]
            direction = a / a.norm() if p == 2 else a.sign()  # unit in the measured norm
            step = (res.distance[i] * direction).reshape(SHAPE)
            before = model((x[i] + 0.999 * step).unsqueeze(0)).argmax(1).item()
            after = model((x[i] + 1.001 * step).unsqueeze(0)).argmax(1).item()
            assert before == t and after != t


def test_distance_batching_and_norms(linear):
    model, x, y = linear
    a = geometry.boundary_distances(model, x, y, p=2, batch_size=7)
    b = geometry.boundary_distances(model, x, y, p=2, batch_size=100)
    assert torch.allclose(a, b)
    dinf = geometry.boundary_distances(model, x, y, p=math.inf)
    # ||v||_inf <= ||v||_2 <= sqrt(d) ||v||_inf, so the distances obey the same bounds
    assert bool((dinf <= a + 1e-12).all()) and bool((a <= math.sqrt(D) * dinf + 1e-12).all())
    with pytest.raises(ValueError):
        geometry.boundary_distances(model, x, y, p=1)


def test_deepfool_matches_equation_5_on_linear_classifier():
    """On an affine classifier DeepFool lands on the closest boundary in one step: its perturbation is eq. (5)'s
    distance times (1 + overshoot) when the boundary point lies inside the pixel box (foolbox adds 1e-4 to each
    linearised distance before the overshoot, so that the step lands just past the boundary)."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(D, K)).eval()
    with torch.no_grad():
        model[1].weight.mul_(20)
    x = 0.4 + 0.2 * torch.rand(40, *SHAPE)
    y = model(x).argmax(1)
    d2 = geometry.boundary_distances(model, x, y, p=2)
    dinf = geometry.boundary_distances(model, x, y, p="inf")
    inside = (d2 < 0.05) & (dinf < 0.05)  # far from the box edges, so clipping never acts
    assert int(inside.sum()) >= 5
    overshoot = 0.02
    for norm, ref in (("l2", d2), ("linf", dinf)):
        got = attacks.minimal_perturbation(model, x[inside], y[inside], norm=norm, overshoot=overshoot, steps=10)
        assert torch.allclose(got, (ref[inside] + 1e-4) * (1 + overshoot), rtol=1e-4), norm


def test_cross_section_geometry(linear):
    model, x, y = linear
    i = 3
    res = 41
    dist = float(geometry.boundary_distances(model, x[i : i + 1], y[i : i + 1], p=2)[0])
    cs = geometry.cross_section(model, x[i], y[i], span=3 * dist, resolution=res, seed=5)
    assert cs.classes.shape == (res, res)
    assert int(cs.classes[res // 2, res // 2]) == int(y[i])  # the sample sits at the centre
    n, v = cs.normal.flatten(), cs.direction.flatten()
    assert float(n.norm()) == pytest.approx(1.0) and float(v.norm()) == pytest.approx(1.0)
    assert abs(float(n @ v)) < 1e-9
    # along the normal (centre column), the class changes exactly at eq. (5)'s distance
    column = cs.classes[:, res // 2]
    for j, bj in enumerate(cs.b.tolist()):
        if 0 <= bj < dist * 0.99:
            assert int(column[j]) == int(y[i])
        if bj > dist * 1.01:
            assert int(column[j]) != int(y[i])
    assert 0 < cs.fraction_correct() < 1


def test_cross_section_clamp_and_seed(linear):
    model, x, y = linear
    a = geometry.cross_section(model, x[0], y[0], span=0.5, resolution=11, seed=1)
    b = geometry.cross_section(model, x[0], y[0], span=0.5, resolution=11, seed=1)
    c = geometry.cross_section(model, x[0], y[0], span=0.5, resolution=11, seed=2)
    assert torch.equal(a.classes, b.classes)
    assert not torch.allclose(a.direction, c.direction)
    clamped = geometry.cross_section(model, x[0], y[0], span=5.0, resolution=11, seed=1, clamp=True)
    assert clamped.classes.shape == (11, 11)


def test_distance_along_normal_matches_the_cross_section_and_eq5(linear):
    """The batched distance along the normal is the cross-section's first grid point of another class (the slow,
    one-image-at-a-time reference), and on a linear model eq. (5)'s distance rounded up to the grid."""
    model, x, y = linear
    span, res = 2.0, 41
    step = 2 * span / (res - 1)
    got = geometry.distance_along_normal(model, x, y, span, step, batch_size=64)
    exact = geometry.boundary_distances(model, x, y, p=2)
    for i in range(len(x)):
        cs = geometry.cross_section(model, x[i], y[i], span=span, resolution=res, seed=0)
        column, centre = cs.classes[:, res // 2], res // 2
        ref = next((float(cs.b[j]) for j in range(centre, res) if int(column[j]) != int(y[i])), math.inf)
        assert float(got[i]) == pytest.approx(ref, abs=1e-9), i
        if math.isfinite(ref):
            assert float(exact[i]) <= float(got[i]) < float(exact[i]) + step + 1e-9
        else:
            assert float(exact[i]) > span - 1e-9


def test_distance_along_normal_rejects_bad_grid(linear):
    model, x, y = linear
    with pytest.raises(Exception, match="span and step"):
        geometry.distance_along_normal(model, x, y, 1.0, 0.0)


def test_the_bend_of_a_flat_boundary_is_zero_and_of_a_round_one_is_not():
    from dprob_utils.analysis.geometry import boundary_bend

    class Flat(torch.nn.Module):  # class 1 beyond the plane x_0 = 0.7, class 0 before it
        def forward(self, x):
            v = x.flatten(1)[:, 0] - 0.7
            return torch.stack([-v, v], 1)

    class Ball(torch.nn.Module):  # class 0 inside the L2 ball of radius 1 around c, class 1 outside
        def forward(self, x):
            v = (x.flatten(1) - 0.5).norm(dim=1) - 1.0
            return torch.stack([-v, v], 1)

    x = torch.full((3, 1, 4, 4), 0.5)
    x[:, 0, 0, 0] = torch.tensor([0.3, 0.4, 0.5])
    y = torch.zeros(3, dtype=torch.long)
    flat = boundary_bend(Flat(), x, y, span=2.0, step=0.01)
    assert torch.allclose(flat, torch.zeros(3), atol=0.02)
    c = torch.full((3, 1, 4, 4), 0.5)
    c[:, 0, 0, 0] = torch.tensor([0.6, 0.7, 0.8])  # off-centre points inside the ball
    round_ = boundary_bend(Ball(), c, y, span=2.0, step=0.01)
    assert (round_ > 0.1).all()
