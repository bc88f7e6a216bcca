"""A gradient-masking check that any user can run on any model (paper 2 section II-G, Athalye et al. 2018,
Carlini et al. 2019).

Paper 2 lists seven properties of sane, un-masked gradients and reads a violation of any as a sign of
masking. :func:`check_gradient_masking` measures each on a set of correctly classified samples and reports
it as *holds* / *violated* with the numbers behind the verdict:

====  ======================================  ==================================================================
 no.  property                                measured as (ε = ``masking_eps`` in L∞, ε₂ = ``boundary_eps`` in L2)
====  ======================================  ==================================================================
 1    iterative beats one-step                PGD (``pgd_steps``) success ≥ FGSM success at ε
 2    white-box beats black-box               PGD success ≥ Square-attack success at ε (score-based black box,
                                              same norm and bound)
 3    gradient-based beats gradient-free      CW₂ success ≥ Boundary-attack success at every ε₂
 4    unbounded attacks reach 100%            CW₂ success at any distance ≥ ``masking_full_success``
 5    more iterations raise success           PGD success at ε against iterations: no drop, and no plateau below
                                              ``masking_full_success`` over the second half of the iterations
 6    larger bounds raise success             PGD success against ε: no drop, and no plateau below
                                              ``masking_full_success`` over the upper half of the ε range
 7    white-box beats transfer                PGD success ≥ success of PGD examples crafted on a similar
                                              substitute model (same architecture, other seed) at ε
====  ======================================  ==================================================================

"≥" allows a slack of ``masking_tolerance`` (sampling noise of success rates on a few hundred samples).
A plateau is a gain of at most that slack while success is still below ``masking_full_success``.
AutoAttack (Croce & Hein 2020: APGD-CE, APGD-T, FAB-T, Square; torchattacks) at ε is reported beside the
verdict as the standard reliable robustness evaluation: when it beats PGD by far, PGD underestimates the
threat.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

import torch
from torch import nn

from dprob_utils.analysis.gradients import input_gradient_zero_share
from dprob_utils.attacks import (
    boundary_attack,
    carlini_wagner_l2,
    fgsm,
    model_device,
    pgd_curves,
    predict,
)
from dprob_utils.attacks.autoattack import autoattack_linf
from dprob_utils.attacks.square import square_linf
from dprob_utils.config.profiles import Paper2Attacks

STATEMENTS = {
    1: "Iterative attacks perform better than one-step attacks",
    2: "White-box attacks perform better than black-box attacks",
    3: "Gradient-based attacks perform better than gradient-free attacks",
    4: "Unbounded attacks reach a 100% success rate",
    5: "More attack iterations increase the success rate",
    6: "A larger distortion bound increases the success rate",
    7: "White-box attacks perform better than transfer from a similar substitute",
}


@dataclass
class Criterion:
    """One property: ``holds`` is True, False (violated) or None (not measured)."""

    number: int
    statement: str
    holds: bool | None
    numbers: dict[str, float]
    detail: str

    @property
    def verdict(self) -> str:
        return {True: "holds", False: "violated", None: "not measured"}[self.holds]


@dataclass
class MaskingEvidence:
    """The measurements the seven criteria are judged on (success rates in [0, 1]; None = not measured).

    ``iter_grid`` / ``iter_success``: PGD at ``eps`` against iterations; ``eps_grid`` / ``eps_success``: PGD
    against the L∞ bound; ``cw_at`` / ``ba_at``: CW₂ / BA₂ success at each L2 bound of ``l2_eps``."""

    eps: float
    n: int
    fgsm: float | None = None
    pgd: float | None = None
    pgd_all: float | None = None  # PGD success on every attack point (criterion 7's white-box side), if wider
    square: float | None = None
    l2_eps: list[float] = field(default_factory=list)
    cw_at: list[float] | None = None
    ba_at: list[float] | None = None
    unbounded: float | None = None
    iter_grid: list[int] = field(default_factory=list)
    iter_success: list[float] | None = None
    eps_grid: list[float] = field(default_factory=list)
    eps_success: list[float] | None = None
    transfer: float | None = None
    autoattack: float | None = None
    input_grad_zero: float | None = None


@dataclass
class MaskingReport:
    """The seven verdicts and the evidence behind them."""

    criteria: list[Criterion]
    evidence: MaskingEvidence

    @property
    def violated(self) -> list[int]:
        return [c.number for c in self.criteria if c.holds is False]

    @property
    def suspected(self) -> bool:
        """True when any measured criterion is violated."""
        return bool(self.violated)

    def verdict(self) -> str:
        if self.suspected:
            return "masking suspected (violated: " + ", ".join(map(str, self.violated)) + ")"
        missing = [c.number for c in self.criteria if c.holds is None]
        return "no sign of masking" + (f" (not measured: {', '.join(map(str, missing))})" if missing else "")

    def to_dict(self) -> dict:
        return {"suspected": self.suspected, "violated": self.violated, "verdict": self.verdict(),
                "criteria": [asdict(c) | {"verdict": c.verdict} for c in self.criteria],
                "evidence": asdict(self.evidence)}


def _pct(v: float | None) -> str:
    return "n/a" if v is None else f"{100 * v:.1f}%"


def _curve_check(grid: Sequence[float], success: Sequence[float], tol: float, full: float,
                 what: str) -> tuple[bool, dict[str, float], str]:
    """No drop larger than ``tol`` along the curve, and no plateau (gain <= tol over the upper half of the
    grid) while success is below ``full``."""
    best, drop = -1.0, 0.0
    for s in success:
        drop = max(drop, best - s)
        best = max(best, s)
    final = success[-1]
    half = max(g for g in grid if g <= grid[-1] / 2) if any(g <= grid[-1] / 2 for g in grid) else grid[0]
    mid = success[list(grid).index(half)]
    gain = final - mid
    plateau = final < full - 1e-6 and gain <= tol
    numbers = {"final": final, "at_half": mid, "half": float(half), "last": float(grid[-1]), "gain": gain,
               "largest_drop": drop}
    if drop > tol:
        return False, numbers, f"success falls by {100 * drop:.1f} points as {what} grows"
    if plateau:
        return False, numbers, (f"plateau at {_pct(final)} (only {100 * gain:+.1f} points from {what} "
                                f"{half:g} to {grid[-1]:g})")
    if final >= full - 1e-6:
        return True, numbers, f"reaches {_pct(final)} at {what} {grid[-1]:g}"
    return True, numbers, f"still rising: {_pct(mid)} at {what} {half:g} → {_pct(final)} at {grid[-1]:g}"


def judge(ev: MaskingEvidence, tolerance: float = 0.03, full_success: float = 0.99) -> MaskingReport:
    """The seven verdicts from the measurements (see the module docstring for each rule)."""
    tol, out = tolerance, []

    def pair(no: int, a: float | None, b: float | None, na: str, nb: str) -> Criterion:
        if a is None or b is None:
            return Criterion(no, STATEMENTS[no], None, {}, "not measured")
        holds = a >= b - tol
        cmp = "≥" if a >= b else ("≈" if holds else "<")
        return Criterion(no, STATEMENTS[no], holds, {na: a, nb: b},
                         f"{na} {_pct(a)} {cmp} {nb} {_pct(b)} at ε = {ev.eps:g}")

    out.append(pair(1, ev.pgd, ev.fgsm, "PGD", "FGSM"))
    out.append(pair(2, ev.pgd, ev.square, "PGD", "Square"))
    if ev.cw_at is None or ev.ba_at is None:
        out.append(Criterion(3, STATEMENTS[3], None, {}, "not measured"))
    else:
        ok = [c >= b - tol for c, b in zip(ev.cw_at, ev.ba_at, strict=True)]
        nums = {f"CW@{e:g}": c for e, c in zip(ev.l2_eps, ev.cw_at, strict=True)}
        nums |= {f"BA@{e:g}": b for e, b in zip(ev.l2_eps, ev.ba_at, strict=True)}
        det = "; ".join(f"ε₂ = {e:g}: CW {_pct(c)} vs BA {_pct(b)}"
                        for e, c, b in zip(ev.l2_eps, ev.cw_at, ev.ba_at, strict=True))
        out.append(Criterion(3, STATEMENTS[3], all(ok), nums, det))
    if ev.unbounded is None:
        out.append(Criterion(4, STATEMENTS[4], None, {}, "not measured"))
    else:
        out.append(Criterion(4, STATEMENTS[4], ev.unbounded >= full_success - 1e-6, {"CW unbounded": ev.unbounded},
                             f"CW₂ fools {_pct(ev.unbounded)} at any distance"))
    for no, grid, succ, what in ((5, ev.iter_grid, ev.iter_success, "iterations"),
                                 (6, ev.eps_grid, ev.eps_success, "ε")):
        if succ is None or not grid:
            out.append(Criterion(no, STATEMENTS[no], None, {}, "not measured"))
        else:
            holds, nums, det = _curve_check(grid, succ, tol, full_success, what)
            out.append(Criterion(no, STATEMENTS[no], holds, nums, det))
    out.append(pair(7, ev.pgd if ev.pgd_all is None else ev.pgd_all, ev.transfer, "PGD white-box", "transfer"))
    return MaskingReport(criteria=out, evidence=ev)








def success_rate(model: nn.Module, adv: torch.Tensor, y: torch.Tensor) -> float:
    """Share in [0, 1] of ``adv`` that ``model`` misclassifies."""
    return float((predict(model, adv) != y.to(adv.device)).float().mean()) if len(y) else float("nan")


# --------------------------------------------------------------------------- the check


def check_gradient_masking(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    settings: Paper2Attacks | None = None,
    *,
    substitute: nn.Module | None = None,
    autoattack: bool = True,
    seed: int = 0,
) -> MaskingReport:
    """Run every attack of the check on ``x`` ``[N, C, H, W]`` in [0, 1], ``y`` ``[N]`` (samples the model
    misclassifies are dropped first) and judge the seven criteria.

    Args:
        settings: attack settings (``Paper2Attacks`` of a profile, e.g. ``get_profile("quick").p2_attacks``);
            default: paper 2's settings.
        substitute: a similar model to craft transfer examples on (criterion 7); None: not measured.
        autoattack: also run AutoAttack (the slowest part) for the reference column.
    """
    s = settings or Paper2Attacks()
    dev = model_device(model)
    x, y = x.to(dev), y.to(dev)
    ok = predict(model, x) == y
    x, y = x[ok], y[ok]
    eps = s.masking_eps
    eps_grid = sorted({*s.pgd_eps, eps})
    curves = pgd_curves(model, x, y, eps_grid, s.pgd_steps, iter_eps=eps, max_iters=max(s.pgd_iter_grid),
                        rel_stepsize=s.pgd_rel_stepsize, random_start=s.pgd_random_start, seed=seed)
    ev = MaskingEvidence(eps=eps, n=len(y), l2_eps=list(s.boundary_eps))
    ev.pgd = curves.success()[curves.eps.index(eps)]
    ev.eps_grid, ev.eps_success = list(curves.eps), curves.success()
    ev.iter_grid = list(s.pgd_iter_grid)
    ev.iter_success = curves.success_vs_iterations(s.pgd_iter_grid)
    ev.fgsm = success_rate(model, fgsm(model, x, y, eps), y)
    ev.square = success_rate(model, square_linf(model, x, y, eps, s.square_queries, seed), y)
    cw = carlini_wagner_l2(model, x, y, s.cw_steps, binary_search_steps=s.cw_binary_search_steps,
                           initial_const=s.cw_initial_const, stepsize=s.cw_stepsize)
    ba = boundary_attack(model, x, y, s.boundary_steps, spherical_step=s.boundary_step, source_step=s.boundary_step,
                         update_stats_every_k=s.boundary_stats_every, seed=seed)
    ev.cw_at = [cw.success(e) for e in s.boundary_eps]
    ev.ba_at = [ba.success(e) for e in s.boundary_eps]
    ev.unbounded = float(cw.fooled.float().mean()) if len(y) else None
    if substitute is not None:
        sub_ok = predict(substitute, x) == y
        sub = pgd_curves(substitute, x[sub_ok], y[sub_ok], [eps], s.pgd_steps, iter_eps=eps,
                         max_iters=s.pgd_steps, rel_stepsize=s.pgd_rel_stepsize,
                         random_start=s.pgd_random_start, keep_adv=[eps], seed=seed)
        ev.transfer = success_rate(model, sub.adv[eps], y[sub_ok])
    if autoattack:
        ev.autoattack = success_rate(model, autoattack_linf(model, x, y, eps, s.autoattack_steps,
                                                            s.autoattack_square_queries, seed), y)
    ev.input_grad_zero = input_gradient_zero_share(model, x, y)
    return judge(ev, s.masking_tolerance, s.masking_full_success)
