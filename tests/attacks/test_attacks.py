"""Properties that make attack numbers trustworthy: adversarial images stay in the ε-ball and in [0, 1],
accuracy under attack never exceeds clean accuracy, PGD is at least as strong as FGSM, our batched FGSM curve
equals torchattacks' FGSM, and the per-sample PGD iteration count agrees with torchattacks' PGD."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from dprob_utils import attacks
from dprob_utils.config.errors import ConfigError

TOL = 1e-6


def small_cnn() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(1, 4, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(4, 8, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(8 * 4 * 4, 32), nn.ReLU(), nn.Linear(32, 10),
    )


@pytest.fixture(scope="module")
def trained():
    """A small CNN trained for a few seconds on synthetic 28x28 data with 10 learnable classes: class c is a
    bright bar at a class-specific position plus noise."""
    gen = torch.Generator().manual_seed(0)
    n = 1150
    y = torch.randint(0, 10, (n,), generator=gen)
    x = 0.3 * torch.rand(n, 1, 28, 28, generator=gen)
    for c in range(10):
        r = 3 + 2 * c
        x[y == c, 0, r : r + 2, 4:24] += 0.6
    x = x.clamp(0, 1)
    torch.manual_seed(0)
    model = small_cnn()
    opt = torch.optim.SGD(model.parameters(), lr=0.3)
    for _ in range(2):
        for i in range(0, 1000, 50):
            opt.zero_grad()
            nn.functional.cross_entropy(model(x[i : i + 50]), y[i : i + 50]).backward()
            opt.step()
    model.eval()
    # 10% of the held-out labels are wrong, so clean accuracy is below 1 and "never above clean" has teeth
    y_test = y[1000:].clone()
    flip = torch.rand(len(y_test), generator=gen) < 0.1
    y_test[flip] = (y_test[flip] + 1) % 10
    return model, x[1000:], y_test


@pytest.mark.parametrize("eps", [0.0, 0.05, 0.1, 0.3])
def test_fgsm_stays_in_ball_and_box(trained, eps):
    model, x, y = trained
    adv = attacks.fgsm(model, x, y, eps)
    assert adv.shape == x.shape
    assert float(adv.min()) >= 0 and float(adv.max()) <= 1
    assert float((adv - x).abs().max()) <= eps + TOL


@pytest.mark.parametrize("eps,random_start", [(0.05, True), (0.2, False)])
def test_pgd_stays_in_ball_and_box(trained, eps, random_start):
    model, x, y = trained
    adv = attacks.pgd_linf(model, x, y, eps, attacks.pgd_alpha(eps, 5), 5, random_start=random_start)
    assert float(adv.min()) >= 0 and float(adv.max()) <= 1
    assert float((adv - x).abs().max()) <= eps + TOL


def test_accuracy_under_attack_never_exceeds_clean(trained):
    model, x, y = trained
    clean = attacks.accuracy_under(model, None, x, y)
    assert 0.8 < clean < 1
    eps_list = [0.0, 0.02, 0.05, 0.1, 0.2, 0.3]
    curve = attacks.fgsm_curve(model, x, y, eps_list)
    assert curve[0] == pytest.approx(clean)
    for e, acc in zip(eps_list, curve):
        assert acc <= clean + 1e-12, e
    for e in (0.05, 0.2):
        pgd = attacks.accuracy_under(model, lambda m, a, b, e=e: attacks.pgd_linf(m, a, b, e, attacks.pgd_alpha(e, 10), 10),
                                     x, y)
        assert pgd <= clean + 1e-12, e


def test_pgd_at_least_as_strong_as_fgsm(trained):
    model, x, y = trained
    for eps in (0.05, 0.15):
        fg = attacks.accuracy_under(model, lambda m, a, b, e=eps: attacks.fgsm(m, a, b, e), x, y)
        for steps in (5, 10):
            alpha = attacks.pgd_alpha(eps, steps)
            pg = attacks.accuracy_under(model, lambda m, a, b, e=eps, s=steps, al=alpha: attacks.pgd_linf(m, a, b, e, al, s),
                                        x, y)
            assert pg <= fg + 1e-12, (eps, steps, pg, fg)


def test_fgsm_curve_equals_torchattacks_fgsm(trained):
    model, x, y = trained
    eps_list = [0.0, 0.03, 0.1, 0.25]
    curve = attacks.fgsm_curve(model, x, y, eps_list, batch_size=64)
    for e, acc in zip(eps_list, curve):
        ref = attacks.accuracy_under(model, lambda m, a, b, e=e: attacks.fgsm(m, a, b, e), x, y)
        assert acc == pytest.approx(ref, abs=1e-12), e


def test_iterations_to_fool_agree_with_pgd(trained):
    model, x, y = trained
    eps, alpha, t_max = 0.1, 0.015, 10
    iters = attacks.pgd_iterations_to_fool(model, x, y, eps, alpha, t_max, batch_size=70)
    assert iters.dtype == torch.long and iters.shape == (len(x),)
    assert int(iters.min()) >= -1 and int(iters.max()) <= t_max
    # iteration 0 = misclassified already
    clean_wrong = ~attacks.correct_under(model, None, x, y)
    assert torch.equal(iters == 0, clean_wrong)
    # never fooled within t_max  =>  the final PGD iterate (same steps, same α) is still correct
    correct_final = attacks.correct_under(model, lambda m, a, b: attacks.pgd_linf(m, a, b, eps, alpha, t_max), x, y)
    assert bool(correct_final[iters == -1].all())
    # the counted iterate is the first fooled one: PGD with exactly that many steps fools, one step fewer does not
    for t in sorted(set(int(v) for v in iters if v > 0))[:3]:
        idx = torch.nonzero(iters == t).squeeze(1)
        at_t = attacks.correct_under(model, lambda m, a, b, t=t: attacks.pgd_linf(m, a, b, eps, alpha, t), x[idx], y[idx])
        before = attacks.correct_under(model, lambda m, a, b, t=t: attacks.pgd_linf(m, a, b, eps, alpha, t - 1),
                                       x[idx], y[idx])
        assert not bool(at_t.any()) and bool(before.all()), t


def test_iterations_to_fool_never_for_zero_eps(trained):
    model, x, y = trained
    iters = attacks.pgd_iterations_to_fool(model, x, y, 0.0, 0.01, 5)
    clean_wrong = ~attacks.correct_under(model, None, x, y)
    assert torch.equal(iters == -1, ~clean_wrong)


def test_pgd_alpha_rules():
    assert attacks.pgd_alpha(0.3, 40) == pytest.approx(2.5 * 0.3 / 40)
    assert attacks.pgd_alpha(0.3, 40, "madry") == pytest.approx(2.5 * 0.3 / 40)
    assert attacks.pgd_alpha(0.2, 30, "eps/steps") == pytest.approx(0.2 / 30)
    assert attacks.pgd_alpha(0.2, 30, "eps/4") == pytest.approx(0.05)
    assert attacks.pgd_alpha(0.2, 30, 0.01) == 0.01
    assert attacks.pgd_alpha(0.2, 30, "0.01") == 0.01
    assert attacks.pgd_alpha(0.1, 10, "2*eps/steps + 0.001") == pytest.approx(0.021)
    for bad in ("eps/0", "__import__('os')", "x*eps", "-eps"):
        with pytest.raises(ConfigError):
            attacks.pgd_alpha(0.1, 10, bad)
    with pytest.raises(ConfigError):
        attacks.pgd_alpha(0.1, 0)


def test_inputs_outside_box_and_bad_eps_are_rejected(trained):
    model, x, y = trained
    with pytest.raises(ValueError):
        attacks.fgsm(model, x + 1.5, y, 0.1)
    with pytest.raises(ConfigError):
        attacks.fgsm(model, x, y, -0.1)
    with pytest.raises(ConfigError):
        attacks.pgd_linf(model, x, y, math.nan, 0.01, 5)


def test_model_mode_and_grad_flags_restored(trained):
    model, x, y = trained
    model.train()
    model.zero_grad(set_to_none=True)
    model[0].weight.requires_grad_(True)
    attacks.pgd_linf(model, x[:10], y[:10], 0.1, 0.01, 3)
    attacks.pgd_iterations_to_fool(model, x[:10], y[:10], 0.1, 0.01, 3)
    assert model.training and model[0].weight.requires_grad
    assert model[0].weight.grad is None
    model.eval()


def test_deepfool_fools_within_box(trained):
    model, x, y = trained
    ok = attacks.correct_under(model, None, x, y)
    xs, ys = x[ok][:40], y[ok][:40]
    for norm in ("l2", "linf"):
        adv = attacks.deepfool(model, xs, ys, norm=norm, steps=50)
        assert float(adv.min()) >= 0 and float(adv.max()) <= 1
        fooled = attacks.predict(model, adv) != ys
        assert float(fooled.float().mean()) > 0.9
        sizes = attacks.minimal_perturbation(model, xs, ys, norm=norm, steps=50)
        assert torch.isfinite(sizes).sum() == fooled.sum()
        assert bool((sizes[torch.isfinite(sizes)] > 0).all())


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_attacks_on_cuda(trained):
    model, x, y = trained
    cuda_model = small_cnn().cuda()
    cuda_model.load_state_dict(model.state_dict())
    cuda_model.eval()
    for fn in (lambda m, a, b: attacks.fgsm(m, a, b, 0.1), lambda m, a, b: attacks.pgd_linf(m, a, b, 0.1, 0.01, 5)):
        assert attacks.accuracy_under(cuda_model, fn, x, y) == pytest.approx(attacks.accuracy_under(model, fn, x, y),
                                                                             abs=0.02)
    iters = attacks.pgd_iterations_to_fool(cuda_model, x.cuda(), y.cuda(), 0.1, 0.01, 5)
    assert iters.device.type == "cuda"


def test_missing_torchattacks_is_one_clear_error(monkeypatch):
    import sys

    from dprob_utils.attacks.base import _torchattacks
    from dprob_utils.config.errors import DprobError

    monkeypatch.setitem(sys.modules, "torchattacks", None)  # makes `import torchattacks` raise ImportError
    with pytest.raises(DprobError, match="pip install --no-deps torchattacks"):
        _torchattacks()
