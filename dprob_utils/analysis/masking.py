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

Paper 2 itself reads criteria 2 and 3 from the Boundary attack against PGD on the same model (its Table V beside
Fig. 7) and criterion 7 from CW₂ examples transferred among similar models (its Fig. 8): those are the rows
``2``, ``3`` and ``7`` when their measurements are given (``ba_vs_pgd``, ``cw_transfer``), and the table's
measurements above become the variant rows ``2 (Square)``, ``3 (CW vs BA)`` and ``7 (PGD substitute)``.

Every comparison is decided from a 95% interval, not from the point estimates: the difference of two success
rates by Newcombe's hybrid score interval (from each rate's Wilson interval and its number of points), a single
rate by its Wilson interval. A criterion is **violated** when the interval lies wholly on the violating side
(the white-box attack significantly worse; the unbounded attack significantly below ``masking_full_success``;
a significant drop along a curve, or a plateau: final success significantly below ``masking_full_success``
with a gain of at most ``masking_tolerance`` over the upper half of the grid), **holds** when it lies above
``-masking_tolerance`` (for a rate: above ``masking_full_success - masking_tolerance``), and is
**inconclusive** otherwise. Masking is suspected when some criterion is violated.
AutoAttack (Croce & Hein 2020: APGD-CE, APGD-T, FAB-T, Square; torchattacks) at ε is reported beside the
verdict as the standard reliable robustness evaluation: when it beats PGD by far, PGD underestimates the
threat.
"""

from __future__ import annotations

import dataclasses
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
    """One property: ``holds`` is True, False (violated) or None (inconclusive, or not measured); ``interval``:
    the 95% interval the decision rests on (``[low, high]``); ``variant``: empty for the criterion as paper 2
    measures it, else what this row measures instead (e.g. ``"Square"``)."""

    number: int
    statement: str
    holds: bool | None
    numbers: dict[str, float]
    detail: str
    interval: list[float] | None = None
    measured: bool = True
    variant: str = ""

    @property
    def verdict(self) -> str:
        if not self.measured:
            return "not measured"
        return {True: "holds", False: "violated", None: "inconclusive"}[self.holds]

    @property
    def label(self) -> str:
        return f"{self.number}" + (f" ({self.variant})" if self.variant else "")


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
    # points behind each rate where it differs from ``n`` (CW₂ / BA₂ comparison, CW₂ unbounded, transfer, PGD on
    # every point)
    n_l2: int | None = None
    n_cw: int | None = None
    n_transfer: int | None = None
    n_all: int | None = None
    # paper 2's way: the Boundary attack within each L2 bound and PGD at ``eps`` on the same ``n_ba`` points
    ba_vs_pgd: dict[str, float] | None = None
    n_ba: int | None = None
    # paper 2's way: CW₂ examples of the other models of the group, transferred to this one (pooled)
    cw_transfer: float | None = None
    n_cw_transfer: int | None = None


@dataclass
class MaskingReport:
    """The seven verdicts and the evidence behind them."""

    criteria: list[Criterion]
    evidence: MaskingEvidence

    @property
    def main(self) -> list[Criterion]:
        """The seven criteria as paper 2 measures them (one row each), without the variant rows."""
        return [c for c in self.criteria if not c.variant]

    @property
    def violated(self) -> list[int]:
        """Numbers of the criteria violated as paper 2 measures them (whole 95% interval)."""
        return [c.number for c in self.main if c.measured and c.holds is False]

    @property
    def violated_variants(self) -> list[str]:
        return [c.label for c in self.criteria if c.variant and c.measured and c.holds is False]

    @property
    def suspected(self) -> bool:
        """True when any criterion, measured the paper's way, is violated."""
        return bool(self.violated)

    def verdict(self) -> str:
        extra = f"; variants violated: {', '.join(self.violated_variants)}" if self.violated_variants else ""
        if self.suspected:
            return "masking suspected (violated: " + ", ".join(map(str, self.violated)) + ")" + extra
        unclear = [c.number for c in self.main if c.measured and c.holds is None]
        missing = [c.number for c in self.main if not c.measured]
        notes = ([f"inconclusive: {', '.join(map(str, unclear))}"] if unclear else []) + (
            [f"not measured: {', '.join(map(str, missing))}"] if missing else [])
        return "no sign of masking" + (f" ({'; '.join(notes)})" if notes else "") + extra

    def to_dict(self) -> dict:
        return {"suspected": self.suspected, "violated": self.violated, "verdict": self.verdict(),
                "violated_variants": self.violated_variants,
                "criteria": [asdict(c) | {"verdict": c.verdict, "label": c.label} for c in self.criteria],
                "evidence": asdict(self.evidence)}


def _pct(v: float | None) -> str:
    return "n/a" if v is None else f"{100 * v:.1f}%"


def _wilson(p: float, n: int) -> tuple[float, float]:
    from dprob_utils.analysis.intervals import wilson

    if not n or p is None or p != p:  # no points, or an undefined rate (NaN)
        return float("nan"), float("nan")
    iv = wilson(int(round(p * n)), n)
    return iv.low, iv.high


def newcombe(a: float, n_a: int, b: float, n_b: int) -> tuple[float, float, float]:
    """``a − b`` of two success rates on ``n_a`` and ``n_b`` points and its 95% interval by Newcombe's hybrid score
    method (method 10 of Newcombe 1998), from the Wilson interval of each rate."""
    la, ua = _wilson(a, n_a)
    lb, ub = _wilson(b, n_b)
    d = a - b
    return d, d - ((a - la) ** 2 + (ub - b) ** 2) ** 0.5, d + ((ua - a) ** 2 + (b - lb) ** 2) ** 0.5


def _side(low: float, high: float, tol: float) -> bool | None:
    """A difference "A − B" where the criterion wants A ≥ B: violated (False) when wholly below 0, holds (True)
    when wholly above ``-tol``, else None (inconclusive)."""
    if high < 0:
        return False
    if low >= -tol:
        return True
    return None


def _curve_check(grid: Sequence[float], success: Sequence[float], n: int, tol: float, full: float,
                 what: str) -> tuple[bool | None, dict[str, float], str, list[float]]:
    """No significant drop along the curve (Newcombe interval of the largest fall wholly above 0), and no plateau:
    the final success significantly below ``full`` (Wilson) with a gain of at most ``tol`` over the upper half of
    the grid. Holds when the final success is at least ``full - tol`` (Wilson low) or the gain is significantly
    above ``tol``; inconclusive otherwise."""
    best, drop, at = -1.0, 0.0, (0.0, 0.0)
    for s in success:
        if best - s > drop:
            drop, at = best - s, (best, s)
        best = max(best, s)
    final = success[-1]
    half = max(g for g in grid if g <= grid[-1] / 2) if any(g <= grid[-1] / 2 for g in grid) else grid[0]
    mid = success[list(grid).index(half)]
    gain = final - mid
    f_lo, f_hi = _wilson(final, n)
    g, g_lo, g_hi = newcombe(final, n, mid, n)
    numbers = {"final": final, "at_half": mid, "half": float(half), "last": float(grid[-1]), "gain": gain,
               "largest_drop": drop}
    if drop > 0:
        _, d_lo, d_hi = newcombe(at[0], n, at[1], n)
        if d_lo > 0:
            return False, numbers, f"success falls by {100 * drop:.1f} points as {what} grows", [d_lo, d_hi]
    if f_hi < full and gain <= tol:
        return False, numbers, (f"plateau at {_pct(final)} (95% interval up to {_pct(f_hi)}; only "
                                f"{100 * gain:+.1f} points from {what} {half:g} to {grid[-1]:g})"), [f_lo, f_hi]
    if f_lo >= full - tol:
        return True, numbers, f"reaches {_pct(final)} at {what} {grid[-1]:g}", [f_lo, f_hi]
    if g_lo > tol:
        return True, numbers, (f"still rising: {_pct(mid)} at {what} {half:g} → {_pct(final)} at {grid[-1]:g}"
                               ), [g_lo, g_hi]
    return None, numbers, (f"{_pct(mid)} at {what} {half:g} → {_pct(final)} at {grid[-1]:g}: neither a "
                           "significant plateau nor a significant rise"), [f_lo, f_hi]


def _unmeasured(no: int, variant: str = "") -> Criterion:
    return Criterion(no, STATEMENTS[no], None, {}, "not measured", measured=False, variant=variant)


def judge(ev: MaskingEvidence, tolerance: float = 0.03, full_success: float = 0.99) -> MaskingReport:
    """The seven verdicts from the measurements, each from a 95% interval (see the module docstring), and the
    variant rows of criteria 2, 3 and 7 where paper 2's own measurements are given too."""
    tol, out = tolerance, []

    def pair(no: int, a: float | None, n_a: int | None, b: float | None, n_b: int | None, na: str, nb: str,
             where: str, variant: str = "") -> Criterion:
        if a is None or b is None or not n_a or not n_b:
            return _unmeasured(no, variant)
        d, lo, hi = newcombe(a, n_a, b, n_b)
        holds = _side(lo, hi, tol)
        cmp = {True: "≥", False: "<", None: "≈"}[holds]
        return Criterion(no, STATEMENTS[no], holds, {na: a, nb: b, "difference": d},
                         f"{na} {_pct(a)} {cmp} {nb} {_pct(b)} {where} (difference {100 * d:+.1f} points, 95% "
                         f"interval [{100 * lo:+.1f}, {100 * hi:+.1f}])", [lo, hi], variant=variant)

    n_l2 = ev.n_l2 or ev.n
    at = f"at ε = {ev.eps:g}"
    out.append(pair(1, ev.pgd, ev.n, ev.fgsm, ev.n, "PGD", "FGSM", at))
    paper_way = ev.ba_vs_pgd is not None and ev.n_ba
    for no in (2, 3):
        if paper_way:
            pgd = ev.ba_vs_pgd["pgd"]
            rows = [pair(no, pgd, ev.n_ba, ev.ba_vs_pgd[f"ba_{e:g}"], ev.n_ba, f"PGD∞ ε = {ev.eps:g}",
                         f"BA₂ ε₂ = {e:g}", "on the Boundary attack's points") for e in ev.l2_eps]
            out.append(_worst(no, rows))
        else:
            out.append(_unmeasured(no))
    variant2 = pair(2, ev.pgd, ev.n, ev.square, ev.n, "PGD", "Square", at, variant="Square")
    if ev.cw_at is None or ev.ba_at is None:
        variant3 = _unmeasured(3, "CW vs BA")
    else:
        variant3 = _worst(3, [pair(3, c, n_l2, b, n_l2, f"CW₂ ε₂ = {e:g}", f"BA₂ ε₂ = {e:g}", "", variant="CW vs BA")
                              for e, c, b in zip(ev.l2_eps, ev.cw_at, ev.ba_at, strict=True)], "CW vs BA")
    if ev.unbounded is None:
        out.append(_unmeasured(4))
    else:
        n4 = ev.n_cw or n_l2
        lo, hi = _wilson(ev.unbounded, n4)
        holds = False if hi < full_success else (True if lo >= full_success - tol else None)
        out.append(Criterion(4, STATEMENTS[4], holds, {"CW unbounded": ev.unbounded},
                             f"CW₂ fools {_pct(ev.unbounded)} at any distance (95% interval [{_pct(lo)}, "
                             f"{_pct(hi)}] of {n4} points)", [lo, hi]))
    for no, grid, succ, what, n_curve in ((5, ev.iter_grid, ev.iter_success, "iterations", ev.n_all or ev.n),
                                          (6, ev.eps_grid, ev.eps_success, "ε", ev.n_all or ev.n)):
        if succ is None or not grid:
            out.append(_unmeasured(no))
        else:
            holds, nums, det, iv = _curve_check(grid, succ, n_curve, tol, full_success, what)
            out.append(Criterion(no, STATEMENTS[no], holds, nums, det, iv))
    white, n_white = (ev.pgd, ev.n) if ev.pgd_all is None else (ev.pgd_all, ev.n_all or ev.n)
    if ev.cw_transfer is not None and ev.n_cw_transfer:
        out.append(pair(7, white, n_white, ev.cw_transfer, ev.n_cw_transfer, "PGD white-box",
                        "CW₂ transferred from the group's other models", at))
    else:
        out.append(_unmeasured(7))
    variant7 = pair(7, white, n_white, ev.transfer, ev.n_transfer or n_white, "PGD white-box",
                    "PGD transfer from an SGD substitute", at, variant="PGD substitute")
    extra = []
    if paper_way:
        extra += [variant2, variant3]
    else:  # without paper 2's own measurements, the table's are the rows of 2 and 3
        out[1], out[2] = dataclasses.replace(variant2, variant=""), dataclasses.replace(variant3, variant="")
    if out[6].measured:
        extra.append(variant7)
    else:
        out[6] = dataclasses.replace(variant7, variant="")
    return MaskingReport(criteria=out + extra, evidence=ev)


def _worst(no: int, rows: list[Criterion], variant: str = "") -> Criterion:
    """One criterion from several comparisons (one per L2 bound): violated if any is, holds if all do."""
    states = [r.holds for r in rows]
    holds = False if False in states else (True if all(h is True for h in states) else None)
    pick = next((r for r in rows if r.holds is False), next((r for r in rows if r.holds is None), rows[0]))
    numbers = {k: v for r in rows for k, v in r.numbers.items() if k != "difference"}
    return Criterion(no, STATEMENTS[no], holds, numbers, "; ".join(r.detail for r in rows), pick.interval,
                     variant=variant)


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
