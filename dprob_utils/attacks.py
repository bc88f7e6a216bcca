"""Adversarial attacks behind one uniform, batched interface.

Every attack takes a classifier ``model`` (logits out), images ``x`` in [0, 1] (``[N, C, H, W]``) and integer
labels ``y`` (``[N]``), and returns adversarial images in [0, 1] on the model's device. The model is put in
eval mode for the attack and its previous mode is restored afterwards. Everything runs on the model's device
(CPU or CUDA); inputs on another device are moved there batch by batch.

=================================  =======================================================================
function                           what it is
=================================  =======================================================================
:func:`fgsm`                       paper 1 eq. (3), torchattacks ``FGSM``
:func:`fgsm_curve`                 accuracy under FGSM for many ε at once (one gradient per sample; the
                                   test suite checks it equals torchattacks ``FGSM`` at every ε)
:func:`pgd_linf`                   paper 1 eq. (4), torchattacks ``PGD`` (L∞, starts at ``x`` unless
                                   ``random_start``)
:func:`pgd_iterations_to_fool`     per sample, the first PGD iteration whose iterate is misclassified
                                   (paper 1 Fig. 4); ``-1`` = never within ``max_iters``
:func:`pgd_alpha`                  the PGD step size from a rule such as ``"2.5*eps/steps"``
:func:`deepfool`                   full iterative DeepFool (foolbox ``L2DeepFoolAttack`` /
                                   ``LinfDeepFoolAttack``, batched)
:func:`accuracy_under`             accuracy of ``model`` on ``attack_fn(model, x, y)``, batched
=================================  =======================================================================

The loss of FGSM and PGD is the cross-entropy of the logits, as in torchattacks and in paper 1.
"""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

import torch
from torch import nn

from .errors import ConfigError, DprobError

AttackFn = Callable[[nn.Module, torch.Tensor, torch.Tensor], torch.Tensor]

# --------------------------------------------------------------------------- helpers


def model_device(model: nn.Module) -> torch.device:
    """The device of the model's first parameter (CPU for a model without parameters)."""
    try:
        return next(model.parameters()).device
    except StopIteration:
        return torch.device("cpu")


@contextmanager
def eval_mode(model: nn.Module) -> Iterator[nn.Module]:
    """Put ``model`` in eval mode and disable parameter gradients for the block; restore both afterwards."""
    was_training = model.training
    flags = [(p, p.requires_grad) for p in model.parameters()]
    model.eval()
    for p, _ in flags:
        p.requires_grad_(False)
    try:
        yield model
    finally:
        for p, flag in flags:
            p.requires_grad_(flag)
        model.train(was_training)


def _check_box(x: torch.Tensor) -> None:
    if x.numel() and (float(x.min()) < 0.0 or float(x.max()) > 1.0):
        raise ValueError("attack inputs must lie in [0, 1]")


def _check_eps(eps: float, name: str = "eps") -> None:
    if not (eps >= 0 and math.isfinite(eps)):
        raise ConfigError(f"{name} must be a finite number >= 0, got {eps}")


def _batches(n: int, batch_size: int) -> Iterator[slice]:
    if batch_size <= 0:
        raise ConfigError(f"batch_size must be > 0, got {batch_size}")
    for i in range(0, n, batch_size):
        yield slice(i, min(n, i + batch_size))


@torch.no_grad()
def predict(model: nn.Module, x: torch.Tensor, batch_size: int = 2000) -> torch.Tensor:
    """Predicted classes (``LongTensor [N]`` on ``x``'s device), batched, in eval mode."""
    dev = model_device(model)
    out = []
    with eval_mode(model):
        for s in _batches(len(x), batch_size):
            out.append(model(x[s].to(dev)).argmax(1).to(x.device))
    return torch.cat(out) if out else torch.empty(0, dtype=torch.long, device=x.device)


def _input_grad(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Gradient of the summed cross-entropy with respect to ``x`` (sum, not mean: no 1/N underflow)."""
    x = x.detach().clone().requires_grad_(True)
    loss = nn.functional.cross_entropy(model(x), y, reduction="sum")
    return torch.autograd.grad(loss, x)[0]


def _torchattacks():
    """torchattacks, or one clear error: it is installed without its dependencies (it pins an old ``requests``
    and a torchvision that does not import beside the CPU torch wheel; it needs neither at run time)."""
    try:
        import torchattacks
    except ImportError as e:
        raise DprobError("torchattacks is not installed: run `pip install --no-deps torchattacks==3.5.1` "
                         "(see scripts/install.sh)") from e
    return torchattacks


# --------------------------------------------------------------------------- FGSM


def fgsm(model: nn.Module, x: torch.Tensor, y: torch.Tensor, eps: float) -> torch.Tensor:
    """FGSM (paper 1 eq. (3)): ``clip(x + eps * sign(grad_x CE), 0, 1)``, by torchattacks ``FGSM``."""
    torchattacks = _torchattacks()

    _check_eps(eps)
    _check_box(x)
    dev = model_device(model)
    x, y = x.to(dev), y.to(dev)
    if eps == 0:
        return x.detach().clone()
    with eval_mode(model):
        return torchattacks.FGSM(model, eps=float(eps))(x, y).detach()


def fgsm_curve(model: nn.Module, x: torch.Tensor, y: torch.Tensor, eps_list: Sequence[float],
               batch_size: int = 1000) -> list[float]:
    """Accuracy under FGSM at every ε of ``eps_list`` (fractions in [0, 1]).

    The FGSM direction ``sign(grad_x CE(x, y))`` does not depend on ε, so it is computed once per sample and
    each ε costs one forward pass: the same adversarial images as :func:`fgsm` (a test checks it), ``len(eps)``
    times cheaper.
    """
    for e in eps_list:
        _check_eps(e)
    _check_box(x)
    dev = model_device(model)
    correct = torch.zeros(len(eps_list), dtype=torch.long)
    with eval_mode(model):
        for s in _batches(len(x), batch_size):
            xb, yb = x[s].to(dev), y[s].to(dev)
            direction = _input_grad(model, xb, yb).sign()
            with torch.no_grad():
                for i, e in enumerate(eps_list):
                    adv = xb if e == 0 else torch.clamp(xb + float(e) * direction, 0, 1)
                    correct[i] += int((model(adv).argmax(1) == yb).sum())
    n = max(len(x), 1)
    return [int(c) / n for c in correct]


# --------------------------------------------------------------------------- PGD

_OPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
        ast.Pow: operator.pow}


def _eval_rule(node: ast.AST, names: dict[str, float]) -> float:
    if isinstance(node, ast.Expression):
        return _eval_rule(node.body, names)
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
        return float(node.value)
    if isinstance(node, ast.Name) and node.id in names:
        return float(names[node.id])
    if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
        return _OPS[type(node.op)](_eval_rule(node.left, names), _eval_rule(node.right, names))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -_eval_rule(node.operand, names)
    raise ValueError


PGD_ALPHA_RULES = {
    "madry": "2.5*eps/steps",  # Madry et al. (2018): 2.5 ε / steps, so that the walk can reach the ball's edge
    "eps/steps": "eps/steps",  # the smallest step that can still reach the edge from x
    "eps/4": "eps/4",
    "kurakin": "1/255",  # Kurakin et al.'s BIM step of one grey level
}


def pgd_alpha(eps: float, steps: int, rule: str | float = "2.5*eps/steps") -> float:
    """The PGD step size α for radius ``eps`` and ``steps`` iterations.

    ``rule`` is a number (a fixed α), a name of :data:`PGD_ALPHA_RULES` (``"madry"``, ``"eps/steps"``,
    ``"eps/4"``, ``"kurakin"``) or an arithmetic expression in ``eps`` and ``steps`` such as
    ``"2.5*eps/steps"`` (the default: Madry et al.'s rule; paper 1 does not state its step size).
    """
    _check_eps(eps)
    if steps <= 0:
        raise ConfigError(f"steps must be > 0, got {steps}")
    if isinstance(rule, (int, float)):
        alpha = float(rule)
    else:
        expr = PGD_ALPHA_RULES.get(rule.strip(), rule)
        try:
            alpha = _eval_rule(ast.parse(expr, mode="eval"), {"eps": eps, "steps": steps})
        except (ValueError, SyntaxError, ZeroDivisionError):
            raise ConfigError(f"unknown PGD step-size rule {rule!r}: use a number, one of "
                              f"{', '.join(PGD_ALPHA_RULES)}, or an expression in eps and steps") from None
    if not (alpha >= 0 and math.isfinite(alpha)):
        raise ConfigError(f"PGD step-size rule {rule!r} gives α = {alpha}; it must be a finite number >= 0")
    return alpha


def pgd_linf(model: nn.Module, x: torch.Tensor, y: torch.Tensor, eps: float, alpha: float, steps: int,
             random_start: bool = False) -> torch.Tensor:
    """L∞ PGD (paper 1 eq. (4)) by torchattacks ``PGD``: ``steps`` signed-gradient steps of size ``alpha``, each
    followed by projection on the ε-ball around ``x`` and on [0, 1]. Starts at ``x`` (as eq. (4)) unless
    ``random_start`` (uniform in the ball, Madry et al.)."""
    torchattacks = _torchattacks()

    _check_eps(eps)
    _check_eps(alpha, "alpha")
    if steps < 0:
        raise ConfigError(f"steps must be >= 0, got {steps}")
    _check_box(x)
    dev = model_device(model)
    x, y = x.to(dev), y.to(dev)
    if eps == 0 or steps == 0:
        return x.detach().clone()
    with eval_mode(model):
        atk = torchattacks.PGD(model, eps=float(eps), alpha=float(alpha), steps=int(steps),
                               random_start=bool(random_start))
        return atk(x, y).detach()


def pgd_iterations_to_fool(model: nn.Module, x: torch.Tensor, y: torch.Tensor, eps: float, alpha: float,
                           max_iters: int, batch_size: int = 1000) -> torch.Tensor:
    """For each sample, the number of PGD iterations (eq. (4), start at ``x``) after which the model first
    predicts a class other than ``y``: ``0`` if ``x`` itself is misclassified, ``-1`` if no iterate up to
    ``max_iters`` is (the sample was never fooled). Returns a ``LongTensor [N]`` on ``x``'s device.

    Samples already fooled stop being updated (the count is that of the first fooling iterate), so the
    cost falls as the attack succeeds.
    """
    _check_eps(eps)
    _check_eps(alpha, "alpha")
    if max_iters < 0:
        raise ConfigError(f"max_iters must be >= 0, got {max_iters}")
    _check_box(x)
    dev = model_device(model)
    out = torch.full((len(x),), -1, dtype=torch.long)
    with eval_mode(model):
        for s in _batches(len(x), batch_size):
            x0, yb = x[s].to(dev), y[s].to(dev)
            result = torch.full((len(yb),), -1, dtype=torch.long, device=dev)
            with torch.no_grad():
                result[model(x0).argmax(1) != yb] = 0
            active = torch.nonzero(result < 0).squeeze(1)
            adv = x0[active].clone()
            for it in range(1, max_iters + 1):
                if active.numel() == 0:
                    break
                grad = _input_grad(model, adv, yb[active])
                adv = adv + alpha * grad.sign()
                adv = torch.clamp(x0[active] + torch.clamp(adv - x0[active], -eps, eps), 0, 1)
                with torch.no_grad():
                    fooled = model(adv).argmax(1) != yb[active]
                result[active[fooled]] = it
                active, adv = active[~fooled], adv[~fooled]
            out[s] = result.cpu()
    return out.to(x.device)


# --------------------------------------------------------------------------- DeepFool


def deepfool(model: nn.Module, x: torch.Tensor, y: torch.Tensor, norm: str = "l2", steps: int = 50,
             overshoot: float = 0.02, candidates: int | None = 10, batch_size: int = 500) -> torch.Tensor:
    """Full iterative DeepFool (Moosavi-Dezfooli et al. 2016) by foolbox ``L2DeepFoolAttack`` or
    ``LinfDeepFoolAttack`` (batched; torchattacks' DeepFool loops over samples and is L2-only).

    Each step linearises the logits around the current iterate and jumps to the closest linearised boundary
    among the ``candidates`` most likely classes (10 = all MNIST classes), with ``overshoot``; it stops at
    the first misclassified iterate or after ``steps``. Iterates are clipped to [0, 1]. Where it fails the
    returned image is still correctly classified (check with :func:`predict`).
    """
    import foolbox as fb

    if norm not in ("l2", "linf"):
        raise ConfigError(f"DeepFool norm must be 'l2' or 'linf', got {norm!r}")
    _check_box(x)
    dev = model_device(model)
    cls = fb.attacks.L2DeepFoolAttack if norm == "l2" else fb.attacks.LinfDeepFoolAttack
    attack = cls(steps=int(steps), candidates=candidates, overshoot=float(overshoot), loss="logits")
    out = []
    with eval_mode(model):
        fmodel = fb.PyTorchModel(model, bounds=(0, 1), device=dev)
        for s in _batches(len(x), batch_size):
            xb, yb = x[s].to(dev), y[s].to(dev)
            _, clipped, _ = attack(fmodel, xb, yb, epsilons=None)
            out.append(clipped.detach())
    return torch.cat(out) if out else x.to(dev).clone()


def minimal_perturbation(model: nn.Module, x: torch.Tensor, y: torch.Tensor, norm: str = "l2",
                         **deepfool_kwargs) -> torch.Tensor:
    """Size ``||x_adv - x||`` (L2 or L∞, as ``norm``) of the DeepFool perturbation per sample; ``inf``
    where DeepFool did not reach another class. Returns a float tensor ``[N]`` on the CPU."""
    adv = deepfool(model, x, y, norm=norm, **deepfool_kwargs)
    diff = (adv - x.to(adv.device)).flatten(1)
    size = diff.norm(dim=1) if norm == "l2" else diff.abs().amax(dim=1)
    fooled = predict(model, adv) != y.to(adv.device)
    size = torch.where(fooled, size, torch.full_like(size, math.inf))
    return size.cpu()


# --------------------------------------------------------------------------- evaluation


def correct_under(model: nn.Module, attack_fn: AttackFn | None, x: torch.Tensor, y: torch.Tensor,
                  batch_size: int = 1000) -> torch.Tensor:
    """Per sample, whether ``model`` classifies ``attack_fn(model, x, y)`` correctly (``BoolTensor [N]`` on
    the CPU). ``attack_fn=None`` means the clean images."""
    dev = model_device(model)
    out = []
    for s in _batches(len(x), batch_size):
        xb, yb = x[s].to(dev), y[s].to(dev)
        adv = xb if attack_fn is None else attack_fn(model, xb, yb)
        with torch.no_grad(), eval_mode(model):
            out.append((model(adv.to(dev)).argmax(1) == yb).cpu())
    return torch.cat(out) if out else torch.empty(0, dtype=torch.bool)


def accuracy_under(model: nn.Module, attack_fn: AttackFn | None, x: torch.Tensor, y: torch.Tensor,
                   batch_size: int = 1000) -> float:
    """Accuracy in [0, 1] of ``model`` on the adversarial images ``attack_fn(model, x, y)``, computed batch by
    batch. ``attack_fn`` is e.g. ``lambda m, x, y: pgd_linf(m, x, y, 0.1, 0.01, 40)``; ``None`` = clean."""
    correct = correct_under(model, attack_fn, x, y, batch_size)
    return int(correct.sum()) / len(correct) if len(correct) else 0.0
