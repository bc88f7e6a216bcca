"""The chapters' display tables and figure inputs, read from each chapter's results dict.

Every function takes the dict a ``run_<artefact>`` returns (or a part of it) and nothing else, so a notebook
only calls the experiment, then one of these, then displays or plots; the same functions work on a saved
``results/<profile>/<chapter>.json``. Success rates stay fractions in [0, 1] unless a column says %.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from dprob_utils.reference import corrected

Models = dict[str, dict]  # results key -> the model's summary (``experiments.p2.models.summary``) plus its numbers


def _fmt(v: float | None, digits: int = 2) -> str:
    return "∞ (not reached)" if v is None or not math.isfinite(v) else f"{v:.{digits}f}"


def _pct(v: float | None, digits: int = 0) -> str:
    return "–" if v is None else f"{100 * v:.{digits}f}%"


# --------------------------------------------------------------------------- every chapter


def interval_rows(intervals: dict, scale: float = 1.0, prefix: str = "") -> list[dict]:
    """One row per 95% interval of a chapter's ``intervals`` dict (nested by name; an interval is a dict with
    ``estimate``, ``low``, ``high``): its path, ``estimate [low, high]`` times ``scale`` (100 for points),
    seeds, points per seed and the resampling method."""
    rows = []
    for name, v in intervals.items():
        path = f"{prefix}{name}"
        if isinstance(v, dict) and "estimate" in v:
            lo, est, hi = (float(v[k]) * scale for k in ("low", "estimate", "high"))
            rows.append({"quantity": path, "estimate": est, "95% low": lo, "95% high": hi,
                         "seeds": v.get("n_seeds"), "points": v.get("n_points"), "method": v.get("method", "")})
        elif isinstance(v, dict):
            rows += interval_rows(v, scale, f"{path} / ")
    return rows


# --------------------------------------------------------------------------- chapter 01

# paper 1 Table 2's columns (reference/paper1_table2.csv) by (mode, σ, C)
P1_TABLE2_COLUMNS = {("sgd", None, None): "sgd", ("dpsgd", 1.3, 1.0): "dp_s1.3_c1", ("dpsgd", 1.3, 0.8): "dp_s1.3_c0.8",
                     ("dpsgd", 1.3, 1.2): "dp_s1.3_c1.2", ("dpsgd", 0.7, 1.0): "dp_s0.7_c1",
                     ("dpsgd", 1.5, 1.0): "dp_s1.5_c1"}


def p1_accuracy_rows(res: dict, baseline: dict) -> list[dict]:
    """Chapter 01: the clean test accuracy (in [0, 1]) of each paper 1 model that Table 2's baseline row
    (``baseline``: that row of ``reference/paper1_table2.csv``, in %) lists, beside the paper's."""
    rows = []
    for m in res["models"]:
        dp = m["mode"] != "sgd"
        col = P1_TABLE2_COLUMNS.get((m["mode"], m["sigma"] if dp else None, m["clip"] if dp else None))
        if m["group"] == "paper1" and col in baseline:
            rows.append({"label": m["label"], "accuracy": m["accuracy"], "paper accuracy": baseline[col] / 100})
    return rows


# --------------------------------------------------------------------------- paper 1, chapter 06


def p1_table2_rows(run: dict, ours: dict, ref: dict[str, dict], names: Sequence[str],
                   labels: dict[str, str]) -> list[dict]:
    """Chapter 06, Table 2: per corruption (``names``, then the baseline first and the average last), each
    model's accuracy (%) beside the paper's and the SGD − DP-SGD difference. ``run``: ``run_table2``'s dict,
    ``ours``: its ``summarise``, ``ref``: the paper's rows by corruption, ``labels``: the corruptions' names."""
    models = run["models"]
    rows = []
    for n in ["identity", *names, "average"]:
        row = {"corruption": labels.get(n, "Average")}
        for k in models:
            row[f"{models[k]['label']}"] = ours["average"][k] if n == "average" else run["accuracy"][n][k]
            row[f"{models[k]['label']} (paper)"] = ref[n][k]
        row["difference"] = ours["average_gap"] if n == "average" else ours["difference"][n]
        row["difference (paper)"] = ref[n]["difference"]
        rows.append(row)
    return rows


def p1_released_rows(released: dict, models: dict, keys: Sequence[str], labels: dict[str, str]) -> list[dict]:
    """Chapter 06: each model's accuracy on the released and on the generated MNIST-C corruptions."""
    rows = []
    for n in released["corruptions"]:
        r = released["accuracy"][n]
        row = {"corruption": labels[n], "mean |pixel difference|": r["mean_abs_pixel_difference"]}
        for k in keys:
            row[f"{models[k]['label']} generated"] = r[k]["generated"]
            row[f"{models[k]['label']} released"] = r[k]["released"]
        rows.append(row)
    return rows


# --------------------------------------------------------------------------- paper 1, chapter 07


def p1_cifar_distance_rows(res: dict, ref: dict[str, dict]) -> list[dict]:
    """Chapter 07, Figs. 6a, 6b as numbers: mean L∞ and L2 distances and their relative drop, ours (on each
    model's correct images and on the images both classify correctly) beside the paper's (``ref``: the rows of
    ``reference/paper1_cifar.csv`` by quantity; their erratum applied: the paper's L∞ and L2 labels are swapped)."""
    rows = []
    for name, label in (("linf", "L∞"), ("l2", "L2")):
        d, r = res["distances"][f"mean_{name}"], corrected(ref[f"mean_{name}_distance"])
        rows.append({"quantity": f"mean {label} distance", "SGD (ours)": d["sgd"], "DP-SGD (ours)": d["dpsgd"],
                     "drop (ours)": d["relative_drop"], "SGD (paper)": r["sgd"], "DP-SGD (paper)": r["dpsgd"],
                     "drop (paper)": ref[f"{name}_distance_relative_drop"]["difference"],
                     "SGD, common images": d["common_sgd"], "DP-SGD, common images": d["common_dpsgd"]})
    return rows


# --------------------------------------------------------------------------- paper 2, chapters 08-11


def p2_panels(models: Models, arch: str) -> dict[str, list[str]]:
    """Chapters 08, 09: paper 2's split of Figs. 1 and 2 for one architecture, as results keys: SGD with the
    σ = 1.3 models (C varies), and SGD with the other σ (C = 1 and C = 10)."""
    keys = [k for k, m in models.items() if m["arch"] == arch]
    sgd = [k for k in keys if models[k]["mode"] == "sgd"]
    dp = [k for k in keys if models[k]["mode"] != "sgd"]
    return {"σ = 1.3, C varies": sgd + [k for k in dp if models[k]["sigma"] == 1.3],
            "other σ (C = 1, 10)": sgd + [k for k in dp if models[k]["sigma"] != 1.3]}


def p2_curve_panels(models: Models, arch: str, value: Callable[[dict], Sequence[float]]
                    ) -> dict[str, dict[str, Sequence[float]]]:
    """Chapters 08, 09: ``{panel title: {model label: value(model entry)}}`` for ``plots.paper2.curve_panels``."""
    return {title: {models[k]["label"]: value(models[k]) for k in keys}
            for title, keys in p2_panels(models, arch).items()}


def p2_model_rows(models: Models) -> list[dict]:
    """Chapters 08, 11: one row per model: architecture, label, epochs, accuracy, ε, attack points."""
    cols = ("key", "arch", "label", "epochs", "accuracy", "epsilon", "n_points")
    return [{c: m.get(c) for c in cols} for m in models.values()]


def p2_pgd_table(res: dict, show_eps: Sequence[float] = (0.1, 0.2, 0.3, 0.5)) -> list[dict]:
    """Chapter 08, Figs. 1 and 2 as numbers: PGD success (%) at a few ε and at each iteration count."""
    rows = []
    for m in res["models"].values():
        row = {"arch": m["arch"], "model": m["label"]}
        row |= {f"ε={e:g}": 100 * m["success_vs_eps"][m["eps"].index(e)] for e in show_eps if e in m["eps"]}
        row |= {f"{t} it.": 100 * v for t, v in zip(m["iterations"], m["success_vs_iterations"])}
        rows.append(row)
    return rows


def p2_pgd_claims(res: dict) -> list[dict]:
    """Chapter 08: paper 2's claims on Figs. 1 and 2, one row per model: success non-decreasing in ε; success
    at the ε nearest 0.1 beside SGD's; the custom CNN's σ ≥ 2, C = 10 curves against iterations."""
    models = res["models"]
    rows = []
    for m in models.values():
        s = m["success_vs_eps"]
        mono = all(b >= a - 1e-9 for a, b in zip(s, s[1:]))
        rows.append({"claim": "1 success non-decreasing in ε", "model": f"{m['arch']} {m['label']}",
                     "ours": "yes" if mono else "no"})
    for arch in ("p2_custom", "p2_lenet"):
        ms = [m for m in models.values() if m["arch"] == arch]
        sgd = next(m for m in ms if m["mode"] == "sgd")
        mid = min(sgd["eps"], key=lambda e: abs(e - 0.1))

        def at(m: dict, e: float = mid) -> float:
            return m["success_vs_eps"][m["eps"].index(e)]

        rows += [{"claim": f"2/3 success at ε={mid:g} vs SGD", "model": f"{arch} {m['label']}",
                  "ours": f"{100 * at(m):.0f}% vs SGD {100 * at(sgd):.0f}%"} for m in ms if m["mode"] != "sgd"]
    rows += [{"claim": "4 plateau below 100% (custom, σ ≥ 2, C = 10)", "model": m["label"],
              "ours": " → ".join(f"{100 * v:.0f}%" for v in m["success_vs_iterations"])}
             for m in models.values()
             if m["arch"] == "p2_custom" and m["mode"] != "sgd" and m["clip"] == 10 and m["sigma"] >= 2]
    return rows


def p2_cw_table(res: dict) -> list[dict]:
    """Chapter 09, Table II: CW₂'s ε for 100% success (ours and the paper's), median and mean ε over the
    fooled points, success at any ε."""
    return [{"arch": m["arch"], "model": m["label"],
             "ε for 100% (ours)": _fmt(m["cw_eps_full_success"]),
             "ε for 100% (paper)": _fmt(m["cw_eps_full_success_paper"]),
             "median ε (ours)": "–" if m["cw_median_fooled"] is None else f"{m['cw_median_fooled']:.2f}",
             "mean ε (ours)": "–" if m["cw_mean_fooled"] is None else f"{m['cw_mean_fooled']:.2f}",
             "success (ours, any ε)": _pct(m["cw_success_any"]), "n": m["cw_n"]} for m in res["models"].values()]


def _arch_and_label(m: dict) -> dict:
    return {"arch": m["arch"], "model": m["label"]}


def p2_boundary_table(entries: Models, eps: Sequence[float], lead: Callable[[dict], dict] = _arch_and_label,
                      paper: str = "ba_success_paper") -> list[dict]:
    """Chapters 09 and 11, Tables III and V: the Boundary attack's success at each ε (ours and the paper's,
    under ``paper``); ``lead`` gives each row's first columns."""
    rows = []
    for m in entries.values():
        row = lead(m)
        for e in eps:
            ref = m[paper][f"{e:g}"]
            row[f"ε={e:g} ours"] = f"{100 * m['ba_success'][f'{e:g}']:.1f}%"
            row[f"ε={e:g} paper"] = "–" if ref is None else f"{ref:.1f}%"
        row |= {"BA found any": _pct(m["ba_success_any"]), "n": m["ba_n"]}
        rows.append(row)
    return rows


def p2_saturation_table(sat: dict) -> list[dict]:
    """Chapter 09, the Boundary attack's saturation check: per model its success at each ε after the run's
    iterations and after the longer run, the median distance after both, and the points the longer run left
    farther (0 when it continued the shorter walk)."""
    if not sat:
        return []
    rows = []
    for m in sat["models"].values():
        row = {"arch": m["arch"], "model": m["label"]}
        for e, rate in m["success"].items():
            row[f"ε={e}, {sat['steps']} it."] = _pct(rate, 1)
            row[f"ε={e}, {sat['more_steps']} it."] = _pct(m["success_more"][e], 1)
        row |= {"median ε": f"{m['median_dist']:.3f}", "median ε, longer": f"{m['median_dist_more']:.3f}",
                "points farther": m["points_farther"], "n": m["n"]}
        rows.append(row)
    return rows


def _mean_where(mat: dict, rows_pred: Callable[[str], bool], cols_pred: Callable[[str], bool]) -> float:
    vals = [mat["rate"][i][j] for i, r in enumerate(mat["rows"]) for j, c in enumerate(mat["cols"])
            if r != c and rows_pred(r) and cols_pred(c) and int(mat["count"][i][j]) > 0]
    return 100 * sum(vals) / len(vals) if vals else float("nan")


def p2_transfer_table(res: dict) -> list[dict]:
    """Chapter 10, Fig. 4 summarised: mean transfer success (%) between kinds of model (SGD, DP, large and
    small C), rows: crafted on, columns: evaluated on; the diagonal is left out."""
    def is_sgd(lab: str) -> bool:
        return lab == "SGD"

    def is_dp(lab: str) -> bool:
        return lab != "SGD"

    def big_c(lab: str) -> bool:
        return lab.endswith("C=10")

    def small_c(lab: str) -> bool:
        return lab != "SGD" and not lab.endswith("C=10")

    def any_(lab: str) -> bool:
        return True

    return [{"arch": arch, "attack": att, "mean off-diagonal": _mean_where(mat, any_, any_),
             "SGD → DP": _mean_where(mat, is_sgd, is_dp), "DP → SGD": _mean_where(mat, is_dp, is_sgd),
             "DP → DP": _mean_where(mat, is_dp, is_dp),
             "from C=10": _mean_where(mat, big_c, any_), "from smaller C": _mean_where(mat, small_c, any_),
             "to C=10": _mean_where(mat, any_, big_c), "to smaller C": _mean_where(mat, any_, small_c)}
            for arch, mats in res["transfer"].items() for att, mat in mats.items()]


def by_label(values: dict[str, dict], models: Models, arch: str | None = None) -> dict[str, dict]:
    """Chapters 10, 11: ``{key: v}`` re-keyed by each model's label (and restricted to ``arch``)."""
    return {models[k]["label"]: v for k, v in values.items() if arch is None or models[k]["arch"] == arch}


def p2_gradient_rows(res: dict) -> list[dict]:
    """Chapter 10, Fig. 5 as numbers: the first dense layer's gradient statistics, one row per model."""
    return [{"arch": res["models"][k]["arch"], "model": res["models"][k]["label"]} | s
            for k, s in res["first_dense_summary"].items()]


def p2_masked_label(m: dict, name: str) -> str:
    """Chapter 11's legend label: ``bs1: SGD`` for a baseline, the masked model's own label otherwise."""
    return m["label"] if m["key"].startswith("masked:") else f"{name}: {m['label']}"


def p2_table4(res: dict) -> list[dict]:
    """Chapter 11, Table IV: CW₂'s ε for 100% success on the baselines and masked models, ours and the
    paper's, with the returned images that are (almost) black."""
    models = res["models"]
    return [{"model": t["name"], "parameters": models[k]["label"], "arch": models[k]["arch"],
             "ε for 100% (ours)": _fmt(t["cw_eps_full_success"]), "ε for 100% (paper)":
             "–" if t["paper"] is None else f"{t['paper']:.2f}",
             "success at any ε (ours)": _pct(t["cw_success_any"]), "black images (ours)": t["black_images"],
             "n": t["cw_n"]} for k, t in res["table4"].items()]


MARK = {"holds": "✓", "violated": "✗ violated", "inconclusive": "?", "not measured": "–"}


def p2_masking_rows(res: dict) -> list[dict]:
    """Chapter 11: the seven criteria of the gradient-masking check on every model (paper 2's way, then the
    variant rows, e.g. ``2 (Square)``), one row per model: ✓ holds, ✗ violated, ? inconclusive (95% intervals)."""
    rows = []
    for k, r in res["masking_check"].items():
        m, ev = res["models"][k], r["evidence"]
        row = {"arch": "masked" if k.startswith("masked:") else m["arch"], "model": m["label"]}
        row |= {c.get("label", f"{c['number']}"): MARK[c["verdict"]] for c in r["criteria"]}
        row |= {"PGD ε=0.3": _pct(ev["pgd"]), "AutoAttack ε=0.3": _pct(ev["autoattack"]),
                "zero input grad.": _pct(ev["input_grad_zero"]),
                "verdict": "masking suspected" if r["suspected"] else "no sign"}
        rows.append(row)
    return rows


def p2_masking_detail(res: dict) -> list[dict]:
    """Chapter 11: the numbers behind every verdict of the masking check, one row per model and criterion."""
    return [{"model": f"{'masked' if k.startswith('masked:') else res['models'][k]['arch']} "
                      f"{res['models'][k]['label']}", "criterion": c.get("label", c["number"]), "verdict": c["verdict"],
             "evidence": c["detail"]} for k, r in res["masking_check"].items() for c in r["criteria"]]
