"""The replication scorecard: every quantitative claim of both papers, the paper's value, ours, and a verdict.

Claims live in one data file, ``dprob_utils/reference/claims.yaml`` (written from
:mod:`dprob_utils.reference.claims_source`). Each claim names

- ``id``, ``paper`` (1 or 2), ``where`` (table / figure / section) and ``claim`` (the finding in words);
- ``paper_value``: the paper's number(s) as printed;
- ``values``: named selectors into our results, ``"<results name>:<path>"`` (see :func:`select`);
- ``rule``: a Python expression over those names that is true when the finding holds in our results, written
  out next to the claim on the scorecard page (a *point rule*);
- or, for an *interval rule*, ``effect``: an expression (or a list of them) over those names giving an interval
  (or a list of intervals, or a dict of them by label: one effect each)
  as the ``{"estimate", "low", "high", ...}`` dict of :class:`~dprob_utils.analysis.intervals.Interval` that a
  chapter stores), with ``direction`` (``">"`` or ``"<"``) and ``threshold`` (default 0): the paper's side of
  the threshold, or ``direction: within`` and ``threshold: [low, high]`` for a magnitude (the band the paper's
  size allows), or ``thresholds``: one per effect of a list; ``paper_estimate`` (optional) is the paper's number in the effect's units;
- optionally ``erratum``: how the paper's printed number is wrong (from its reference row), shown beside it;
- optionally ``inconclusive_if``: an expression that, when true, makes the verdict ``inconclusive`` (e.g. the
  difference is within the sampling noise of the profile), and ``show``: the expression displayed as "ours".

Verdicts of an interval rule (:func:`~dprob_utils.analysis.intervals.verdict`; with several effects, all
must be reproduced, and one contradicted contradicts): ``reproduced`` (the whole 95% interval lies on the
paper's side), ``contradicted`` (wholly on the other side), ``inconclusive`` (it straddles the threshold).
Verdicts of a point rule: ``reproduced`` (rule true), ``not reproduced`` (rule false), ``inconclusive``
(``inconclusive_if`` holds). Either: ``not run`` when a value is missing (the chapter did not run, or the
profile skips that setting).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from dprob_utils.analysis import intervals
from dprob_utils.book.results import load_json
from dprob_utils.config import rules

CLAIMS_FILE = Path(__file__).resolve().parents[1] / "reference" / "claims.yaml"
VERDICTS = ("reproduced", "not reproduced", "contradicted", "inconclusive", "not run")
def _values(d: dict) -> list:
    return list(d.values())


def _mean(xs) -> float:
    xs = list(xs)
    return sum(xs) / len(xs)


def _increasing(xs, strict: bool = False) -> bool:
    xs = list(xs)
    return all((b > a) if strict else (b >= a) for a, b in zip(xs, xs[1:]))


def _offdiag(matrix) -> list:
    """Entries of a square matrix (list of rows) off its diagonal."""
    return [v for i, row in enumerate(matrix) for j, v in enumerate(row) if i != j]


RULE_FUNCTIONS = {"values": _values, "mean": _mean, "increasing": _increasing, "offdiag": _offdiag,
                  "startswith": lambda s, prefix: str(s).startswith(prefix)}


class MissingValue(LookupError):
    """A selector found nothing (chapter not run for this profile, or setting not in its grid)."""


def safe_eval(expr: str, names: dict[str, Any]) -> Any:
    """A claim's rule evaluated on ``names`` (:func:`dprob_utils.config.rules.safe_eval` with the claims'
    functions :data:`RULE_FUNCTIONS`)."""
    return rules.safe_eval(expr, names, RULE_FUNCTIONS)


_SEGMENT = re.compile(r"^(?P<name>[^\[\]]*)(?:\[(?P<sel>[^\]]*)\])?$")


def _match(item: Any, sel: str) -> bool:
    for cond in sel.split(","):
        key, _, want = cond.partition("=")
        have = item.get(key.strip()) if isinstance(item, dict) else None
        if have is None:
            return False
        try:
            if float(have) != float(want):
                return False
        except (TypeError, ValueError):
            if str(have) != want.strip():
                return False
    return True


def select(data: Any, path: str) -> Any:
    """Follow ``path`` into nested dicts/lists: segments joined by ``/``; ``name[3]`` indexes a list and
    ``name[k=v,k2=v2]`` takes the first list element whose fields match (numbers compared as floats).
    A segment may contain dots (``eps_0.12``). Raises :class:`MissingValue` when anything is absent."""
    cur = data
    for seg in [s for s in path.split("/") if s]:
        m = _SEGMENT.match(seg)
        if not m:
            raise MissingValue(f"bad path segment {seg!r}")
        name, sel = m.group("name"), m.group("sel")
        if name:
            if not isinstance(cur, dict) or name not in cur:
                raise MissingValue(f"{name!r} not found")
            cur = cur[name]
        if sel is not None:
            if not isinstance(cur, list):
                raise MissingValue(f"{name!r} is not a list")
            if sel.strip().lstrip("-").isdigit():
                idx = int(sel)
                if not -len(cur) <= idx < len(cur):
                    raise MissingValue(f"{name}[{idx}] out of range")
                cur = cur[idx]
            else:
                hits = [x for x in cur if _match(x, sel)]
                if not hits:
                    raise MissingValue(f"no element of {name!r} matches [{sel}]")
                cur = hits[0]
    return cur


@dataclass
class Verdict:
    """One row of the scorecard."""

    id: str
    paper: int
    where: str
    claim: str
    paper_value: str
    rule: str
    ours: str
    verdict: str
    reason: str = ""
    kind: str = "point"  # "point" or "interval" rule
    paper_inside: bool | None = None  # the paper's estimate lies inside our interval (interval rules with one)
    n_seeds: int | None = None
    n_points: int | None = None
    interval: list[float] | None = None  # [estimate, low, high] of a single-effect interval rule
    erratum: str = ""  # how the paper's printed number is wrong, if it is

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def load_claims(path: Path = CLAIMS_FILE) -> list[dict]:
    """The claims of ``claims.yaml`` (validated: unique ids, the required fields present)."""
    # libyaml's loader where PyYAML has it: the same claims (tested) in a tenth of the time, once per chapter
    claims = yaml.load(path.read_text(), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    seen = set()
    for c in claims:
        missing = {"id", "paper", "where", "claim", "paper_value", "values"} - set(c)
        missing |= set() if ("rule" in c) != ("effect" in c) else {"rule or effect (one of them)"}
        if missing:
            raise ValueError(f"claim {c.get('id', '?')}: missing {sorted(missing)}")
        if c["id"] in seen:
            raise ValueError(f"duplicate claim id {c['id']}")
        seen.add(c["id"])
    return claims


def _fmt(v: Any) -> str:
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, float):
        return "∞" if math.isinf(v) else f"{v:.4g}"
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_fmt(x) for x in v[:6]) + (", …" if len(v) > 6 else "") + "]"
    return str(v)


def evaluate_claim(claim: dict, profile: str, cache: dict[str, Any] | None = None) -> Verdict:
    """Look up the claim's values in ``results/<profile>/`` and apply its rule."""
    cache = {} if cache is None else cache
    names: dict[str, Any] = {}
    base = dict(id=claim["id"], paper=int(claim["paper"]), where=claim["where"], claim=claim["claim"],
                paper_value=str(claim["paper_value"]), rule=rule_text(claim), erratum=claim.get("erratum", ""),
                kind="interval" if "effect" in claim else "point")
    try:
        for name, selector in claim["values"].items():
            result_name, _, path = selector.partition(":")
            if result_name not in cache:
                cache[result_name] = load_json(profile, result_name)
            if cache[result_name] is None:
                raise MissingValue(f"results/{profile}/{result_name}.json does not exist (chapter not run)")
            names[name] = select(cache[result_name], path)
    except MissingValue as exc:
        return Verdict(**base, ours="–", verdict="not run", reason=f"no value: {exc}")
    if "effect" in claim:
        return _interval_verdict(claim, names, base)
    shown = claim.get("show")
    try:
        ours = _fmt(safe_eval(shown, names)) if shown else "; ".join(f"{k} = {_fmt(v)}" for k, v in names.items())
        holds = bool(safe_eval(claim["rule"], names))
        unclear = bool(safe_eval(claim["inconclusive_if"], names)) if claim.get("inconclusive_if") else False
    except (TypeError, ValueError, ZeroDivisionError, KeyError, IndexError, NameError, AttributeError) as exc:
        return Verdict(**base, ours="–", verdict="inconclusive", reason=f"rule could not be evaluated: {exc}")
    if unclear:
        return Verdict(**base, ours=ours, verdict="inconclusive", reason=f"{claim['inconclusive_if']} holds")
    return Verdict(**base, ours=ours, verdict="reproduced" if holds else "not reproduced")


def rule_text(claim: dict) -> str:
    """The rule in words: a point rule as written, an interval rule as 'effect > threshold (whole 95% interval)'."""
    if "effect" not in claim:
        return claim["rule"]
    effects = claim["effect"] if isinstance(claim["effect"], list) else [claim["effect"]]
    if "thresholds" in claim:
        sides = [f"{claim.get('direction', '>')} {t:g}" for t in claim["thresholds"]]
    elif claim.get("direction") == "within":
        lo, hi = claim["threshold"]
        sides = [f"within [{lo:g}, {hi:g}]"] * len(effects)
    else:
        sides = [f"{claim.get('direction', '>')} {claim.get('threshold', 0):g}"] * len(effects)
    return " and ".join(f"{e} {side}" for e, side in zip(effects, sides)) + " (whole 95% interval)"


def _fmt_interval(iv: intervals.Interval) -> str:
    return f"{iv.estimate:.4g} [{iv.low:.4g}, {iv.high:.4g}]"


def _labelled(v: Any) -> list[tuple[str, dict]]:
    """The intervals of an evaluated effect with their labels: one interval (no label), a list of them (no
    labels), or a dict of them by label (``{"ε = 0.1": interval, ...}``)."""
    if isinstance(v, dict) and "estimate" not in v:
        return [(str(k), d) for k, d in v.items()]
    return [("", d) for d in (v if isinstance(v, list) else [v])]


def _as_interval(d: dict) -> intervals.Interval:
    """An :class:`Interval` from its dict (saved JSON writes non-finite numbers as strings)."""
    bounds = {k: float(d[k]) for k in ("estimate", "low", "high")}
    return intervals.Interval(**(d | bounds))


def _interval_verdict(claim: dict, names: dict[str, Any], base: dict) -> Verdict:
    effects = claim["effect"] if isinstance(claim["effect"], list) else [claim["effect"]]
    if any(v is None for v in names.values()):
        return Verdict(**base, ours="–", verdict="not run", reason="no interval in this profile")
    thresholds = claim.get("thresholds") or [claim.get("threshold", 0)] * len(effects)
    try:
        labelled = [(label, _as_interval(d), t) for e, t in zip(effects, thresholds)
                    for label, d in _labelled(safe_eval(e, names))]
    except (TypeError, ValueError, KeyError, IndexError, NameError) as exc:
        return Verdict(**base, ours="–", verdict="inconclusive", reason=f"effect could not be evaluated: {exc}")
    if not labelled:
        return Verdict(**base, ours="–", verdict="not run", reason="no effect in this profile")
    ivs = [iv for _, iv, _ in labelled]
    direction = claim.get("direction", ">")
    each = [intervals.verdict(iv, direction, t) for _, iv, t in labelled]
    if "not run" in each:
        verdict = "not run"
    elif "contradicted" in each:
        verdict = "contradicted"
    elif all(v == "reproduced" for v in each):
        verdict = "reproduced"
    else:
        verdict = "inconclusive"
    paper = claim.get("paper_estimate")
    inside = ivs[0].contains(float(paper)) if paper is not None and len(ivs) == 1 else None
    ours = "; ".join((f"{label}: " if label else "") + _fmt_interval(iv) for label, iv, _ in labelled)
    return Verdict(**base, ours=ours, verdict=verdict,
                   reason=", ".join(each) if len(each) > 1 else "", paper_inside=inside,
                   n_seeds=min(iv.n_seeds for iv in ivs), n_points=min(iv.n_points for iv in ivs),
                   interval=[ivs[0].estimate, ivs[0].low, ivs[0].high] if len(ivs) == 1 else None)


def evaluate(profile: str, claims: list[dict] | None = None) -> list[Verdict]:
    """Every claim's verdict for ``profile``."""
    cache: dict[str, Any] = {}
    return [evaluate_claim(c, profile, cache) for c in (claims if claims is not None else load_claims())]


def claim_chapter(claim: dict) -> str | None:
    """The chapter whose results a claim reads (its first selector's results file), e.g. ``02_p1_fgsm``."""
    for sel in (claim.get("values") or {}).values():
        return str(sel).split(":", 1)[0]
    return None


def findings_markdown(profile: str, chapter: str, scorecard_page: str = "99_scorecard.html") -> str:
    """Markdown for a chapter's "What we find": how many of its claims each verdict got, then one line per
    claim (where, the finding, the paper's number, ours with its interval, the verdict), each linked to its
    row on the scorecard page."""
    claims = [c for c in load_claims() if claim_chapter(c) == chapter]
    if not claims:
        return "This chapter's results feed no claim of the scorecard."
    verdicts = evaluate(profile, claims)
    lines = [f"Of this chapter's {len(verdicts)} claims: {summary_line(summary(verdicts))}.", ""]
    for v in verdicts:
        lines.append(f"- [{v.id}]({scorecard_page}#{v.id}) ({v.where}): {v.claim}. Paper: {v.paper_value}; "
                     f"ours: {v.ours} → **{v.verdict}**")
    return "\n".join(lines)


FAMILIES = {
    "p1-eq1": "equation (1)'s privacy bound", "p1-clean": "clean accuracy (Table 2's first row)",
    "p1-fgsm": "the FGSM gap (Fig. 2)", "p1-fig3a": "more noise, larger FGSM gap (Fig. 3a)",
    "p1-fig3b": "larger C, larger FGSM gap (Fig. 3b)", "p1-fig3c": "fixed noise: smaller C less robust (Fig. 3c)",
    "p1-fig7": "the large-C plateau (Fig. 7)", "p1-large": "large C masks gradients", "p1-table1": "PGD (Table 1)",
    "p1-fig4": "PGD iterations to fool (Fig. 4)", "p1-distance": "distance to the boundary (Fig. 5)",
    "p1-curvature": "curvature (Fig. 5c)", "p1-cross": "boundary cross-sections (Fig. 1)",
    "p1-mnistc": "MNIST-C corruptions (Table 2)", "p1-cifar": "CIFAR-10 (Fig. 6)",
    "p2-pgd": "PGD success (Figs. 1, 2)", "p2-table2": "CW₂ distances (Table II)",
    "p2-cw": "CW₂ success", "p2-table3": "Boundary attack (Table III)", "p2-transfer": "transfer (Fig. 4)",
    "p2-gradients": "gradient values (Fig. 5)", "p2-zero": "zero gradients (Fig. 6)",
    "p2-table4": "masked models (Table IV)", "p2-table5": "the masking check (Table V)",
    "p2-masking": "gradient masking", "p2-fig7": "masked models under attack (Fig. 7)",
    "p2-fig8": "masked-model transfer (Fig. 8)", "p2-fig9": "masked zero gradients (Fig. 9)",
    "p2-fig10": "masked gradient values (Fig. 10)",
    "privacy-audit": "the audited ε below the accountant's (beyond both papers)",
    "privacy-mia": "DP-SGD lowers membership inference (beyond both papers)",
    "privacy-lira": "DP-SGD lowers calibrated membership inference, LiRA (beyond both papers)",
    "privacy-canary": "DP-SGD lowers membership inference on canaries (beyond both papers)",
}


def family(claim_id: str) -> str:
    """The claim's family: its id's first two parts (``p1-fgsm-gap-012`` → ``p1-fgsm``)."""
    return "-".join(claim_id.split("-")[:2])


def in_words(verdicts: list[Verdict]) -> str:
    """Markdown, per paper: which findings hold (none of the family's claims contradicted, more reproduced than
    inconclusive), which do not (more contradicted than reproduced), and which are mixed or too noisy to tell,
    each with its counts; families none of whose claims ran are left out."""
    out = []
    for paper in sorted({v.paper for v in verdicts}):
        groups: dict[str, list[Verdict]] = {}
        for v in verdicts:
            if v.paper == paper:
                groups.setdefault(family(v.id), []).append(v)
        holds, fails, open_ = [], [], []
        for fam, vs in groups.items():
            c = summary(vs)
            ok, bad = c.get("reproduced", 0), c.get("contradicted", 0) + c.get("not reproduced", 0)
            unsure, absent = c.get("inconclusive", 0), c.get("not run", 0)
            text = (f"{FAMILIES.get(fam, fam)} ({ok} of {len(vs)} reproduced" + (f", {bad} not" if bad else "")
                    + (f", {absent} not run" if absent else "") + ")")
            if ok + bad + unsure == 0:
                continue  # nothing of this family ran: the scorecard lists it as not run
            (holds if ok > unsure and not bad else fails if bad > ok else open_).append(text)
        out.append(f"**Paper {paper}.** Holds: {'; '.join(holds) or 'none'}. Does not hold: "
                   f"{'; '.join(fails) or 'none'}. Mixed or too noisy to tell: {'; '.join(open_) or 'none'}.")
    return "\n\n".join(out)


def summary(verdicts: list[Verdict]) -> dict[str, int]:
    """Counts of each verdict, plus the total."""
    out = {v: sum(1 for x in verdicts if x.verdict == v) for v in VERDICTS}
    out["total"] = len(verdicts)
    return out


def summary_line(counts: dict[str, int]) -> str:
    """``"149 claims: 74 reproduced, ..."`` (verdicts with a count only)."""
    return f"**{counts['total']} claims**: " + ", ".join(f"{counts[v]} {v}" for v in VERDICTS if counts.get(v))


def run_scorecard(profile: str) -> dict:
    """Chapter 99: every claim's verdict against ``results/<profile>/`` and their counts. The results dict of
    ``results/<profile>/99_scorecard.json``."""
    verdicts = evaluate(profile)
    return {"summary": summary(verdicts), "claims": [v.to_dict() for v in verdicts]}
