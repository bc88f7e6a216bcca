"""Paper 1, Table 2: accuracy of the SGD model and the DP-SGD models on every MNIST-C corruption.

:func:`run_table2` evaluates, :func:`summarise` turns accuracies into the numbers the paper's text claims
(average gap against clean gap, largest gaps, drop against sigma and C), :func:`compare_released` checks
the generated corruptions against the released MNIST-C files when a user has them.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict

import numpy as np
import torch
from torch import nn

from dprob_utils.analysis.intervals import bootstrap, difference_in_differences
from dprob_utils.attacks import correct_under
from dprob_utils.config import versions
from dprob_utils.config.profiles import Profile, get_profile
from dprob_utils.config.training import TrainConfig
from dprob_utils.data import datasets
from dprob_utils.data.corruptions.pessimal import pessimal_matrix, pessimal_source
from dprob_utils.data.corruptions.registry import NAMES, RELEASED, SPECS, TABLE2
from dprob_utils.data.corruptions.store import corrupted, load_released, released_available
from dprob_utils.data.corruptions.weather import frost_source
from dprob_utils.data.datasets import ImageDataset
from dprob_utils.dp.training import evaluate
from dprob_utils.models import zoo
from dprob_utils.reference import corrected
from dprob_utils.store.core import stored, stored_intervals

PAPER_LARGEST_GAPS = ("brightness", "fog", "frost")  # paper 1, section 3.5



def model_key(sigma: float | None = None, clip: float | None = None) -> str:
    """``sgd`` or ``dp_s<sigma>_c<C>`` (e.g. ``dp_s1.3_c1``): the column names of results and reference."""
    return "sgd" if sigma is None else f"dp_s{sigma:g}_c{clip:g}"


def table2_models(prof: Profile) -> list[tuple[str, TrainConfig]]:
    """(key, config) of Table 2's models in the profile: SGD, the main DP-SGD setting, the other settings."""
    out = [("sgd", zoo.p1_sgd(prof))]
    for s, c in dict.fromkeys([prof.p1_grid.main, *prof.p1_grid.table2]):
        out.append((model_key(s, c), zoo.p1_dp(prof, s, c)))
    return out


def test_set(prof: Profile) -> ImageDataset:
    """The MNIST test images that are corrupted: a stratified subset of ``mnistc.test_samples`` (seeded by
    the profile seed) or all 10,000."""
    return datasets.test_set("mnist", prof.mnistc.test_samples, seed=prof.seed)


def _accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    return 100.0 * evaluate(model, x, y)


def run_table2(profile: Profile | str, names: Sequence[str] = NAMES, progress: bool | None = None) -> dict:
    """Chapter 06, paper 1 Table 2: Accuracy (%) of every Table 2 model on every corruption of ``names`` of the profile's test set.

    Returns a dict with ``models`` (key -> label, sigma, C, clean accuracy on the full test set, epsilon),
    ``accuracy`` (corruption -> model key -> %), ``pessimal`` (how the noise matrix was made),
    ``n_test``, ``seconds`` (generation and evaluation). Pass it to :func:`summarise`.
    """
    prof = get_profile(profile)
    models: dict[str, nn.Module] = {}
    info: dict[str, dict] = {}
    for key, cfg in table2_models(prof):
        model, result = zoo.load(cfg, prof, progress=progress)
        models[key] = model
        eps = (result.privacy or {}).get("epsilon_rdp")
        info[key] = {"label": cfg.label(), "mode": cfg.mode, "sigma": cfg.sigma if cfg.private else None,
                     "clip": cfg.clip if cfg.private else None, "test_accuracy_full": 100 * result.accuracy,
                     "epsilon": eps}
    # the accuracy table is stored per set of models, corruptions and settings (a warm re-run only reads it)
    parts = {"models": [cfg.key() for _, cfg in table2_models(prof)], "names": list(names),
             "mnistc": asdict(prof.mnistc), "seed": prof.seed, "version": versions.MNISTC_TABLE_VERSION,
             "frost": frost_source(), "pessimal": pessimal_source()}
    table = stored("p1_mnistc_accuracy", parts, lambda: _accuracy_table(prof, models, names, progress))
    ds = test_set(prof)
    return {"profile": prof.name, "n_test": len(ds), "test_source": ds.source,
            "corruption_seed": prof.mnistc.corruption_seed, "models": info, **table}


def _accuracy_table(prof: Profile, models: dict[str, nn.Module], names: Sequence[str],
                    progress: bool | None) -> dict:
    matrix, pinfo = pessimal_matrix(prof, progress=progress) if "pessimal_noise" in names else (None, None)
    ds = test_set(prof)
    seed = prof.mnistc.corruption_seed
    acc: dict[str, dict[str, float]] = {}
    gen_s, eval_s = 0.0, 0.0
    with torch.no_grad():
        for name in names:
            t0 = time.perf_counter()
            x = corrupted(ds, name, seed, pessimal_matrix=matrix)
            t1 = time.perf_counter()
            acc[name] = {k: _accuracy(m, x, ds.y) for k, m in models.items()}
            eval_s += time.perf_counter() - t1
            gen_s += t1 - t0
    return {"accuracy": acc, "pessimal": pinfo, "seconds": {"corrupt_or_load": gen_s, "evaluate": eval_s}}


def _increasing(values: Sequence[float | None]) -> bool | None:
    if any(v is None for v in values) or len(values) < 2:
        return None
    return all(b > a for a, b in zip(values, values[1:], strict=False))


def summarise(run: Mapping, main: tuple[float, float] = (1.3, 1.0)) -> dict:
    """The numbers of the paper's claims, from :func:`run_table2`'s output (or the paper's own table).

    - ``average``: mean accuracy over the 31 corruptions per model (the paper's "Average" row);
    - ``difference``: SGD - DP-SGD(main) per corruption, ``baseline_gap`` (identity), ``average_gap``;
    - ``average_gap_exceeds_baseline_gap``; ``n_gap_exceeds_baseline`` (of 31);
    - ``largest_gaps`` (three corruptions) and ``largest_gaps_overlap_paper`` (how many of brightness, fog,
      frost are among them);
    - ``drop``: baseline - average per model; ``drop_increases_with_clip`` (sigma = 1.3; C = 0.8, 1, 1.2) and
      ``drop_increases_with_sigma`` (C = 1; sigma = 0.7, 1.3, 1.5); ``None`` where the profile lacks a model.
    """
    acc = run["accuracy"]
    names = [n for n in TABLE2 if n in acc]
    keys = list(next(iter(acc.values())))
    dp = model_key(*main)
    average = {k: sum(acc[n][k] for n in names) / len(names) for k in keys} if names else {}
    diff = {n: acc[n]["sgd"] - acc[n][dp] for n in acc if dp in acc[n]}
    out: dict = {"corruptions": names, "average": average, "difference": diff}
    if "identity" in acc and names:
        base = diff["identity"]
        avg_gap = average["sgd"] - average[dp]
        largest = sorted(names, key=lambda n: diff[n], reverse=True)[:3]
        drop = {k: acc["identity"][k] - average[k] for k in keys}
        out.update({
            "baseline_gap": base, "average_gap": avg_gap, "average_gap_exceeds_baseline_gap": avg_gap > base,
            "n_gap_exceeds_baseline": sum(diff[n] > base for n in names), "n_corruptions": len(names),
            "largest_gaps": largest, "largest_gaps_overlap_paper": len(set(largest) & set(PAPER_LARGEST_GAPS)),
            "drop": drop,
            "drop_increases_with_clip": _increasing([drop.get(model_key(1.3, c)) for c in (0.8, 1.0, 1.2)]),
            "drop_increases_with_sigma": _increasing([drop.get(model_key(s, 1.0)) for s in (0.7, 1.3, 1.5)]),
        })
    return out


def _correct_per_corruption(prof: Profile, cfg: TrainConfig, names: Sequence[str]) -> dict[str, np.ndarray]:
    """``{corruption: bool [n_test]}``: which test images ``cfg``'s model classifies correctly under each
    corruption (stored per model)."""
    parts = {"model": cfg.key(), "names": list(names), "mnistc": asdict(prof.mnistc), "seed": prof.seed,
             "version": versions.MNISTC_TABLE_VERSION, "frost": frost_source(),
             "pessimal": pessimal_source()}

    def compute() -> dict[str, np.ndarray]:
        model = zoo.load(cfg, prof)[0]
        matrix = pessimal_matrix(prof)[0] if "pessimal_noise" in names else None
        ds = test_set(prof)
        return {n: correct_under(model, None, corrupted(ds, n, prof.mnistc.corruption_seed, pessimal_matrix=matrix),
                                 ds.y).numpy() for n in names}

    return stored("p1_mnistc_points", parts, compute)


def _overlap_with_paper(corruptions: Sequence[str]):
    """The statistic 'how many of :data:`PAPER_LARGEST_GAPS` are among the three corruptions with the largest
    SGD − DP-SGD gap' of samples keyed ``sgd_<corruption>`` / ``dp_<corruption>``."""
    def stat(d: dict) -> float:
        gap = {n: np.mean([a.mean() for a in d[f"sgd_{n}"]]) - np.mean([a.mean() for a in d[f"dp_{n}"]])
               for n in corruptions}
        return float(len(set(sorted(gap, key=gap.get, reverse=True)[:3]) & set(PAPER_LARGEST_GAPS)))
    return stat


def _share_gap_exceeds_clean(corruptions: Sequence[str]):
    """The statistic 'share of the corruptions whose SGD − DP-SGD gap exceeds the clean gap' of samples keyed
    ``sgd_<corruption>`` / ``dp_<corruption>``, with the clean images under ``identity``."""
    def gap(d: dict, n: str) -> float:
        return np.mean([a.mean() for a in d[f"sgd_{n}"]]) - np.mean([a.mean() for a in d[f"dp_{n}"]])

    def stat(d: dict) -> float:
        base = gap(d, "identity")
        return float(np.mean([gap(d, n) > base for n in corruptions]))
    return stat


def gap_intervals(prof: Profile, names: Sequence[str] = NAMES) -> dict:
    """Chapter 06, paper 1 Sec. 3.5 / Table 2: 95% intervals (fractions), paired over the corrupted test images
    and the headline seeds, of

    - ``gap_minus_clean/<corruption>``: the SGD − DP-SGD (main setting) gap on the corruption minus the clean
      gap (the per-cell claims: "the gap exceeds / does not exceed the clean gap");
    - ``average_gap_minus_clean``: the gap of the accuracy averaged over the 31 corruptions minus the clean gap;
    - ``largest_gaps_overlap_paper``: how many of the paper's three largest-gap corruptions (brightness, fog,
      frost) are among our three largest SGD − DP-SGD gaps (0 to 3; the rank claim's number);
    - ``share_gap_exceeds_clean``: the share of the corruptions whose gap exceeds the clean gap ("the gap
      increases for almost all corruptions");
    - ``drop_c<b>_minus_c<a>`` / ``drop_s<b>_minus_s<a>``: at σ = 1.3 (C varies) and at C = 1 (σ varies), the
      drop from clean to average corrupted accuracy of the larger setting minus the smaller (first seed only:
      the sweep models have one seed).

    Stored (a function of the stored per-image results of paper 1's models), so a warm chapter does not redo the
    bootstraps.
    """
    corr = [n for n in names if n != "identity"]
    if "identity" not in names or not corr:
        return {}
    parts = {"models": [spec.config.key() for spec in zoo.paper1_specs(prof)], "names": list(names),
             "mnistc": asdict(prof.mnistc), "seed": prof.seed, "version": versions.MNISTC_TABLE_VERSION}
    return stored_intervals("p1_mnistc_intervals", parts, lambda: _gap_intervals(prof, names, corr))


def _gap_intervals(prof: Profile, names: Sequence[str], corr: list[str]) -> dict:
    pairs = [zoo.p1_pair(prof, seed) for seed in zoo.headline_seeds(prof)]
    per = {m: [_correct_per_corruption(prof, p[m], names) for p in pairs] for m in ("sgd", "dp")}

    def boot(stat, samples) -> dict:
        return bootstrap(stat, samples, paired=True, seed=prof.seed).to_dict()

    out: dict = {"gap_minus_clean": {}}
    for n in corr:
        samples = {f"{m}_{k}": [p[key] for p in per[m]] for m in per for k, key in (("c", n), ("clean", "identity"))}
        out["gap_minus_clean"][n] = boot(difference_in_differences("sgd_c", "dp_c", "sgd_clean", "dp_clean"), samples)
    avg = {f"{m}_c": [np.mean([p[n] for n in corr], axis=0) for p in per[m]] for m in per}
    avg |= {f"{m}_clean": [p["identity"] for p in per[m]] for m in per}
    out["average_gap_minus_clean"] = boot(difference_in_differences("sgd_c", "dp_c", "sgd_clean", "dp_clean"), avg)
    top = {f"{m}_{n}": [p[n] for p in per[m]] for m in per for n in corr}
    out["largest_gaps_overlap_paper"] = boot(_overlap_with_paper(corr), top)
    clean = {f"{m}_identity": [p["identity"] for p in per[m]] for m in per}
    out["share_gap_exceeds_clean"] = boot(_share_gap_exceeds_clean(corr), top | clean)

    def drop_samples(key: str, cfg: TrainConfig) -> dict:
        p = _correct_per_corruption(prof, cfg, names)
        return {f"{key}_clean": [p["identity"]], f"{key}_c": [np.mean([p[n] for n in corr], axis=0)]}

    main_s, main_c = prof.p1_grid.main
    models = {model_key(s, c): (s, c) for s, c in dict.fromkeys([prof.p1_grid.main, *prof.p1_grid.table2])}
    for var, series in (("c", [(main_s, c) for c in (0.8, 1.0, 1.2)]), ("s", [(s, main_c) for s in (0.7, 1.3, 1.5)])):
        have = [sc for sc in series if model_key(*sc) in models]
        for lo, hi in zip(have, have[1:]):
            samples = drop_samples("hi", zoo.p1_dp(prof, *hi)) | drop_samples("lo", zoo.p1_dp(prof, *lo))
            name = f"drop_{var}{(hi[1] if var == 'c' else hi[0]):g}_minus_{var}{(lo[1] if var == 'c' else lo[0]):g}"
            out[name] = boot(difference_in_differences("hi_clean", "hi_c", "lo_clean", "lo_c"), samples)
    return out


def paper_run(reference_rows: Sequence[Mapping]) -> dict:
    """The paper's Table 2 (rows of ``reference/paper1_table2.csv``, their errata applied) in :func:`run_table2`'s
    form, so :func:`summarise` computes the paper's side of every claim the same way."""
    cols = ["sgd", "dp_s1.3_c1", "dp_s1.3_c0.8", "dp_s1.3_c1.2", "dp_s0.7_c1", "dp_s1.5_c1"]
    rows = [corrected(r) for r in reference_rows if r["corruption"] in NAMES]
    acc = {r["corruption"]: {c: float(r[c]) for c in cols} for r in rows}
    return {"accuracy": acc}


def paper_summary(reference_rows: Sequence[Mapping]) -> dict:
    """:func:`summarise` of the paper's Table 2, with the averages and the average gap as printed in its
    "Average" row. (As printed, its SGD column averages to 90.51, not the printed 90.72: the SGD entry for
    Gaussian noise, 88.05, contradicts its printed difference of 13.33; the erratum's 94.54 matches both.)"""
    out = summarise(paper_run(reference_rows))
    printed = next(r for r in reference_rows if r["corruption"] == "average")
    cols = list(out["average"])
    out["average"] = {c: float(printed[c]) for c in cols}
    out["average_gap"] = float(printed["difference"])
    out["average_gap_exceeds_baseline_gap"] = out["average_gap"] > out["baseline_gap"]
    base = paper_run(reference_rows)["accuracy"]["identity"]
    out["drop"] = {c: base[c] - out["average"][c] for c in cols}
    out["drop_increases_with_clip"] = _increasing([out["drop"][model_key(1.3, c)] for c in (0.8, 1.0, 1.2)])
    out["drop_increases_with_sigma"] = _increasing([out["drop"][model_key(s, 1.0)] for s in (0.7, 1.3, 1.5)])
    return out


def compare_released(prof: Profile, path=None, progress: bool | None = None) -> dict | None:
    """Accuracy (%) of each Table 2 model on the generated and on the released version of every corruption
    present in the released MNIST-C directory (``path`` or ``$DPROB_MNISTC``), on the same test images.
    ``None`` when no directory is given."""
    available = [n for n in released_available(path) if n in RELEASED]
    if not available:
        return None
    ds = test_set(prof)
    models = {k: zoo.load(cfg, prof, progress=progress)[0] for k, cfg in table2_models(prof)}
    seed = prof.mnistc.corruption_seed
    out: dict[str, dict] = {}
    with torch.no_grad():
        for name in available:
            xr, yr = load_released(name, path)
            if not torch.equal(yr[ds.indices], ds.y):
                raise ValueError(f"released {name}: labels do not match the MNIST test set order")
            xg = corrupted(ds, name, seed)
            out[name] = {k: {"generated": _accuracy(m, xg, ds.y), "released": _accuracy(m, xr[ds.indices], ds.y)}
                         for k, m in models.items()}
            out[name]["mean_abs_pixel_difference"] = float((xg - xr[ds.indices]).abs().mean())
    return {"corruptions": available, "accuracy": out, "labels": {n: SPECS[n].label for n in available}}


def run_mnistc(profile: Profile | str, mnistc_dir=None, progress: bool | None = None) -> dict:
    """Chapter 06, paper 1 Table 2 and Sec. 3.5: :func:`run_table2`, the claims' numbers (:func:`summarise`) for
    ours and the paper's table, and (where a released MNIST-C directory is given) :func:`compare_released`. The
    results dict of ``results/<profile>/06_p1_mnistc.json``."""
    from dprob_utils.reference import load_reference

    prof = get_profile(profile)
    run = run_table2(prof, progress=progress)
    ours = summarise(run, prof.p1_grid.main)
    paper = paper_summary(load_reference("paper1_table2"))
    return {
        **run, **ours,
        "labels": {n: SPECS[n].label for n in NAMES},
        "paper": {k: paper[k] for k in ("baseline_gap", "average_gap", "largest_gaps", "drop",
                                         "drop_increases_with_clip", "drop_increases_with_sigma",
                                         "n_gap_exceeds_baseline")},
        "paper_largest_gaps": list(PAPER_LARGEST_GAPS),
        "main_dp_model": model_key(*prof.p1_grid.main),
        "stand_ins": {n: SPECS[n].note for n in NAMES if SPECS[n].fidelity != "code"},
        "released": compare_released(prof, mnistc_dir, progress=progress),
        "intervals": gap_intervals(prof),
    }
